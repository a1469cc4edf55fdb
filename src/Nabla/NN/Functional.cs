namespace Nabla.NN;

/// <summary>
/// The function twins of the layers and losses (<c>torch.nn.functional</c>, PascalCase): every
/// layer computes through one of these, so <c>F.linear(x, w, b)</c> reads
/// <c>Functional.Linear(x, w, b)</c>. Alias it with <c>using F = Nabla.NN.Functional;</c> to write
/// <c>F.Relu(x)</c>: with <c>using static</c> some names (Linear, Sigmoid, …) would be ambiguous
/// with the layer classes of the same name.
/// </summary>
public static partial class Functional
{
    /// <summary>Applies a loss reduction to per-element losses.</summary>
    static Tensor Reduce(Tensor loss, Reduction reduction, string op) => reduction switch
    {
        Reduction.None => loss,
        Reduction.Mean => loss.Mean(),
        Reduction.Sum => loss.Sum(),
        _ => throw new ArgumentException($"{op}: reduction {reduction} is not supported (use None, Mean or Sum).", nameof(reduction)),
    };

    static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        if (input.Shape != target.Shape)
            throw new ShapeException($"{op}: input of shape {input.Shape} and target of shape {target.Shape} must have the same shape.");
    }

    static void CheckFloating(string op, string argument, Tensor tensor)
    {
        if (!tensor.DType.IsFloatingPoint())
            throw new DTypeException($"{op}: {argument} must be a floating-point tensor, got {tensor.DType} (shape {tensor.Shape}).");
    }
}
