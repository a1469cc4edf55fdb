namespace Nabla.NN;

/// <summary>
/// Marks a <see cref="Tensor"/> field of a <see cref="Module"/> as a buffer: state that is saved in
/// the state dict and moved by <c>To</c> but is not a learnable parameter (BatchNorm's running
/// statistics). PyTorch's <c>register_buffer</c>, declared on the field.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class BufferAttribute : Attribute
{
    /// <summary>False for buffers that are not part of the state dict (<c>persistent=False</c>).</summary>
    public bool Persistent { get; init; } = true;
}
