namespace Nabla.Jit;

/// <summary>Where a <see cref="GraphValue"/> comes from.</summary>
public enum ValueKind
{
    /// <summary>A graph input: what the caller passes on each call (<c>%input</c>).</summary>
    Input,
    /// <summary>A module parameter, named by its state-dict key (<c>%fc1.weight</c>); its tensor is <see cref="GraphValue.Data"/>.</summary>
    Parameter,
    /// <summary>A module buffer (e.g. a batch-norm's running mean), named by its state-dict key.</summary>
    Buffer,
    /// <summary>A tensor the forward made without reading any input (a scalar, a mask), stored in <see cref="GraphValue.Data"/>.</summary>
    Constant,
    /// <summary>The output of a <see cref="GraphNode"/>.</summary>
    Intermediate,
}
