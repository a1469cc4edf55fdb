using Nabla.Jit;
using Nabla.Backends;
using Nabla.Backends.Cpu;

namespace Nabla;

// Pooling over NCHW data: max (with indices), average and their adaptive forms, plus 1-D forms
// through a height-1 view. Each op is linear in its input once its windows (and, for max, the
// argmax indices) are fixed, so its backward is the adjoint map — a kernel pass recorded as an op
// whose own backward is the forward map again (average pooling), or a gather by the saved indices
// (max pooling). Every gradient is therefore differentiable to any order.
public partial class Tensor
{
    /// <summary>
    /// 2-D max pooling (<c>torch.nn.functional.max_pool2d</c>) over [N, C, H, W] or [C, H, W]:
    /// the largest value of each kernelSize window (NaN wins), windows spaced by stride
    /// (default: kernelSize), on the input padded with −∞.
    /// </summary>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit −∞ padding on each side, at most half the kernel.</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Round the output size up, so that a partial window at the end counts.</param>
    public Tensor MaxPool2d(Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default, Pair2d? dilation = null, bool ceilMode = false)
    {
        var result = MaxPoolCore("MaxPool2d", this, kernelSize, stride ?? kernelSize, padding, dilation ?? 1, ceilMode, indicesReturned: false).Values;
        if (Tracer.IsActive) Tracer.Record(GraphOps.MaxPool2d, result, [this], new() { ["kernel_size"] = Pair(kernelSize), ["stride"] = Pair(stride ?? kernelSize), ["padding"] = Pair(padding), ["dilation"] = Pair(dilation ?? 1), ["ceil_mode"] = ceilMode });
        return result;
    }

    static int[] Pair(Pair2d pair) => [pair.H, pair.W];

    /// <summary>
    /// <see cref="MaxPool2d"/> that also returns the position of each maximum (Int64, flat index h·W + w
    /// within its plane: PyTorch's <c>return_indices=True</c>, as <c>MaxUnpool2d</c> reads it).
    /// </summary>
    public (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default,
        Pair2d? dilation = null, bool ceilMode = false) =>
        MaxPoolCore("MaxPool2d", this, kernelSize, stride ?? kernelSize, padding, dilation ?? 1, ceilMode, indicesReturned: true);

