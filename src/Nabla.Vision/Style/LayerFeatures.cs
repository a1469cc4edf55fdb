using Nabla.NN;

namespace Nabla.Vision.Style;

/// <summary>
/// The outputs of named inner layers of a network for one input (d2l 14.12's <c>extract_features</c>), taken with forward
/// hooks so that any <see cref="Module{TInput, TOutput}"/> serves, however its forward is written. The network is put in
/// evaluation mode and its parameters stop requiring gradients: the features are a fixed function of the image, and only
/// the image is optimised.
/// </summary>
public sealed class LayerFeatures
{
    readonly Module<Tensor, Tensor> network;
    readonly Module[] layers;

    /// <summary>Features of <paramref name="network"/> at the layers named <paramref name="layerNames"/>.</summary>
    /// <param name="network">The feature network, e.g. an ImageNet-pretrained ResNet-18; its forward is run whole.</param>
    /// <param name="layerNames">Names as <see cref="Module.NamedModules"/> gives them (e.g. <c>layer2.1</c>); each layer must
    /// return one tensor.</param>
    /// <exception cref="ArgumentException">No names, or a name that is not a module of <paramref name="network"/>.</exception>
    public LayerFeatures(Module<Tensor, Tensor> network, IReadOnlyList<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(layerNames);
        if (layerNames.Count == 0) throw new ArgumentException("LayerFeatures: give at least one layer name.", nameof(layerNames));
        var modules = network.NamedModules().Where(m => m.Name.Length > 0).ToDictionary(m => m.Name, m => m.Module);
        layers = new Module[layerNames.Count];
        for (int i = 0; i < layers.Length; i++)
        {
            if (!modules.TryGetValue(layerNames[i], out var layer))
            {
                throw new ArgumentException(
                    $"LayerFeatures: '{layerNames[i]}' is not a layer of {network.GetType().Name}; its layers are {string.Join(", ", modules.Keys.Take(40))}{(modules.Count > 40 ? ", …" : "")}.",
                    nameof(layerNames));
            }
            layers[i] = layer;
        }
        this.network = network;
        LayerNames = [.. layerNames];
        network.Eval();
        network.RequiresGrad(false);
    }

    /// <summary>The layers' names, in the order of <see cref="Extract"/>'s result.</summary>
    public IReadOnlyList<string> LayerNames { get; }

    /// <summary>
    /// Runs the network on <paramref name="image"/> and returns each named layer's output, in the order of
    /// <see cref="LayerNames"/>. The outputs stay connected to <paramref name="image"/>'s graph.
    /// </summary>
    /// <param name="image">The network's input, e.g. <c>[1, 3, H, W]</c>.</param>
    /// <exception cref="InvalidOperationException">A named layer did not run, or returned something other than one tensor.</exception>
    public IReadOnlyList<Tensor> Extract(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var outputs = new Tensor?[layers.Length];
        var handles = new RemovableHandle[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            int index = i;
            handles[i] = layers[i].RegisterForwardHook((Module _, object? _, object? output) =>
            {
                outputs[index] = output as Tensor
                    ?? throw new InvalidOperationException($"LayerFeatures: layer '{LayerNames[index]}' returned {output?.GetType().Name ?? "null"}, not one tensor.");
            });
        }
        try
        {
            network.Call(image);
        }
        finally
        {
            foreach (var handle in handles) handle.Remove();
        }
        var result = new Tensor[layers.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = outputs[i] ?? throw new InvalidOperationException($"LayerFeatures: layer '{LayerNames[i]}' did not run in {network.GetType().Name}'s forward.");
        }
        return result;
    }
}
