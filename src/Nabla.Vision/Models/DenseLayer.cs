using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// One layer of a dense block (Huang et al., 2017): BN-ReLU-conv. With a bottleneck
/// (<c>bnSize</c> &gt; 0, torchvision's DenseNet-BC) it is BN-ReLU-conv1×1 to bnSize·growthRate
/// channels, then BN-ReLU-conv3×3 to growthRate (<c>norm1</c>, <c>conv1</c>, <c>norm2</c>, <c>conv2</c>);
/// without (bnSize = 0, the course's d2l §8.7 conv_block) a single BN-ReLU-conv3×3 (<c>norm1</c>, <c>conv1</c>).
/// Shape: [N, inChannels, H, W] → [N, growthRate, H, W] (the new features only).
/// </summary>
public sealed class DenseLayer : Module<Tensor, Tensor>
{
    readonly BatchNorm2d norm1;
    readonly Conv2d conv1;
    readonly BatchNorm2d? norm2;
    readonly Conv2d? conv2;
    readonly Dropout dropout;

    /// <summary>A dense layer producing <paramref name="growthRate"/> channels.</summary>
    public DenseLayer(int inChannels, int growthRate, int bnSize = 4, double dropRate = 0.0)
    {
        norm1 = new BatchNorm2d(inChannels);
        RegisterModule("norm1", norm1);
        RegisterModule("relu1", new ReLU());
        if (bnSize > 0)
        {
            conv1 = new Conv2d(inChannels, bnSize * growthRate, 1, bias: false);
            norm2 = new BatchNorm2d(bnSize * growthRate);
            conv2 = new Conv2d(bnSize * growthRate, growthRate, 3, padding: 1, bias: false);
            RegisterModule("conv1", conv1);
            RegisterModule("norm2", norm2);
            RegisterModule("relu2", new ReLU());
            RegisterModule("conv2", conv2);
        }
        else
        {
            conv1 = new Conv2d(inChannels, growthRate, 3, padding: 1, bias: false);
            RegisterModule("conv1", conv1);
        }
        dropout = new Dropout(dropRate);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var y = conv1.Call(Functional.Relu(norm1.Call(input)));
        if (conv2 is not null) y = conv2.Call(Functional.Relu(norm2!.Call(y)));
        return dropout.P > 0 ? dropout.Call(y) : y;
    }
}