    /// <summary>1-D max pooling (<c>max_pool1d</c>) over [N, C, L] or [C, L], a <see cref="MaxPool2d"/> of height 1.</summary>
    public Tensor MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        Check1dInput("MaxPool1d", this);
        var planes = Unsqueeze(-2);
        var (values, _) = MaxPoolCore("MaxPool1d", planes, (1, kernelSize), (1, stride ?? kernelSize), (0, padding), (1, dilation), ceilMode, indicesReturned: false);
        // Traced as the MaxPool2d of height 1 it computes.
        if (Tracer.IsActive) Tracer.Record(GraphOps.MaxPool2d, values, [planes], new() { ["kernel_size"] = new[] { 1, kernelSize }, ["stride"] = new[] { 1, stride ?? kernelSize }, ["padding"] = new[] { 0, padding }, ["dilation"] = new[] { 1, dilation }, ["ceil_mode"] = ceilMode });
        return values.Squeeze(-2);
    }

    /// <summary>
    /// 2-D average pooling (<c>torch.nn.functional.avg_pool2d</c>) over [N, C, H, W] or [C, H, W].
    /// </summary>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step between windows; defaults to <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Implicit zero padding on each side, at most half the kernel.</param>
    /// <param name="ceilMode">Round the output size up, so that a partial window at the end counts.</param>
    /// <param name="countIncludePad">Divide by the window size including the zero padding (default), else by the input pixels in it.</param>
    /// <param name="divisorOverride">Divide every window by this instead.</param>
    public Tensor AvgPool2d(Pair2d kernelSize, Pair2d? stride = null, Pair2d padding = default, bool ceilMode = false,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        var result = AvgPoolCore("AvgPool2d", this, kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad, divisorOverride);
        if (Tracer.IsActive) Tracer.Record(GraphOps.AvgPool2d, result, [this], new() { ["kernel_size"] = Pair(kernelSize), ["stride"] = Pair(stride ?? kernelSize), ["padding"] = Pair(padding), ["ceil_mode"] = ceilMode, ["count_include_pad"] = countIncludePad, ["divisor_override"] = divisorOverride ?? 0 });
        return result;
    }

    /// <summary>1-D average pooling (<c>avg_pool1d</c>) over [N, C, L] or [C, L], an <see cref="AvgPool2d"/> of height 1.</summary>
    public Tensor AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        Check1dInput("AvgPool1d", this);
        var planes = Unsqueeze(-2);
        var values = AvgPoolCore("AvgPool1d", planes, (1, kernelSize), (1, stride ?? kernelSize), (0, padding), ceilMode, countIncludePad, null);
        // Traced as the AvgPool2d of height 1 it computes.
        if (Tracer.IsActive) Tracer.Record(GraphOps.AvgPool2d, values, [planes], new() { ["kernel_size"] = new[] { 1, kernelSize }, ["stride"] = new[] { 1, stride ?? kernelSize }, ["padding"] = new[] { 0, padding }, ["ceil_mode"] = ceilMode, ["count_include_pad"] = countIncludePad, ["divisor_override"] = 0 });
        return values.Squeeze(-2);
    }

    /// <summary>
    /// Adaptive average pooling (<c>adaptive_avg_pool2d</c>) of [N, C, H, W] or [C, H, W] to
    /// [.., outputSize.H, outputSize.W]: output cell i averages input rows [⌊i·H/out⌋, ⌈(i+1)·H/out⌉), likewise columns.
    /// </summary>
    public Tensor AdaptiveAvgPool2d(Pair2d outputSize)
    {
        var (x, unbatched) = CheckAdaptive("AdaptiveAvgPool2d", this, outputSize);
        int inH = x.shape[2], inW = x.shape[3];
        var map = new PoolingMap("AdaptiveAvgPool2D",
            (backend, t) => backend.AdaptiveAvgPool2d(t, outputSize.H, outputSize.W),
            (backend, t) => backend.AdaptiveAvgPool2dBackward(t, inH, inW));
        var result = ApplyPoolingMap(x, map, adjoint: false);
        if (unbatched) result = result.Squeeze(0);
        if (Tracer.IsActive) Tracer.Record(GraphOps.AdaptiveAvgPool2d, result, [this], new() { ["output_size"] = Pair(outputSize) });
        return result;
    }

    /// <summary>
    /// Adaptive max pooling (<c>adaptive_max_pool2d</c>) of [N, C, H, W] or [C, H, W] to [.., outputSize.H, outputSize.W],
    /// windows as in <see cref="AdaptiveAvgPool2d"/>.
    /// </summary>
    public Tensor AdaptiveMaxPool2d(Pair2d outputSize)
    {
        var result = AdaptiveMaxPoolCore(outputSize, indicesReturned: false).Values;
        if (Tracer.IsActive) Tracer.Record(GraphOps.AdaptiveMaxPool2d, result, [this], new() { ["output_size"] = Pair(outputSize) });
        return result;
    }

    /// <summary><see cref="AdaptiveMaxPool2d"/> that also returns the flat in-plane position of each maximum.</summary>
    public (Tensor Values, Tensor Indices) AdaptiveMaxPool2dWithIndices(Pair2d outputSize) => AdaptiveMaxPoolCore(outputSize, indicesReturned: true);

    (Tensor Values, Tensor Indices) AdaptiveMaxPoolCore(Pair2d outputSize, bool indicesReturned)
    {
        var (x, unbatched) = CheckAdaptive("AdaptiveMaxPool2d", this, outputSize);
        var (values, indices) = Backend.Of(x).AdaptiveMaxPool2d(x.PackedForKernel(), outputSize.H, outputSize.W);
        RecordArgMax(values, x, indices, "AdaptiveMaxPool2DBackward0", indicesReturned);
        return unbatched ? (values.Squeeze(0), indices.Squeeze(0)) : (values, indices);
    }

    static (Tensor Values, Tensor Indices) MaxPoolCore(string op, Tensor input, Pair2d kernel, Pair2d stride, Pair2d padding, Pair2d dilation, bool ceilMode,
        bool indicesReturned)
    {
        var (x, g, unbatched) = CheckPool(op, input, kernel, stride, padding, dilation, ceilMode);
        var (values, indices) = Backend.Of(x).MaxPool2d(x.PackedForKernel(), g);
        RecordArgMax(values, x, indices, "MaxPool2DWithIndicesBackward0", indicesReturned);
        return unbatched ? (values.Squeeze(0), indices.Squeeze(0)) : (values, indices);
    }

    static Tensor AvgPoolCore(string op, Tensor input, Pair2d kernel, Pair2d stride, Pair2d padding, bool ceilMode, bool countIncludePad, int? divisorOverride)
    {
        if (divisorOverride is <= 0)
            throw new ArgumentException($"{op}: divisorOverride must be positive, got {divisorOverride}.", nameof(divisorOverride));
        var (x, g, unbatched) = CheckPool(op, input, kernel, stride, padding, 1, ceilMode);
        int divisor = divisorOverride ?? 0; // the kernel's "no override"
        var map = new PoolingMap("AvgPool2D",
            (backend, t) => backend.AvgPool2d(t, g, countIncludePad, divisor),
            (backend, t) => backend.AvgPool2dBackward(t, g, countIncludePad, divisor));
        var result = ApplyPoolingMap(x, map, adjoint: false);
        return unbatched ? result.Squeeze(0) : result;
    }

    /// <summary>
    /// A linear pooling map A (<paramref name="Forward"/>) and its adjoint Aᵀ (<paramref name="Adjoint"/>), each run by the backend of its
    /// operand on a contiguous tensor; named as PyTorch names its backward.
    /// </summary>
    sealed record PoolingMap(string Name, Func<IBackend, Tensor, Tensor> Forward, Func<IBackend, Tensor, Tensor> Adjoint);

    /// <summary>y = A x (or Aᵀ x with <paramref name="adjoint"/>); recorded with backward Aᵀ g (or A g), so gradients of any order follow.</summary>
    static Tensor ApplyPoolingMap(Tensor x, PoolingMap map, bool adjoint)
    {
        var result = (adjoint ? map.Adjoint : map.Forward)(Backend.Of(x), x.PackedForKernel());
        if (Node.ShouldRecord(x))
            Node.Record(result, map.Name + (adjoint ? "BackwardBackward0" : "Backward0"), [x], g => [ApplyPoolingMap(g, map, !adjoint)]);
        return result;
    }

    /// <summary>
    /// Records y = x[indices] (per plane): the backward scatters g to the saved positions (a kernel pass), and
    /// that scatter's backward gathers again, so the max-pooling gradient is itself differentiable.
    /// Indices that only this backward reads (not <paramref name="indicesReturned"/> to the caller) are the node's
    /// <see cref="Node.BackwardScratch"/>: the engine gives them back to the buffer pool once the backward has run
    /// (ResNet's stem pooling saves megabytes of Int64 indices per step).
    /// </summary>
    static void RecordArgMax(Tensor values, Tensor x, Tensor indices, string name, bool indicesReturned)
    {
        if (!Node.ShouldRecord(x)) return;
        var inputShape = x.shape;
        Node.Record(values, name, [x], g => [ScatterToPlanes(g, indices, inputShape)]);
        if (!indicesReturned) values.gradFn!.BackwardScratch = indices;
    }

    /// <summary>result[n, c, indices[n, c, o]] += g[n, c, o] over zeros of <paramref name="inputShape"/>.</summary>
    static Tensor ScatterToPlanes(Tensor g, Tensor indices, int[] inputShape)
    {
        var result = Backend.Of("MaxPool2d", g, indices).MaxPool2dBackward(g.PackedForKernel(), indices, inputShape);
        if (Node.ShouldRecord(g))
            Node.Record(result, "MaxPool2DWithIndicesBackwardBackward0", [g], gg =>
                [gg.Flatten(2).Gather(2, indices.Flatten(2)).View(indices.shape)]);
        return result;
    }

    /// <summary>Validates a 2-D pooling's arguments and input; returns the input as 4-D and its geometry.</summary>
    static (Tensor X, Pool2dGeometry Geometry, bool Unbatched) CheckPool(string op, Tensor input, Pair2d kernel, Pair2d stride, Pair2d padding, Pair2d dilation, bool ceilMode)
    {
        CheckPoolInput(op, input);
        if (kernel.H < 1 || kernel.W < 1) throw new ArgumentException($"{op}: kernel size must be positive, got {kernel}.", nameof(kernel));
        if (stride.H < 1 || stride.W < 1) throw new ArgumentException($"{op}: stride must be positive, got {stride}.", nameof(stride));
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentException($"{op}: dilation must be positive, got {dilation}.", nameof(dilation));
        if (padding.H < 0 || padding.W < 0 || padding.H > kernel.H / 2 || padding.W > kernel.W / 2)
            throw new ArgumentException($"{op}: padding {padding} must be non-negative and at most half the kernel size {kernel}.", nameof(padding));
        bool unbatched = input.Rank == 3;
        var x = unbatched ? input.Unsqueeze(0) : input;
        var g = new Pool2dGeometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], kernel.H, kernel.W, stride.H, stride.W,
            padding.H, padding.W, dilation.H, dilation.W, ceilMode);
        if (g.OutHeight < 1 || g.OutWidth < 1)
            throw new ShapeException($"{op}: input of shape {input.Shape} is too small for kernel {kernel} (stride {stride}, padding {padding}, dilation {dilation}): " +
                $"the output would be {g.OutHeight}x{g.OutWidth}.");
        return (x, g, unbatched);
    }

    static (Tensor X, bool Unbatched) CheckAdaptive(string op, Tensor input, Pair2d outputSize)
    {
        CheckPoolInput(op, input);
        if (outputSize.H < 1 || outputSize.W < 1)
            throw new ArgumentException($"{op}: output size must be positive, got {outputSize}.", nameof(outputSize));
        bool unbatched = input.Rank == 3;
        return (unbatched ? input.Unsqueeze(0) : input, unbatched);
    }

    static void CheckPoolInput(string op, Tensor input)
    {
        if (!input.DType.IsFloatingPoint())
            throw new DTypeException($"{op}: expects a Float32 or Float64 input, got {input.DType}.");
        if (input.Rank != 3 && input.Rank != 4)
            throw new ShapeException($"{op}: expects a 3-D (unbatched) or 4-D (batched) input, got shape {input.Shape}.");
        if (input.shape[^1] < 1 || input.shape[^2] < 1 || input.shape[^3] < 1)
            throw new ShapeException($"{op}: input of shape {input.Shape} has an empty channel or spatial dimension.");
    }

    static void Check1dInput(string op, Tensor input)
    {
        if (input.Rank != 2 && input.Rank != 3)
            throw new ShapeException($"{op}: expects a 2-D (unbatched) or 3-D (batched) input, got shape {input.Shape}.");
    }
}
