using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// GoogLeNet's auxiliary classifier (torchvision's <c>InceptionAux</c>): 4×4 adaptive average pool,
/// 1×1 convolution to 128 channels, Linear(128·16, 1024), ReLU, dropout 0.7, Linear(1024, classes).
/// Shape: [N, inChannels, H, W] → [N, numClasses].
/// </summary>
public sealed class InceptionAux : Module<Tensor, Tensor>
{
    /// <summary>1×1 convolution block.</summary>
    public BasicConv2d Conv { get; }

    /// <summary>Hidden fully connected layer.</summary>
    public Linear Fc1 { get; }

    /// <summary>Output layer.</summary>
    public Linear Fc2 { get; }

    /// <summary>Dropout before the output layer.</summary>
    public Dropout Dropout { get; }

    /// <summary>An auxiliary head.</summary>
    public InceptionAux(int inChannels, int numClasses, double width = 1.0, bool batchNorm = false, double dropout = 0.7)
    {
        int channels = ModelWidth.Scale(128, width), hidden = ModelWidth.Scale(1024, width);
        Conv = new BasicConv2d(inChannels, channels, 1, batchNorm: batchNorm);
        Fc1 = new Linear(channels * 4 * 4, hidden);
        Fc2 = new Linear(hidden, numClasses);
        Dropout = new Dropout(dropout);
        RegisterModule("conv", Conv);
        RegisterModule("fc1", Fc1);
        RegisterModule("fc2", Fc2);
        RegisterModule("dropout", Dropout);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = Conv.Call(Functional.AdaptiveAvgPool2d(input, 4)).Flatten(1);
        x = Functional.Relu(Fc1.Call(x));
        return Fc2.Call(Dropout.Call(x));
    }
}
