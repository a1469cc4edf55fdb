namespace Nabla;

// Factory functions: torch.zeros, torch.arange, torch.randn, torch.tensor …
public partial class Tensor
{
    static Tensor Filled(ReadOnlySpan<int> shape, double value, DType dtype, bool requiresGrad, string op, Device? device)
    {
        var dims = shape.ToArray();
        var t = OfStorage(Storage.Allocate(dtype, Shape.CheckedNumel(dims, op), device), dims);
        if (value != 0) t.FillRaw(value);
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Fills a contiguous tensor's buffer with one value, ignoring autograd.</summary>
    internal void FillRaw(double value)
    {
        switch (storage.Data)
        {
            case float[] a: a.AsSpan(offset, Count).Fill((float)value); break;
            case double[] a: a.AsSpan(offset, Count).Fill(value); break;
            case long[] a: a.AsSpan(offset, Count).Fill((long)value); break;
            case int[] a: a.AsSpan(offset, Count).Fill((int)value); break;
            case byte[] a: a.AsSpan(offset, Count).Fill((byte)value); break;
            case bool[] a: a.AsSpan(offset, Count).Fill(value != 0); break;
        }
    }

    /// <summary>A tensor of zeros (<c>torch.zeros</c>).</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape.AsSpan());
    /// <summary>A tensor of zeros (<c>torch.zeros</c>) on <paramref name="device"/> (default: <see cref="Device.Default"/>).</summary>
    public static Tensor Zeros(ReadOnlySpan<int> shape, DType dtype = DType.Float32, bool requiresGrad = false, Device? device = null) => Filled(shape, 0, dtype, requiresGrad, "Zeros", device);

    /// <summary>A tensor of ones (<c>torch.ones</c>).</summary>
    public static Tensor Ones(params int[] shape) => Ones(shape.AsSpan());
    /// <summary>A tensor of ones (<c>torch.ones</c>) on <paramref name="device"/> (default: <see cref="Device.Default"/>).</summary>
    public static Tensor Ones(ReadOnlySpan<int> shape, DType dtype = DType.Float32, bool requiresGrad = false, Device? device = null) => Filled(shape, 1, dtype, requiresGrad, "Ones", device);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>).</summary>
    public static Tensor Full(ReadOnlySpan<int> shape, double value, DType dtype = DType.Float32, bool requiresGrad = false, Device? device = null) => Filled(shape, value, dtype, requiresGrad, "Full", device);

    /// <summary>A tensor filled with an integer (Int64 unless <paramref name="dtype"/> says otherwise), like <c>torch.full(size, 3)</c>.</summary>
    public static Tensor Full(ReadOnlySpan<int> shape, long value, DType dtype = DType.Int64, bool requiresGrad = false, Device? device = null) => Filled(shape, value, dtype, requiresGrad, "Full", device);

    /// <summary>A Bool tensor filled with <paramref name="value"/>, like <c>torch.full(size, True)</c>.</summary>
    public static Tensor Full(ReadOnlySpan<int> shape, bool value, Device? device = null) => Filled(shape, value ? 1 : 0, DType.Bool, false, "Full", device);

    /// <summary>A tensor whose contents are unspecified (<c>torch.empty</c>); Nabla gives zeros for small ones.</summary>
    public static Tensor Empty(ReadOnlySpan<int> shape, DType dtype = DType.Float32, Device? device = null) => Uninitialized(shape.ToArray(), dtype, "Empty", device);

    /// <summary>Zeros shaped and typed like <paramref name="other"/>, on its device.</summary>
    public static Tensor ZerosLike(Tensor other, DType? dtype = null) => Zeros(other.shape, dtype ?? other.DType, device: other.Device);
    /// <summary>Ones shaped and typed like <paramref name="other"/>, on its device.</summary>
    public static Tensor OnesLike(Tensor other, DType? dtype = null) => Ones(other.shape, dtype ?? other.DType, device: other.Device);
    /// <summary>A constant shaped and typed like <paramref name="other"/>, on its device.</summary>
    public static Tensor FullLike(Tensor other, double value, DType? dtype = null) => Full(other.shape, value, dtype ?? other.DType, device: other.Device);
    /// <summary>Standard normal values shaped and typed like <paramref name="other"/>, on its device.</summary>
    public static Tensor RandnLike(Tensor other, DType? dtype = null, Generator? generator = null) => Randn(other.shape, dtype ?? other.DType, generator).To(other.Device);
    /// <summary>Uniform [0, 1) values shaped and typed like <paramref name="other"/>, on its device.</summary>
    public static Tensor RandLike(Tensor other, DType? dtype = null, Generator? generator = null) => Rand(other.shape, dtype ?? other.DType, generator).To(other.Device);

