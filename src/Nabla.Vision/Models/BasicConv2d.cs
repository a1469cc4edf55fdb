using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// Convolution, optional BatchNorm, ReLU: torchvision's <c>BasicConv2d</c> (keys <c>conv.weight</c>,
/// <c>bn.running_mean</c>). Without BatchNorm the convolution keeps its bias, as in the course's
/// GoogLeNet; with it the convolution has none and BatchNorm uses eps = 0.001 as torchvision's.
/// Shape: [N, inChannels, H, W] → [N, outChannels, Hout, Wout].
/// </summary>
public sealed class BasicConv2d : Module<Tensor, Tensor>
{
    /// <summary>The convolution.</summary>
    public Conv2d Conv { get; }

    /// <summary>The batch normalisation, or null.</summary>
    public BatchNorm2d? Bn { get; }

    /// <summary>A convolution block.</summary>
    public BasicConv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool batchNorm = false)
    {
        Conv = new Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: !batchNorm);
        RegisterModule("conv", Conv);
        if (batchNorm)
        {
            Bn = new BatchNorm2d(outChannels, eps: 0.001);
            RegisterModule("bn", Bn);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Conv.Call(input);
        if (Bn is not null) x = Bn.Call(x);
        return Functional.Relu(x);
    }
}
