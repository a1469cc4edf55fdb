namespace Nabla.NN;

/// <summary>
/// Splits one dim into several (<c>nn.Unflatten</c>), the inverse of <see cref="Flatten"/>.
/// Shape: [*, ∏sizes, *] → [*, sizes…, *] at <see cref="Dim"/>.
/// </summary>
public sealed class Unflatten : Module<Tensor, Tensor>
{
    /// <summary>The dim to split.</summary>
    public int Dim { get; }

    /// <summary>The sizes it is split into (one may be −1, inferred).</summary>
    public IReadOnlyList<int> UnflattenedSize { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="dim">The dim to split.</param>
    /// <param name="unflattenedSize">The new sizes; their product must equal the dim's size.</param>
    public Unflatten(int dim, params int[] unflattenedSize)
    {
        if (unflattenedSize.Length == 0) throw new ArgumentException("Unflatten: unflattenedSize must not be empty.", nameof(unflattenedSize));
        Dim = dim;
        UnflattenedSize = unflattenedSize;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Unflatten(Dim, [.. UnflattenedSize]);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}, unflattened_size={FormatTuple(UnflattenedSize)}";
}