    /// <summary>The n×m identity matrix (<c>torch.eye</c>); m defaults to n.</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int columns = m ?? n;
        var t = Zeros([n, columns], dtype);
        for (int i = 0; i < Math.Min(n, columns); i++) t.SetFlat(i * columns + i, 1);
        return t;
    }

    /// <summary>Values from <paramref name="start"/> up to (not including) <paramref name="end"/> in steps (<c>torch.arange</c>).
    /// The dtype is Int64 when all arguments are whole numbers, else Float32, unless given.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero.", nameof(step));
        if (double.IsNaN(start) || double.IsNaN(end) || (end - start) / step < 0 && start != end)
            throw new ArgumentException($"Arange: the range from {start} to {end} with step {step} is empty in the wrong direction.");
        bool integral = start == Math.Floor(start) && end == Math.Floor(end) && step == Math.Floor(step);
        var type = dtype ?? (integral ? DType.Int64 : DType.Float32);
        int count = (int)Math.Max(0, Math.Ceiling((end - start) / step));
        var t = Zeros([count], type);
        for (int i = 0; i < count; i++) t.SetFlat(i, start + i * step);
        return t;
    }

    /// <summary>0, 1, …, <paramref name="end"/> − 1.</summary>
    public static Tensor Arange(int end, DType dtype = DType.Int64) => Arange(0, end, 1, dtype);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive (<c>torch.linspace</c>).</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        if (steps < 0) throw new ArgumentException($"Linspace: steps must be non-negative, got {steps}.", nameof(steps));
        var t = Zeros([steps], dtype);
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        // Like PyTorch, fill the second half backwards from the end so that the last value is exactly `end`.
        int half = steps / 2;
        for (int i = 0; i < steps; i++) t.SetFlat(i, i < half || steps == 1 ? start + step * i : end - step * (steps - 1 - i));
        return t;
    }

    /// <summary>Uniform values in [0, 1) (<c>torch.rand</c>).</summary>
    public static Tensor Rand(params int[] shape) => Rand(shape.AsSpan());
    /// <inheritdoc cref="Rand(int[])"/>
    public static Tensor Rand(ReadOnlySpan<int> shape, DType dtype = DType.Float32, Generator? generator = null, bool requiresGrad = false)
    {
        var t = Zeros(shape, CheckFloat(dtype, "Rand"));
        t.Uniform_(0, 1, generator);
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Standard normal values (<c>torch.randn</c>).</summary>
    public static Tensor Randn(params int[] shape) => Randn(shape.AsSpan());
    /// <inheritdoc cref="Randn(int[])"/>
    public static Tensor Randn(ReadOnlySpan<int> shape, DType dtype = DType.Float32, Generator? generator = null, bool requiresGrad = false)
    {
        var t = Zeros(shape, CheckFloat(dtype, "Randn"));
        t.Normal_(0, 1, generator);
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Uniform integers in [low, high) (<c>torch.randint</c>).</summary>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<int> shape, DType dtype = DType.Int64, Generator? generator = null)
    {
        if (high <= low) throw new ArgumentException($"RandInt: high ({high}) must be greater than low ({low}).");
        var g = generator ?? Generator.Default;
        var t = Zeros(shape, dtype);
        for (int i = 0; i < t.Count; i++) t.SetFlat(i, low + g.NextInt64(high - low));
        return t;
    }

    /// <summary>A random permutation of 0 … n−1 (<c>torch.randperm</c>), by Fisher–Yates.</summary>
    public static Tensor RandPerm(int n, Generator? generator = null, DType dtype = DType.Int64)
    {
        var g = generator ?? Generator.Default;
        var values = new long[n];
        for (int i = 0; i < n; i++) values[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
        var t = From(values);
        return dtype == DType.Int64 ? t : t.To(dtype);
    }

    /// <summary>Fills this tensor in place with uniform values in [low, high) (<c>uniform_</c>).</summary>
    public Tensor Uniform_(double low = 0, double high = 1, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var values = Uninitialized(shape, CheckFloat(DType, "Uniform_"));
        if (DType == DType.Float32) g.FillUniform(values.HostSpan<float>(), (float)low, (float)high);
        else g.FillUniform(values.HostSpan<double>(), low, high);
        // The new value depends on nothing: a tensor that had a history loses it (its gradient is zero).
        return InPlace("Uniform_", values, static (_, drawn) => drawn);
    }

    /// <summary>Fills this tensor in place with N(mean, std²) values (<c>normal_</c>).</summary>
    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var values = Uninitialized(shape, CheckFloat(DType, "Normal_"));
        if (DType == DType.Float32) g.FillNormal(values.HostSpan<float>(), (float)mean, (float)std);
        else g.FillNormal(values.HostSpan<double>(), mean, std);
        return InPlace("Normal_", values, static (_, drawn) => drawn);
    }

    /// <summary>Fills this tensor in place with one value (<c>fill_</c>).</summary>
    public Tensor Fill_(double value)
    {
        return InPlace("Fill_", Full([], value, DType), (_, filler) => filler.Expand(shape));
    }

    /// <summary>Fills this tensor with zeros in place (<c>zero_</c>).</summary>
    public Tensor Zero_() => Fill_(0);

    static DType CheckFloat(DType dtype, string op) => dtype.IsFloatingPoint()
        ? dtype
        : throw new DTypeException($"{op}: expected a floating-point dtype, got {dtype}.");

    /// <summary>A 1-D tensor over <paramref name="data"/> — shares its memory, no copy.</summary>
    public static Tensor From<T>(T[] data) where T : unmanaged => OfStorage(Storage.Wrap(data), [data.Length]);

    /// <summary>A tensor of the given shape over <paramref name="data"/> (row-major) — shares its memory, no copy.</summary>
    public static Tensor From<T>(T[] data, params int[] shape) where T : unmanaged
    {
        int count = Shape.CheckedNumel(shape, "From");
        if (count != data.Length)
            throw new ShapeException($"From: shape {Shape.Format(shape)} needs {count} elements but the array has {data.Length}.");
        return OfStorage(Storage.Wrap(data), (int[])shape.Clone());
    }

    /// <summary>A 0-dim tensor holding one value (<c>torch.tensor(3.5)</c>).</summary>
    public static Tensor From<T>(T value) where T : unmanaged => OfStorage(Storage.Wrap(new[] { value }), []);

    /// <summary>A tensor copied from a multi-dimensional array such as <c>float[,]</c> or <c>long[,,]</c>, keeping its shape.</summary>
    public static Tensor From(Array data)
    {
        var dtype = DTypes.Of(data.GetType().GetElementType()!);
        var shape = new int[data.Rank];
        for (int d = 0; d < data.Rank; d++) shape[d] = data.GetLength(d);
        var t = Zeros(shape, dtype);
        // Multi-dimensional arrays are stored row-major, so a block copy keeps the order.
        var bytes = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data), data.Length * dtype.ElementSize());
        bytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref t.storage.ByteRef, bytes.Length));
        return t;
    }

    /// <summary>Uses a C# number as a tensor operand (low priority in type promotion, like a Python number).</summary>
    internal static Tensor Wrap(double value) => Scalar(value, DType.Float64, wrapped: true);

    /// <summary>
    /// Wraps a number passed as a double to an API that also takes integers (Pow, Clamp, alpha):
    /// whole values count as integers so that integer tensors stay integral, as with a Python int.
    /// </summary>
    internal static Tensor WrapNumber(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 9007199254740992 ? Wrap((long)value) : Wrap(value);
    internal static Tensor Wrap(long value) => Scalar(value, DType.Int64, wrapped: true);
}
