namespace Nabla.NN;

/// <summary>
/// Weight initialisation (<c>torch.nn.init</c>): each function fills a tensor in place without
/// recording autograd, from the optional <c>generator</c> or <see cref="Generator.Default"/>, and
/// returns it. The formulas are PyTorch's, so the same recipe starts from the same distribution.
/// </summary>
public static class Init
{
    /// <summary>Fills with U(low, high) (<c>uniform_</c>).</summary>
    public static Tensor Uniform_(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        using (Autograd.NoGrad()) return tensor.Uniform_(low, high, generator);
    }

    /// <summary>Fills with N(mean, std²) (<c>normal_</c>).</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        using (Autograd.NoGrad()) return tensor.Normal_(mean, std, generator);
    }

    /// <summary>
    /// Fills with N(mean, std²) truncated to [a, b] by redrawing values outside (<c>trunc_normal_</c>,
    /// which uses the inverse CDF instead; the distribution is the same).
    /// </summary>
    public static Tensor TruncNormal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2, Generator? generator = null)
    {
        if (!(a < b)) throw new ArgumentException($"TruncNormal_: the bounds must satisfy a < b, got a = {a}, b = {b}.");
        generator ??= Generator.Default;
        var values = new double[tensor.NumElements];
        var draw = new double[1];
        for (int i = 0; i < values.Length; i++)
        {
            double v;
            // Rejection sampling; with the default ±2σ bounds 95% of draws are accepted.
            do { generator.FillNormal(draw, mean, std); v = draw[0]; } while (v < a || v > b);
            values[i] = v;
        }
        return CopyInto(tensor, values);
    }

    /// <summary>Fills with <paramref name="value"/> (<c>constant_</c>).</summary>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        using (Autograd.NoGrad()) return tensor.Fill_(value);
    }

    /// <summary>Fills with 0 (<c>zeros_</c>).</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    /// <summary>Fills with 1 (<c>ones_</c>).</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1);

    /// <summary>Fills a 2-D tensor with the identity matrix (<c>eye_</c>).</summary>
    public static Tensor Eye_(Tensor tensor)
    {
        if (tensor.Rank != 2) throw new ShapeException($"Eye_: expects a 2-D tensor, got shape {tensor.Shape}.");
        using (Autograd.NoGrad()) return tensor.Copy_(Tensor.Eye(tensor.Size(0), tensor.Size(1), tensor.DType));
    }

    /// <summary>
    /// The recommended gain for a nonlinearity (<c>calculate_gain</c>): 1 for linear, conv and
    /// sigmoid; 5/3 for tanh; √2 for relu; √(2 / (1 + a²)) for leaky_relu with slope a
    /// (<paramref name="param"/>, default 0.01); 3/4 for selu.
    /// </summary>
    public static double CalculateGain(string nonlinearity, double? param = null) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid" => 1,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2),
        "leaky_relu" => Math.Sqrt(2 / (1 + Math.Pow(param ?? 0.01, 2))),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"CalculateGain: unsupported nonlinearity \"{nonlinearity}\".", nameof(nonlinearity)),
    };

    /// <summary>
    /// (fan_in, fan_out) of a weight (<c>_calculate_fan_in_and_fan_out</c>): for shape
    /// [out, in, k₁, …], fan_in = in·k₁·…, fan_out = out·k₁·…. Needs at least 2 dims.
    /// </summary>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        if (tensor.Rank < 2)
            throw new ShapeException($"CalculateFanInAndFanOut: fan in and fan out cannot be computed for a tensor with fewer than 2 dims, got shape {tensor.Shape}.");
        int receptiveField = 1;
        for (int d = 2; d < tensor.Rank; d++) receptiveField *= tensor.Size(d);
        return (tensor.Size(1) * receptiveField, tensor.Size(0) * receptiveField);
    }

    /// <summary>
    /// Glorot uniform (<c>xavier_uniform_</c>): U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).
    /// </summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        double bound = Math.Sqrt(3) * std;
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>Glorot normal (<c>xavier_normal_</c>): N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// He uniform (<c>kaiming_uniform_</c>): U(−b, b) with b = gain·√(3 / fan), gain =
    /// CalculateGain(nonlinearity, a), fan = fan_in or fan_out per <paramref name="mode"/>.
    /// Linear layers use a = √5, which gives b = 1/√fan_in.
    /// </summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        double std = KaimingStd(tensor, a, mode, nonlinearity, "KaimingUniform_");
        double bound = Math.Sqrt(3) * std;
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>He normal (<c>kaiming_normal_</c>): N(0, std²) with std = gain / √fan.</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null) =>
        Normal_(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity, "KaimingNormal_"), generator);

    static double KaimingStd(Tensor tensor, double a, string mode, string nonlinearity, string op)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        if (tensor.NumElements == 0) return 0; // PyTorch: initialising a zero-element tensor is a no-op
        int fan = mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"{op}: mode must be \"fan_in\" or \"fan_out\", got \"{mode}\".", nameof(mode)),
        };
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    /// <summary>
    /// A (semi-)orthogonal matrix times <paramref name="gain"/> (<c>orthogonal_</c>): the Q of the
    /// QR decomposition of a normal random [rows, numel/rows] matrix (transposed when wider than
    /// tall), with signs fixed so that R's diagonal is positive, making Q uniform (Haar).
    /// </summary>
    public static Tensor Orthogonal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        if (tensor.Rank < 2) throw new ShapeException($"Orthogonal_: only tensors with 2 or more dims are supported, got shape {tensor.Shape}.");
        if (tensor.NumElements == 0) return tensor;
        int rows = tensor.Size(0), columns = (int)(tensor.NumElements / rows);
        bool wide = rows < columns;
        int m = wide ? columns : rows, n = wide ? rows : columns; // the QR is of an m×n matrix, m ≥ n
        var a = new double[m * n];
        (generator ?? Generator.Default).FillNormal(a);
        // Modified Gram–Schmidt on the columns of A (row-major m×n): Q's columns, R's diagonal positive.
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
                for (int i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
            }
            double norm = 0;
            for (int i = 0; i < m; i++) norm += a[i * n + j] * a[i * n + j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < m; i++) a[i * n + j] /= norm;
        }
        var q = new double[rows * columns];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                q[wide ? j * columns + i : i * columns + j] = gain * a[i * n + j];
        return CopyInto(tensor, q);
    }

    static Tensor CopyInto(Tensor tensor, double[] values)
    {
        using (Autograd.NoGrad()) return tensor.Copy_(Tensor.From(values, tensor.Shape.ToArray()));
    }
}
