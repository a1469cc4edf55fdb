namespace Nabla.Tests.Fixtures;

/// <summary>
/// The fixture-to-Nabla calls that need more than one line: building tensors, gradients, and the
/// ops whose PyTorch arguments (dims given or not, p = "fro", dtype=..., Python scalars) pick
/// between Nabla overloads. Every call goes through Nabla's public API, except where noted.
/// </summary>
internal static class NablaBridge
{
    /// <summary>A new tensor holding a copy of the fixture data (Tensor.From shares the array; fixtures are cached).</summary>
    public static Tensor FromArray(Array data, int[] shape) => data switch
    {
        float[] a => Tensor.From((float[])a.Clone(), shape),
        double[] a => Tensor.From((double[])a.Clone(), shape),
        long[] a => Tensor.From((long[])a.Clone(), shape),
        int[] a => Tensor.From((int[])a.Clone(), shape),
        byte[] a => Tensor.From((byte[])a.Clone(), shape),
        bool[] a => Tensor.From((bool[])a.Clone(), shape),
        _ => throw new NotSupportedException(data.GetType().Name),
    };

    /// <summary>The view <c>t[..., start:end:step]</c> along <paramref name="dim"/>.</summary>
    public static Tensor Slice(Tensor t, int dim, int start, int end, int step) => t.Slice(dim, start, end, step);

    /// <summary>Flat values as doubles (exact for the small integers in fixtures).</summary>
    public static double[] ToDoubles(Tensor t) => t.ToArray<double>();

    /// <summary>Zeros shaped like <paramref name="t"/>.</summary>
    public static Tensor ZerosLike(Tensor t) => Tensor.ZerosLike(t);

    /// <summary>d sum(roots · rootGrads) / d leaves, like <c>torch.autograd.grad(..., allow_unused=True)</c>.</summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor> rootGrads, IReadOnlyList<Tensor> leaves)
    {
        if (leaves.Count == 0) return [];
        return Autograd.Grad([.. roots], [.. leaves], rootGrads.Count == 0 ? null : [.. rootGrads], allowUnused: true);
    }

    /// <summary>
    /// The leaves' gradients of sum(roots · rootGrads): <c>root.Backward(gradient)</c> then each
    /// leaf's <see cref="Tensor.Grad"/> for one root (the everyday path), <c>Autograd.Grad</c>
    /// for several (split, chunk, max with dim). Null where no gradient reached a leaf.
    /// </summary>
    public static Tensor?[] Backward(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor> rootGrads, IReadOnlyList<Tensor> leaves)
    {
        if (roots.Count != 1) return Grad(roots, rootGrads, leaves);
        roots[0].Backward(rootGrads[0]);
        return [.. leaves.Select(leaf => leaf.Grad)];
    }

