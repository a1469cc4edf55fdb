namespace Nabla.NN;

/// <summary>
/// A tensor that is a learnable weight of a <c>Module</c> (<c>nn.Parameter</c>): a leaf that
/// requires grad by default and is found by <c>Module.Parameters()</c> when assigned to a field
/// or registered by name. It shares storage with the tensor it was made from.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/> (detached, sharing its storage) as a parameter.</summary>
    public Parameter(Tensor data, bool requiresGrad = true) : base(data.storage, data.shape, data.strides, data.offset)
    {
        RequiresGrad = requiresGrad;
    }
}
