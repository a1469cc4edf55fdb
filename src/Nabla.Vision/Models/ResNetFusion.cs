using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>What the residual blocks' fused eval-mode forwards share (see <see cref="ConvBatchNormFolding"/>).</summary>
internal static class ResNetFusion
{
    /// <summary>
    /// The block's identity branch for the fused forward: <paramref name="input"/> itself without a projection shortcut, else
    /// the shortcut run folded; false when <paramref name="downsample"/> is no longer a convolution and a BatchNorm without
    /// forward hooks that can run folded on <paramref name="input"/> (the block then takes its ordinary forward).
    /// </summary>
    public static bool TryIdentity(Sequential? downsample, Tensor input, out Tensor identity)
    {
        identity = input;
        if (downsample is null) return true;
        if (downsample.HasForwardHooks || downsample.Count != 2 || downsample[0] is not Conv2d conv || downsample[1] is not BatchNorm norm ||
            !ConvBatchNormFolding.Applies(input, conv, norm)) return false;
        identity = ConvBatchNormFolding.Forward(input, conv, norm);
        return true;
    }
}
