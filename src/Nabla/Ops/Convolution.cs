using Nabla.Jit;
using Nabla.Backends;
using Nabla.Backends.Cpu;

namespace Nabla;

// Convolutions over NCHW data: Conv2d, ConvTranspose2d and Conv1d (a Conv2d of height 1).
// The three passes of one convolution geometry are adjoint to each other, so every backward here
// is again one of these ops and can itself be differentiated (double backward, Hessians):
//   y  = conv(x, W) + b
//   ∂x = convᵀ(g, W)              — ConvTranspose2d with the output padding that restores x's size
//   ∂W = weightgrad(x, g)          — its own op; its backward is convᵀ(g, ∂∂W) for x and conv(x, ∂∂W) for g
//   ∂b = Σ_{n,h,w} g
// and for the transposed convolution y = convᵀ(x, W) + b: ∂x = conv(g, W), ∂W = weightgrad(g, x).
public partial class Tensor
{
    /// <summary>
    /// 2-D convolution (<c>torch.nn.functional.conv2d</c>): input [N, Cin, H, W] (or unbatched [Cin, H, W]),
    /// weight [Cout, Cin / groups, kh, kw], bias [Cout] → [N, Cout, Hout, Wout] with
    /// Hout = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1. Float32 or Float64, all operands the same dtype.
    /// Differentiable in input, weight and bias, to any order.
    /// </summary>
    /// <param name="input">[N, Cin, H, W] or [Cin, H, W].</param>
    /// <param name="weight">[Cout, Cin / groups, kh, kw].</param>
    /// <param name="bias">[Cout], or null.</param>
    /// <param name="stride">Step between windows; 1 by default.</param>
    /// <param name="padding">Zeros added on each side; 0 by default.</param>
    /// <param name="dilation">Spacing between kernel elements; 1 by default.</param>
    /// <param name="groups">Input and output channels are split into this many independent groups.</param>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Pair2d? stride = null, Pair2d padding = default, Pair2d? dilation = null, int groups = 1)
    {
        var p = new ConvParams(stride ?? 1, padding, dilation ?? 1, groups);
        CheckConvolution("Conv2d", input, weight, bias, [p.Stride.H, p.Stride.W], [p.Padding.H, p.Padding.W], [p.Dilation.H, p.Dilation.W], groups, outputPadding: null);
        bool unbatched = input.Rank == 3;
        var result = Conv2dCore(unbatched ? input.Unsqueeze(0) : input, weight, bias, p);
        if (unbatched) result = result.Squeeze(0);
        if (Tracer.IsActive) Tracer.Record(GraphOps.Conv2d, result, [input, weight, bias], new() { ["stride"] = new[] { p.Stride.H, p.Stride.W }, ["padding"] = new[] { p.Padding.H, p.Padding.W }, ["dilation"] = new[] { p.Dilation.H, p.Dilation.W }, ["groups"] = groups });
        return result;
    }

