using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// A dense block: each layer sees the concatenation of the block's input and every earlier layer's
/// output, and the block returns the concatenation of all of them (d2l §8.7). Layers are named
/// <c>denselayer1</c>… as torchvision's.
/// Shape: [N, inChannels, H, W] → [N, inChannels + numLayers·growthRate, H, W].
/// </summary>
public sealed class DenseBlock : Module<Tensor, Tensor>
{
    readonly DenseLayer[] layers;

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>A block of <paramref name="numLayers"/> dense layers.</summary>
    public DenseBlock(int numLayers, int inChannels, int growthRate, int bnSize = 4, double dropRate = 0.0)
    {
        layers = new DenseLayer[numLayers];
        for (int i = 0; i < numLayers; i++)
        {
            layers[i] = new DenseLayer(inChannels + i * growthRate, growthRate, bnSize, dropRate);
            RegisterModule($"denselayer{i + 1}", layers[i]);
        }
        OutChannels = inChannels + numLayers * growthRate;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var features = new List<Tensor>(layers.Length + 1) { input };
        foreach (var layer in layers) features.Add(layer.Call(Tensor.Cat(features, dim: 1)));
        return Tensor.Cat(features, dim: 1);
    }
}
