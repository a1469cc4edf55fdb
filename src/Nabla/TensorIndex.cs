namespace Nabla;

/// <summary>
/// One entry of a tensor index, as in <c>x[0, 1..^1, mask]</c>: an integer, a C# <see cref="Index"/> or
/// <see cref="System.Range"/>, a slice with a step, <see cref="None"/> (new axis),
/// <see cref="Ellipsis"/>, or an Int64/Bool index tensor. Converts implicitly from each.
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kinds { Integer, Slice, NewAxis, Ellipsis, Tensor }

    internal Kinds Kind { get; }
    internal Index Position { get; }
    internal System.Range Range { get; }
    internal int Step { get; }
    internal Tensor? Indices { get; }

    /// <summary>The index as the caller wrote it, for messages: <c>-4</c> for the integer −4, <c>^4</c> for the C# index.</summary>
    internal string Written => Kind == Kinds.Integer && (WrittenAsInteger || !Position.IsFromEnd)
        ? (Position.IsFromEnd ? -Position.Value : Position.Value).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : Position.ToString();

    bool WrittenAsInteger { get; init; }

    TensorIndex(Kinds kind, Index position = default, System.Range range = default, int step = 1, Tensor? indices = null)
    {
        Kind = kind;
        Position = position;
        Range = range;
        Step = step;
        Indices = indices;
    }

    /// <summary>Inserts a dim of size 1 (Python's <c>None</c>).</summary>
    public static TensorIndex None { get; } = new(Kinds.NewAxis);

    /// <summary>Stands for as many full slices as needed (Python's <c>...</c>).</summary>
    public static TensorIndex Ellipsis { get; } = new(Kinds.Ellipsis);

    /// <summary>A slice with a step, <c>start:end:step</c>; null ends mean "from the start"/"to the end".</summary>
    public static TensorIndex Slice(int? start = null, int? end = null, int step = 1) =>
        new(Kinds.Slice, range: new System.Range(
            start is int s ? (s < 0 ? Index.FromEnd(-s) : Index.FromStart(s)) : Index.Start,
            end is int e ? (e < 0 ? Index.FromEnd(-e) : Index.FromStart(e)) : Index.End), step: step);

    /// <summary>An integer position (negative counts from the end).</summary>
    public static implicit operator TensorIndex(int index) =>
        new(Kinds.Integer, index < 0 ? Index.FromEnd(-index) : Index.FromStart(index)) { WrittenAsInteger = true };
    /// <summary>A C# index such as <c>^1</c>.</summary>
    public static implicit operator TensorIndex(Index index) => new(Kinds.Integer, index);
    /// <summary>A C# range such as <c>1..^1</c> or <c>..</c>.</summary>
    public static implicit operator TensorIndex(System.Range range) => new(Kinds.Slice, range: range);
    /// <summary>An Int64 index tensor or a Bool mask.</summary>
    public static implicit operator TensorIndex(Tensor indices) => new(Kinds.Tensor, indices: indices);
}