    /// <summary>
    /// 2-D transposed convolution (<c>torch.nn.functional.conv_transpose2d</c>), the adjoint of <see cref="Conv2d"/>:
    /// input [N, Cin, H, W] (or [Cin, H, W]), weight [Cin, Cout / groups, kh, kw], bias [Cout] →
    /// [N, Cout, Hout, Wout], Hout = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1.
    /// Differentiable in input, weight and bias, to any order.
    /// </summary>
    /// <param name="input">[N, Cin, H, W] or [Cin, H, W].</param>
    /// <param name="weight">[Cin, Cout / groups, kh, kw] (PyTorch's layout for transposed convolutions).</param>
    /// <param name="bias">[Cout], or null.</param>
    /// <param name="stride">Stride of the convolution this one transposes; 1 by default.</param>
    /// <param name="padding">Padding of the convolution this one transposes (removed from the output); 0 by default.</param>
    /// <param name="outputPadding">Rows/columns added at the bottom/right of the output to pick one of the sizes a strided
    /// convolution maps to the same size; must be smaller than the stride or the dilation.</param>
    /// <param name="groups">Number of independent channel groups.</param>
    /// <param name="dilation">Spacing between kernel elements; 1 by default.</param>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, Pair2d? stride = null, Pair2d padding = default,
        Pair2d outputPadding = default, int groups = 1, Pair2d? dilation = null)
    {
        var p = new ConvParams(stride ?? 1, padding, dilation ?? 1, groups);
        CheckConvolution("ConvTranspose2d", input, weight, bias, [p.Stride.H, p.Stride.W], [p.Padding.H, p.Padding.W], [p.Dilation.H, p.Dilation.W], groups,
            [outputPadding.H, outputPadding.W]);
        bool unbatched = input.Rank == 3;
        var result = ConvTranspose2dCore(unbatched ? input.Unsqueeze(0) : input, weight, bias, p, outputPadding);
        if (unbatched) result = result.Squeeze(0);
        if (Tracer.IsActive)
            Tracer.Record(GraphOps.ConvTranspose2d, result, [input, weight, bias], new()
            {
                ["stride"] = new[] { p.Stride.H, p.Stride.W },
                ["padding"] = new[] { p.Padding.H, p.Padding.W },
                ["output_padding"] = new[] { outputPadding.H, outputPadding.W },
                ["dilation"] = new[] { p.Dilation.H, p.Dilation.W },
                ["groups"] = groups
            });
        return result;
    }

    /// <summary>
    /// 1-D convolution (<c>torch.nn.functional.conv1d</c>): input [N, Cin, L] (or [Cin, L]), weight [Cout, Cin / groups, k],
    /// bias [Cout] → [N, Cout, Lout]. Computed as a <see cref="Conv2d"/> of height 1 over views, so it shares its gradients.
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        CheckConvolution("Conv1d", input, weight, bias, [stride], [padding], [dilation], groups, outputPadding: null);
        bool unbatched = input.Rank == 2;
        var x = (unbatched ? input.Unsqueeze(0) : input).Unsqueeze(2);
        var weight2d = weight.Unsqueeze(2);
        var planes = Conv2dCore(x, weight2d, bias, new ConvParams((1, stride), (0, padding), (1, dilation), groups));
        // Traced as what it computes: a Conv2d of height 1 between two reshapes (they fold away for a frozen weight).
        if (Tracer.IsActive) Tracer.Record(GraphOps.Conv2d, planes, [x, weight2d, bias], new() { ["stride"] = new[] { 1, stride }, ["padding"] = new[] { 0, padding }, ["dilation"] = new[] { 1, dilation }, ["groups"] = groups });
        var result = planes.Squeeze(2);
        return unbatched ? result.Squeeze(0) : result;
    }

    /// <summary>Stride, padding, dilation and groups of one convolution.</summary>
    internal readonly record struct ConvParams(Pair2d Stride, Pair2d Padding, Pair2d Dilation, int Groups)
    {
        /// <summary>The convolution of a 4-D input by a [Cout, Cin/G, kh, kw] weight.</summary>
        public Conv2dGeometry Geometry(int[] input, int[] weight) => new(
            input[0], input[1], input[2], input[3], weight[0], weight[2], weight[3],
            Stride.H, Stride.W, Padding.H, Padding.W, Dilation.H, Dilation.W, Groups);

        /// <summary>The convolution that a transposed convolution of a 4-D input by a [Cin, Cout/G, kh, kw] weight is the adjoint of.</summary>
        public Conv2dGeometry TransposeGeometry(int[] input, int[] weight, Pair2d outputPadding) => Conv2dGeometry.ForTranspose(
            input[0], input[1], input[2], input[3], weight[1] * Groups, weight[2], weight[3],
            Stride.H, Stride.W, Padding.H, Padding.W, outputPadding.H, outputPadding.W, Dilation.H, Dilation.W, Groups);

        /// <summary>
        /// The output padding with which the transposed convolution of a [.., outHeight, outWidth] tensor has
        /// exactly the size [.., inHeight, inWidth]: the rows a strided convolution never reached.
        /// </summary>
        public Pair2d OutputPaddingFor(int inHeight, int inWidth, int outHeight, int outWidth, int kernelHeight, int kernelWidth) => new(
            inHeight + 2 * Padding.H - Dilation.H * (kernelHeight - 1) - 1 - (outHeight - 1) * Stride.H,
            inWidth + 2 * Padding.W - Dilation.W * (kernelWidth - 1) - 1 - (outWidth - 1) * Stride.W);
    }

    /// <summary>Conv2d of validated 4-D operands, recorded for autograd.</summary>
    static Tensor Conv2dCore(Tensor x, Tensor w, Tensor? b, ConvParams p)
    {
        var result = RunConvolution(ConvPass.Forward, p.Geometry(x.shape, w.shape), x, w, b);
        if (Node.ShouldRecord(b is null ? [x, w] : [x, w, b]))
        {
            bool needX = x.RequiresGrad, needW = w.RequiresGrad, needB = b?.RequiresGrad ?? false;
            var inputShape = x.shape;
            Node.Record(result, "ConvolutionBackward0", b is null ? [x, w] : [x, w, b], g =>
            {
                var gx = needX ? ConvTranspose2dCore(g, w, null, p,
                    p.OutputPaddingFor(inputShape[2], inputShape[3], g.shape[2], g.shape[3], w.shape[2], w.shape[3])) : null;
                var gw = needW ? ConvWeightGradient(x, g, w.shape, p) : null;
                return b is null ? [gx, gw] : [gx, gw, needB ? ChannelSum(g) : null];
            }, x, w);
        }
        return result;
    }

    /// <summary>ConvTranspose2d of validated 4-D operands, recorded for autograd.</summary>
    static Tensor ConvTranspose2dCore(Tensor x, Tensor w, Tensor? b, ConvParams p, Pair2d outputPadding)
    {
        var result = RunConvolution(ConvPass.Transpose, p.TransposeGeometry(x.shape, w.shape, outputPadding), x, w, b);
        if (Node.ShouldRecord(b is null ? [x, w] : [x, w, b]))
        {
            bool needX = x.RequiresGrad, needW = w.RequiresGrad, needB = b?.RequiresGrad ?? false;
            Node.Record(result, "ConvolutionBackward0", b is null ? [x, w] : [x, w, b], g =>
            {
                // convᵀ(x, W) is the input gradient of conv(·, W) over g's size: its adjoint in x is conv(g, W),
                // and in W the weight gradient of that convolution with input g and output gradient x.
                var gx = needX ? Conv2dCore(g, w, null, p) : null;
                var gw = needW ? ConvWeightGradient(g, x, w.shape, p) : null;
                return b is null ? [gx, gw] : [gx, gw, needB ? ChannelSum(g) : null];
            }, x, w);
        }
        return result;
    }

    /// <summary>
    /// ∂⟨conv(x, W), gy⟩/∂W for the convolution of <paramref name="x"/> by a weight of <paramref name="weightShape"/>.
    /// Bilinear in x and gy: with ggW the gradient arriving at its output, ⟨ggW, weightgrad(x, gy)⟩ = ⟨conv(x, ggW), gy⟩,
    /// so its gradients are convᵀ(gy, ggW) for x and conv(x, ggW) for gy.
    /// </summary>
    static Tensor ConvWeightGradient(Tensor x, Tensor gy, int[] weightShape, ConvParams p)
    {
        var geometry = p.Geometry(x.shape, weightShape);
        var result = RunConvolution(ConvPass.Weight, geometry, x, gy, null);
        if (Node.ShouldRecord(x, gy))
        {
            bool needX = x.RequiresGrad, needGy = gy.RequiresGrad;
            var inputShape = x.shape;
            Node.Record(result, "ConvolutionBackwardBackward0", [x, gy], ggw => [
                needX ? ConvTranspose2dCore(gy, ggw, null, p,
                    p.OutputPaddingFor(inputShape[2], inputShape[3], gy.shape[2], gy.shape[3], weightShape[2], weightShape[3])) : null,
                needGy ? Conv2dCore(x, ggw, null, p) : null,
            ], x, gy);
        }
        return result;
    }

    /// <summary>
    /// Σ_{n,h,w} g[n, c, h, w], the bias gradient: the same as <c>g.Sum([0, 2, 3])</c>, without its permuted copy of g.
    /// Its backward broadcasts the incoming [C] gradient back over g's shape.
    /// </summary>
    static Tensor ChannelSum(Tensor g)
    {
        int channels = g.shape[1];
        var result = Backend.Of(g).ChannelSum(g.PackedForKernel());
        if (Node.ShouldRecord(g))
        {
            var shape = g.shape;
            Node.Record(result, "SumBackward1", [g], gg => [gg.View(1, channels, 1, 1).Expand(shape)]);
        }
        return result;
    }

    enum ConvPass { Forward, Transpose, Weight }

    /// <summary>
    /// Runs one kernel pass of <paramref name="g"/> on packed copies of the operands (no autograd):
    /// Forward: conv(a, b) + bias; Transpose: convᵀ(a, b) + bias; Weight: weightgrad(input a, output gradient b).
    /// </summary>
    static Tensor RunConvolution(ConvPass pass, in Conv2dGeometry g, Tensor a, Tensor b, Tensor? bias)
    {
        int[] shape = pass switch
        {
            ConvPass.Forward => [g.Batch, g.OutChannels, g.OutHeight, g.OutWidth],
            ConvPass.Transpose => [g.Batch, g.InChannels, g.InHeight, g.InWidth],
            _ => [g.OutChannels, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth],
        };
        string op = pass == ConvPass.Transpose ? "ConvTranspose2d" : "Conv2d";
        var backend = bias is null ? Backend.Of(op, a, b) : Backend.Of(op, a, b, bias);
        // An empty output, or an empty batch (whose weight gradient is zero).
        if (Shape.CheckedNumel(shape, op) == 0 || a.Count == 0 || b.Count == 0) return backend.Allocate(shape, a.DType, zeroed: true, op);
        a = a.PackedForKernel();
        b = b.PackedForKernel();
        bias = bias?.PackedForKernel();
        return pass switch
        {
            ConvPass.Forward => backend.Conv2d(a, b, bias, g),
            ConvPass.Transpose => backend.ConvTranspose2d(a, b, bias, g),
            _ => backend.Conv2dBackwardWeight(a, b, g),
        };
    }

    /// <summary>This tensor's data contiguous, cut from the graph: what a raw kernel reads.</summary>
    internal Tensor PackedForKernel() => IsContiguous ? this : Detach().Clone();

    /// <summary>
    /// The public-boundary checks shared by Conv1d, Conv2d and ConvTranspose2d (spatial dims = stride.Length):
    /// floating dtypes that agree, ranks, positive stride/dilation, non-negative padding, groups dividing the
    /// channels, channel counts that fit the weight, the bias shape, and a kernel that fits the padded input.
    /// </summary>
    static void CheckConvolution(string op, Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups, int[]? outputPadding)
    {
        int spatial = stride.Length;
        bool transposed = outputPadding != null;
        string Tuple(int[] values) => spatial == 1 ? $"({values[0]},)" : $"({string.Join(", ", values)})";

        if (!input.DType.IsFloatingPoint() || input.DType != weight.DType || (bias != null && bias.DType != input.DType))
            throw new DTypeException($"{op}: input ({input.DType}), weight ({weight.DType})" +
                (bias is null ? "" : $" and bias ({bias.DType})") + " must be the same floating-point dtype (Float32 or Float64).");
        if (input.Rank != spatial + 1 && input.Rank != spatial + 2)
            throw new ShapeException($"{op}: expects a {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) input, got shape {input.Shape}.");
        if (weight.Rank != spatial + 2)
            throw new ShapeException($"{op}: expects a {spatial + 2}-D weight, got shape {weight.Shape}.");
        if (groups < 1) throw new ArgumentException($"{op}: groups must be positive, got {groups}.", nameof(groups));
        for (int i = 0; i < spatial; i++)
        {
            if (stride[i] < 1) throw new ArgumentException($"{op}: stride must be positive, got {Tuple(stride)}.", nameof(stride));
            if (dilation[i] < 1) throw new ArgumentException($"{op}: dilation must be positive, got {Tuple(dilation)}.", nameof(dilation));
            if (padding[i] < 0) throw new ArgumentException($"{op}: padding must be non-negative, got {Tuple(padding)}.", nameof(padding));
            if (outputPadding != null && (outputPadding[i] < 0 || outputPadding[i] >= Math.Max(stride[i], dilation[i])))
                throw new ArgumentException($"{op}: output padding {Tuple(outputPadding)} must be non-negative and smaller than the stride {Tuple(stride)} or the dilation {Tuple(dilation)}.", nameof(outputPadding));
        }

        int channelDim = input.Rank - spatial - 1;
        int channels = input.shape[channelDim];
        int outChannels;
        if (!transposed)
        {
            if (weight.shape[0] % groups != 0)
                throw new ShapeException($"{op}: weight {weight.Shape} has {weight.shape[0]} output channels, which groups {groups} does not divide.");
            if (channels != weight.shape[1] * groups)
                throw new ShapeException($"{op}: input of shape {input.Shape} has {channels} channels but weight {weight.Shape} expects {weight.shape[1] * groups} (groups {groups}).");
            outChannels = weight.shape[0];
        }
        else
        {
            if (weight.shape[0] % groups != 0)
                throw new ShapeException($"{op}: weight {weight.Shape} has {weight.shape[0]} input channels, which groups {groups} does not divide.");
            if (channels != weight.shape[0])
                throw new ShapeException($"{op}: input of shape {input.Shape} has {channels} channels but weight {weight.Shape} expects {weight.shape[0]} (groups {groups}).");
            outChannels = weight.shape[1] * groups;
        }
        if (bias != null && (bias.Rank != 1 || bias.shape[0] != outChannels))
            throw new ShapeException($"{op}: bias must have shape [{outChannels}] (one value per output channel of weight {weight.Shape}), got {bias.Shape}.");

        var size = input.shape[(channelDim + 1)..];
        var kernel = weight.shape[2..];
        for (int i = 0; i < spatial; i++)
        {
            if (size[i] < 1) throw new ShapeException($"{op}: input of shape {input.Shape} has an empty spatial dimension.");
            long effective = (long)dilation[i] * (kernel[i] - 1) + 1;
            if (!transposed && size[i] + 2L * padding[i] < effective)
                throw new ShapeException($"{op}: kernel {Shape.Format(kernel)} (dilation {Tuple(dilation)}) is larger than the padded input " +
                    $"{Shape.Format(size.Select((s, j) => s + 2 * padding[j]).ToArray())} (input {input.Shape}, padding {Tuple(padding)}).");
            if (transposed && (size[i] - 1L) * stride[i] - 2L * padding[i] + effective + outputPadding![i] < 1)
                throw new ShapeException($"{op}: the output would be empty for input {input.Shape}, weight {weight.Shape}, stride {Tuple(stride)} and padding {Tuple(padding)}.");
        }
    }
}
