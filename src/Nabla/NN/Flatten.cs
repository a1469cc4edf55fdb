namespace Nabla.NN;

/// <summary>
/// Flattens the dims startDim..endDim into one (<c>nn.Flatten</c>); by default all but the batch dim.
/// Shape: [N, *] → [N, ∏*] for the defaults.
/// </summary>
public sealed class Flatten : Module<Tensor, Tensor>
{
    /// <summary>First dim to flatten.</summary>
    public int StartDim { get; }

    /// <summary>Last dim to flatten (negative counts from the end).</summary>
    public int EndDim { get; }

    /// <summary>Creates the layer.</summary>
    /// <param name="startDim">First dim to flatten (1 keeps the batch dim).</param>
    /// <param name="endDim">Last dim to flatten.</param>
    public Flatten(int startDim = 1, int endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