    /// <summary>Hessian of a scalar function (<c>torch.autograd.functional.hessian</c>).</summary>
    public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x) => Autograd.Hessian(f, x);

    /// <summary>Element <paramref name="i"/> of a 1-D tensor as a 0-dim tensor (<c>p[i]</c>).</summary>
    public static Tensor Element(Tensor p, int i) => p[i];

    /// <summary>
    /// A Python scalar operand as Nabla's wrapped number, the tensor the public scalar overloads
    /// (<c>x + 2.5</c>, <c>x * 3L</c>) build. Used only where Nabla has no public overload for that
    /// kind of scalar (bool scalars, Where with two scalars, Sub with a scalar and alpha), so the
    /// case still checks PyTorch's promotion rule for it. Internal API.
    /// </summary>
    public static Tensor Wrapped(FixtureRun r, int i) => r.ScalarType(i) switch
    {
        "int" => Tensor.Wrap((long)r.S(i)),
        "bool" => Tensor.Scalar(r.S(i), DType.Bool, wrapped: true),
        _ => Tensor.Wrap(r.S(i)),
    };

    /// <summary>Input i as a tensor, or a scalar input as a wrapped number.</summary>
    public static Tensor Operand(FixtureRun r, int i) => r.IsScalar(i) ? Wrapped(r, i) : r.T(i);

    /// <summary>
    /// A binary op through the public overload a C# user would write: tensor·tensor, tensor·long for
    /// a Python int, tensor·double for a Python float (or for an int where Nabla has no long
    /// overload, as C# converts the literal); bool scalars fall back to the wrapped number.
    /// </summary>
    public static Tensor Binary(FixtureRun r, Func<Tensor, Tensor, Tensor> tensors,
        Func<Tensor, double, Tensor>? withDouble = null, Func<Tensor, long, Tensor>? withLong = null,
        Func<double, Tensor, Tensor>? scalarFirst = null)
    {
        if (r.IsScalar(0))
            return scalarFirst != null ? scalarFirst(r.S(0), r.T(1)) : tensors(Wrapped(r, 0), r.T(1));
        if (!r.IsScalar(1)) return tensors(r.T(0), r.T(1));
        return r.ScalarType(1) switch
        {
            "int" when withLong != null => withLong(r.T(0), (long)r.S(1)),
            "int" or "float" when withDouble != null => withDouble(r.T(0), r.S(1)),
            _ => tensors(r.T(0), Wrapped(r, 1)),
        };
    }

    /// <summary><c>torch.clamp(x, min=, max=)</c>.</summary>
    public static Tensor Clamp(Tensor x, FixtureCase c) =>
        x.Clamp(c.Has("min") ? c.Double("min") : null, c.Has("max") ? c.Double("max") : null);

    /// <summary><c>torch.sum(x, dim=, keepdim=, dtype=)</c>.</summary>
    public static Tensor Sum(Tensor x, FixtureCase c) =>
        c.Has("dim") ? x.Sum(c.Ints("dim"), c.Bool("keepdim"), c.DTypeArg()) : x.Sum(dtype: c.DTypeArg());

    /// <summary><c>torch.mean(x, dim=, keepdim=, dtype=)</c>: PyTorch casts the input to dtype first, as here.</summary>
    public static Tensor Mean(Tensor x, FixtureCase c)
    {
        x = WithDType(x, c);
        return c.Has("dim") ? x.Mean(c.Ints("dim"), c.Bool("keepdim")) : x.Mean();
    }

    /// <summary>The input cast to the case's <c>dtype</c> argument (PyTorch's meaning of dtype= on softmax and mean).</summary>
    public static Tensor WithDType(Tensor x, FixtureCase c) => c.DTypeArg() is { } dtype ? x.To(dtype) : x;

    /// <summary><c>torch.norm(x, p=, dim=, keepdim=)</c> with p a number, "inf" or "fro".</summary>
    public static Tensor Norm(Tensor x, FixtureCase c)
    {
        int[]? dims = c.Has("dim") ? c.Ints("dim") : null;
        bool keepDim = c.Bool("keepdim");
        if (c.String("p") == "fro") return x.FrobeniusNorm(dims, keepDim);
        return x.Norm(c.Double("p", 2), dims, keepDim);
    }

    /// <summary><c>x[index]</c> with the index described in args.index.</summary>
    public static Tensor GetItem(FixtureRun r)
    {
        var parts = new List<TensorIndex>();
        foreach (var part in r.Case.Raw("index").EnumerateArray())
            parts.Add(part.ValueKind switch
            {
                System.Text.Json.JsonValueKind.Null => TensorIndex.None,
                System.Text.Json.JsonValueKind.String => TensorIndex.Ellipsis,
                System.Text.Json.JsonValueKind.Number => part.GetInt32(),
                _ when part.TryGetProperty("tensor", out var k) => r.T(k.GetInt32()),
                _ => SliceIndex(part.GetProperty("slice")),
            });
        return r.T(0)[[.. parts]];

        static TensorIndex SliceIndex(System.Text.Json.JsonElement s)
        {
            int? At(int i) => s[i].ValueKind == System.Text.Json.JsonValueKind.Null ? null : s[i].GetInt32();
            return TensorIndex.Slice(At(0), At(1), At(2) ?? 1);
        }
    }

    /// <summary><c>torch.where(cond, x, y)</c> with tensor or scalar branches.</summary>
    public static Tensor Where(FixtureRun r) => (r.IsScalar(1), r.IsScalar(2)) switch
    {
        (false, false) => Tensor.Where(r.T(0), r.T(1), r.T(2)),
        (false, true) => Tensor.Where(r.T(0), r.T(1), r.S(2)),
        (true, false) => Tensor.Where(r.T(0), r.S(1), r.T(2)),
        // No public Where(condition, double, double): use the wrapped numbers it would build.
        _ => Tensor.Where(r.T(0), Wrapped(r, 1), Wrapped(r, 2)),
    };

    /// <summary><c>torch.arange / linspace / eye / full</c> from the case's args.</summary>
    public static Tensor Create(FixtureCase c)
    {
        var dtype = c.DTypeArg();
        switch (c.Op)
        {
            case "arange":
                if (!c.Has("start") && !c.Has("step") && c.IsInteger("end"))
                    return dtype is { } d ? Tensor.Arange((int)c.Double("end"), d) : Tensor.Arange((int)c.Double("end"));
                return Tensor.Arange(c.Double("start", 0), c.Double("end"), c.Double("step", 1), dtype);
            case "linspace":
                return dtype is { } ld ? Tensor.Linspace(c.Double("start"), c.Double("end"), c.Int("steps"), ld)
                    : Tensor.Linspace(c.Double("start"), c.Double("end"), c.Int("steps"));
            case "eye":
                return dtype is { } ed ? Tensor.Eye(c.Int("n"), c.Has("m") ? c.Int("m") : null, ed)
                    : Tensor.Eye(c.Int("n"), c.Has("m") ? c.Int("m") : null);
            case "full":
                var fill = c.Raw("fill_value");
                if (fill.ValueKind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)
                    return dtype is { } bd ? Tensor.Full(c.Ints("size"), fill.GetBoolean() ? 1.0 : 0.0, bd) : Tensor.Full(c.Ints("size"), fill.GetBoolean());
                // A JSON integer is a Python int: C#'s long overload infers Int64 like torch.full.
                if (c.IsInteger("fill_value"))
                    return dtype is { } id ? Tensor.Full(c.Ints("size"), (long)c.Double("fill_value"), id) : Tensor.Full(c.Ints("size"), (long)c.Double("fill_value"));
                return dtype is { } fd ? Tensor.Full(c.Ints("size"), c.Double("fill_value"), fd) : Tensor.Full(c.Ints("size"), c.Double("fill_value"));
            default:
                throw new NotSupportedException($"{c.Name}: no Nabla mapping for op '{c.Op}'.");
        }
    }
}
