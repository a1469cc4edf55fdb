using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>What the residual blocks' fused eval-mode forwards share (see <see cref="ConvBatchNormFolding"/>).</summary>
internal static class ResNetFusion
{
    /// <summary>
    /// Whether the projection shortcut <paramref name="downsample"/> is still a convolution and a BatchNorm without forward
    /// hooks that can run folded on <paramref name="input"/>, and if so which.
    /// </summary>
    public static bool Shortcut(Sequential downsample, Tensor input, out Conv2d conv, out BatchNorm norm)
    {
        conv = null!;
        norm = null!;
        if (downsample.HasForwardHooks || downsample.Count != 2 || downsample[0] is not Conv2d c || downsample[1] is not BatchNorm n ||
            !ConvBatchNormFolding.Applies(input, c, n)) return false;
        conv = c;
        norm = n;
        return true;
    }
}
