using Nabla.NN;

namespace Nabla.Vision.Models;

/// <summary>
/// The activations of a model at named top-level layers (torchvision's
/// <c>IntermediateLayerGetter</c>, <c>models._utils</c>): the model's children are called one after
/// the other, in registration order, on the output of the previous one, and the outputs of the
/// requested children are returned by name; children after the last requested one are not run. The
/// model must be a chain of <c>Module&lt;Tensor, Tensor&gt;</c> children up to that layer, as
/// <see cref="ResNet"/>'s <c>conv1</c>, <c>bn1</c>, <c>relu</c>, <c>maxpool</c>, <c>layer1</c>…<c>layer4</c>, <c>avgpool</c> are.
/// Neural style transfer (d2l §14.12) reads its content and style features this way.
/// Shape: the model's input → one tensor per requested layer.
/// </summary>
public sealed class IntermediateLayerGetter : Module<Tensor, IReadOnlyDictionary<string, Tensor>>
{
    readonly (string Name, Module<Tensor, Tensor> Layer)[] chain;
    readonly HashSet<string> returned;

    /// <summary>The requested layer names, in the model's order.</summary>
    public IReadOnlyList<string> ReturnLayers { get; }

    /// <summary>Wraps <paramref name="model"/>; its children up to the last of <paramref name="returnLayers"/> are registered here under their own names.</summary>
    /// <param name="model">A model whose top-level children form a chain.</param>
    /// <param name="returnLayers">Names of top-level children (e.g. <c>layer1</c>, <c>layer3</c>) whose outputs are returned.</param>
    /// <exception cref="ArgumentException">A name is not a child of the model, none is given, or a child up to the last one is not a Tensor → Tensor module.</exception>
    public IntermediateLayerGetter(Module model, IEnumerable<string> returnLayers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(returnLayers);
        returned = new HashSet<string>(returnLayers, StringComparer.Ordinal);
        if (returned.Count == 0) throw new ArgumentException("IntermediateLayerGetter: returnLayers is empty.", nameof(returnLayers));
        var children = model.NamedChildren().ToList();
        var names = children.Select(c => c.Name).ToList();
        foreach (var name in returned)
            if (!names.Contains(name))
                throw new ArgumentException($"IntermediateLayerGetter: '{name}' is not a top-level layer of {model.GetType().Name} (its layers: {string.Join(", ", names)}).", nameof(returnLayers));
        var kept = new List<(string, Module<Tensor, Tensor>)>();
        var order = new List<string>();
        int remaining = returned.Count;
        foreach (var (name, child) in children)
        {
            if (child is not Module<Tensor, Tensor> layer)
                throw new ArgumentException($"IntermediateLayerGetter: layer '{name}' ({child.GetType().Name}) is not a Tensor → Tensor module, so the chain cannot pass through it.", nameof(model));
            kept.Add((name, layer));
            RegisterModule(name, child);
            if (returned.Contains(name))
            {
                order.Add(name);
                if (--remaining == 0) break;
            }
        }
        chain = [.. kept];
        ReturnLayers = order;
    }

    /// <summary>Runs the chain and returns the requested layers' outputs by name.</summary>
    public override IReadOnlyDictionary<string, Tensor> Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var x = input;
        for (int i = 0; i < chain.Length; i++)
        {
            var (name, layer) = chain[i];
            if (FusedStem(i, x) is { } fused)
            {
                // Conv2d → BatchNorm (→ ReLU) whose intermediate outputs are not requested: one fused convolution in eval
                // mode, as the model's own forward runs it (ResNet's stem), so both give the same values.
                (x, i) = fused;
                if (returned.Contains(chain[i].Name)) outputs[chain[i].Name] = x;
                continue;
            }
            x = layer.Call(x);
            if (returned.Contains(name)) outputs[name] = x;
        }
        return outputs;
    }

    /// <summary>
    /// The output of chain[at] = Conv2d, chain[at + 1] = BatchNorm and, when it follows, a hook-free ReLU, run folded
    /// (<see cref="ConvBatchNormFolding"/>), with the index of the last layer it covers; null where that does not apply
    /// (training mode, autograd to record, hooks, or a requested output in the middle).
    /// </summary>
    (Tensor Output, int Last)? FusedStem(int at, Tensor x)
    {
        if (at + 1 >= chain.Length || chain[at].Layer is not Conv2d conv || chain[at + 1].Layer is not BatchNorm norm ||
            returned.Contains(chain[at].Name) || !ConvBatchNormFolding.Applies(x, conv, norm)) return null;
        bool relu = at + 2 < chain.Length && chain[at + 2].Layer is ReLU activation && !activation.HasForwardHooks &&
            !returned.Contains(chain[at + 1].Name);
        return (ConvBatchNormFolding.Forward(x, conv, norm, relu: relu), relu ? at + 2 : at + 1);
    }
}
