namespace Nabla.NN;

/// <summary>
/// What the convolution layers share (<c>torch.nn.modules.conv._ConvNd</c>): channel counts, groups,
/// the <c>weight</c> and <c>bias</c> parameters, PyTorch's default initialisation, the non-zero padding
/// modes and the printed settings. <see cref="Conv1d"/>, <see cref="Conv2d"/> and <see cref="ConvTranspose2d"/>
/// derive from it.
/// </summary>
public abstract class ConvNd : Module<Tensor, Tensor>
{
    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>Number of independent channel groups.</summary>
    public int Groups { get; }

    /// <summary>How the input is padded: <c>"zeros"</c>, <c>"reflect"</c>, <c>"replicate"</c> or <c>"circular"</c>.</summary>
    public string PaddingMode { get; }

    /// <summary>The kernel: [outChannels, inChannels / groups, *kernelSize], or [inChannels, outChannels / groups, *kernelSize] for transposed convolutions.</summary>
    public Parameter Weight { get; private set; }

    /// <summary>One value per output channel, [outChannels]; null when built with <c>bias: false</c>.</summary>
    public Parameter? Bias { get; private set; }

    private protected ConvNd(string op, int inChannels, int outChannels, int[] kernelSize, int groups, bool bias, bool transposed, string paddingMode, DType dtype)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentException($"{op}: channel counts must be positive, got inChannels = {inChannels}, outChannels = {outChannels}.");
        if (groups < 1) throw new ArgumentException($"{op}: groups must be positive, got {groups}.", nameof(groups));
        if (inChannels % groups != 0) throw new ArgumentException($"{op}: inChannels ({inChannels}) must be divisible by groups ({groups}).", nameof(groups));
        if (outChannels % groups != 0) throw new ArgumentException($"{op}: outChannels ({outChannels}) must be divisible by groups ({groups}).", nameof(groups));
        if (kernelSize.Any(k => k < 1)) throw new ArgumentException($"{op}: kernel size must be positive, got {FormatTuple(kernelSize)}.", nameof(kernelSize));
        if (paddingMode is not ("zeros" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"{op}: paddingMode must be \"zeros\", \"reflect\", \"replicate\" or \"circular\", got \"{paddingMode}\".", nameof(paddingMode));
        if (transposed && paddingMode != "zeros")
            throw new ArgumentException($"{op}: only \"zeros\" padding mode is supported, got \"{paddingMode}\".", nameof(paddingMode));
        if (!dtype.IsFloatingPoint()) throw new DTypeException($"{op}: parameters must be floating-point, got {dtype}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        PaddingMode = paddingMode;
        int[] shape = transposed ? [inChannels, outChannels / groups, .. kernelSize] : [outChannels, inChannels / groups, .. kernelSize];
        Weight = new Parameter(Tensor.Empty(shape, dtype));
        Bias = bias ? new Parameter(Tensor.Empty([outChannels], dtype)) : null;
        ResetParameters();
    }

    /// <summary>
    /// PyTorch's default: weight ~ KaimingUniform(a = √5), i.e. U(−1/√fanIn, 1/√fanIn), and bias ~ U(−1/√fanIn, 1/√fanIn),
    /// with fanIn = weight.Size(1)·∏kernelSize.
    /// </summary>
    public void ResetParameters()
    {
        Init.KaimingUniform_(Weight, a: Math.Sqrt(5));
        if (Bias != null)
        {
            var (fanIn, _) = Init.CalculateFanInAndFanOut(Weight);
            if (fanIn != 0) Init.Uniform_(Bias, -1 / Math.Sqrt(fanIn), 1 / Math.Sqrt(fanIn));
        }
    }

    /// <summary>
    /// PyTorch's <c>extra_repr</c>: <c>1, 6, kernel_size=(5, 5), stride=(1, 1)</c>, then padding, dilation, output padding,
    /// groups, bias and padding mode where they differ from their defaults.
    /// </summary>
    private protected string ConvRepr(int[] kernelSize, int[] stride, ConvPadding padding, int[] dilation, int[]? outputPadding)
    {
        int dims = kernelSize.Length;
        var text = $"{InChannels}, {OutChannels}, kernel_size={FormatTuple(kernelSize)}, stride={FormatTuple(stride)}";
        if (padding.Mode != null) text += $", padding={padding.Mode}";
        else if (padding.Size != new Pair2d(0, 0)) text += $", padding={FormatTuple(dims == 1 ? [padding.Size.W] : [padding.Size.H, padding.Size.W])}";
        if (dilation.Any(d => d != 1)) text += $", dilation={FormatTuple(dilation)}";
        if (outputPadding != null && outputPadding.Any(p => p != 0)) text += $", output_padding={FormatTuple(outputPadding)}";
        if (Groups != 1) text += $", groups={Groups}";
        if (Bias is null) text += ", bias=False";
        if (PaddingMode != "zeros") text += $", padding_mode={PaddingMode}";
        return text;
    }

    /// <summary>Checks a string padding when the layer is built, as PyTorch does, rather than at the first forward.</summary>
    private protected static void CheckPadding(string op, ConvPadding padding)
    {
        if (padding.Mode is not (null or "same" or "valid"))
            throw new ArgumentException($"{op}: padding must be a size, \"same\" or \"valid\", got \"{padding.Mode}\".", nameof(padding));
        if (padding.Mode is null && (padding.Size.H < 0 || padding.Size.W < 0))
            throw new ArgumentException($"{op}: padding must be non-negative, got {padding.Size}.", nameof(padding));
    }

    /// <summary>Zeros (or mode values) before and after along one spatial dim for <paramref name="padding"/>.</summary>
    private protected static (int Before, int After) PaddingAlong(ConvPadding padding, int explicitSize, int input, int kernel, int stride, int dilation)
    {
        if (padding.Mode == "valid") return (0, 0);
        if (padding.Mode != "same") return (explicitSize, explicitSize);
        return Functional.SamePadding(input, kernel, stride, dilation);
    }

    /// <summary>
    /// Pads the trailing spatial dims of <paramref name="input"/> by <see cref="PaddingMode"/> ("reflect": mirror without
    /// repeating the edge, "replicate": repeat the edge, "circular": wrap around), as PyTorch pads before convolving
    /// when the mode is not "zeros". Built from IndexSelect, so gradients flow back to the padded-from pixels.
    /// </summary>
    private protected Tensor PadByMode(Tensor input, (int Before, int After)[] padding)
    {
        var x = input;
        for (int i = 0; i < padding.Length; i++)
        {
            int dim = input.Rank - padding.Length + i;
            int size = input.Size(dim);
            var (before, after) = padding[i];
            if (before == 0 && after == 0) continue;
            if (PaddingMode == "reflect" && (before >= size || after >= size))
                throw new ShapeException($"{TypeName}: reflect padding ({before}, {after}) must be smaller than the input size {size} (input {input.Shape}).");
            if (PaddingMode == "circular" && (before > size || after > size))
                throw new ShapeException($"{TypeName}: circular padding ({before}, {after}) must be at most the input size {size} (input {input.Shape}).");
            var index = new long[before + size + after];
            for (int j = 0; j < index.Length; j++)
            {
                int source = j - before;
                index[j] = PaddingMode switch
                {
                    "reflect" => source < 0 ? -source : source >= size ? 2 * (size - 1) - source : source,
                    "replicate" => Math.Clamp(source, 0, size - 1),
                    _ => ((source % size) + size) % size,
                };
            }
            x = x.IndexSelect(dim, Tensor.From(index));
        }
        return x;
    }
}
