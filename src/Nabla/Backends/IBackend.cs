using Nabla.Backends.Cpu;

namespace Nabla.Backends;

/// <summary>
/// What a device must provide to run Nabla's ops: storage allocation, and one entry point per
/// primitive op, named after the op, taking tensor views (a <see cref="Storage"/> plus its layout:
/// shape, strides, offset) that the op has already validated and brought to a common dtype.
/// A backend owns dtype dispatch (which typed kernel runs) and threading; it knows nothing of
/// autograd. <c>Ops/*</c> validate, call the backend of their operands' device, then record the
/// backward with <c>Node.Record</c>.
/// </summary>
/// <remarks>
/// The elementwise entry points are generic over the op's kernel type (<see cref="IFloatRow"/>,
/// <see cref="IArithmeticRow"/>, <see cref="ICompareRow"/>, <see cref="IActivationGradient"/>):
/// one struct per op carries its vectorised row (used by the CPU backend) and its defining scalar
/// formula (used by the reference backend), so a new elementwise op is one struct, not one method
/// per backend — candle's <c>UnaryOpT</c> does the same. Ops not listed here still call the CPU
/// kernels directly; on another device they fail with an error that names them.
/// </remarks>
internal interface IBackend
{
    /// <summary>The device this backend computes on.</summary>
    Device Device { get; }

    /// <summary>A new contiguous tensor on this device; zero-filled when <paramref name="zeroed"/>, else its contents are undefined.</summary>
    Tensor Allocate(int[] shape, DType dtype, bool zeroed, string op);

    /// <summary>destination = source, broadcast to destination's shape and converted to its dtype; destination may be strided (an in-place write).</summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary>f(x) for a floating-point unary op <typeparamref name="TOp"/>; x is Float32 or Float64.</summary>
    Tensor Unary<TOp>(Tensor x) where TOp : IFloatRow;

    /// <summary>x for x &gt; 0, else slope·x (x floating).</summary>
    Tensor LeakyRelu(Tensor x, double negativeSlope);

    /// <summary>LeakyRelu's first-order backward, g for x &gt; 0 else slope·g, on contiguous g and x of one shape and floating dtype.</summary>
    Tensor LeakyReluBackward(Tensor g, Tensor x, double negativeSlope);

    /// <summary>x for x &gt; 0, else α(eˣ − 1) (x floating).</summary>
    Tensor Elu(Tensor x, double alpha);

    /// <summary>g ⊙ f'(y) from an activation's output y; g and y contiguous, same shape and floating dtype.</summary>
    Tensor ActivationBackward<TGradient>(Tensor g, Tensor y) where TGradient : IActivationGradient;

    /// <summary>f(a, b) broadcast to <paramref name="shape"/>; a and b have the same dtype (not Bool), which the result has.</summary>
    Tensor Binary<TOp>(Tensor a, Tensor b, int[] shape) where TOp : IArithmeticRow;

    /// <summary>aᵇ broadcast to <paramref name="shape"/>; a and b have the same floating dtype.</summary>
    Tensor Pow(Tensor a, Tensor b, int[] shape);

    /// <summary>The Bool tensor f(a, b) broadcast to <paramref name="shape"/>; a and b have the same dtype (not Bool).</summary>
    Tensor Compare<TOp>(Tensor a, Tensor b, int[] shape) where TOp : ICompareRow;

    /// <summary>condition ? x : y broadcast to <paramref name="shape"/>; condition is Bool, x and y share a dtype.</summary>
    Tensor Where(Tensor condition, Tensor x, Tensor y, int[] shape);

    /// <summary>
    /// Sums a contiguous [outer, reduce, inner] arrangement over its middle dim into a tensor of
    /// <paramref name="resultShape"/> (outer·inner elements) of the input's dtype (Float32, Float64, Int64 or Int32).
    /// </summary>
    Tensor Sum(Tensor data, int outer, int reduce, int inner, int[] resultShape);

    /// <summary>Products over the middle dim of a contiguous [outer, reduce] arrangement (Float32, Float64 or Int64; an empty product is 1).</summary>
    Tensor Prod(Tensor data, int outer, int reduce, int[] resultShape);

    /// <summary>
    /// The Int64 index of the largest (or smallest) element of each row of a contiguous [outer, reduce]
    /// arrangement; the first one on ties, the first NaN when there is one. Not Bool.
    /// </summary>
    Tensor ArgExtremum(Tensor data, int outer, int reduce, int[] resultShape, bool max);

    /// <summary>Running sums along the middle dim of a contiguous [outer, n, inner] arrangement (Float32, Float64 or Int64).</summary>
    Tensor CumSum(Tensor source, int outer, int n, int inner);

    /// <summary>Softmax (or log-softmax) of each row of length <paramref name="n"/> of a contiguous floating tensor, max-shifted.</summary>
    Tensor Softmax(Tensor rows, int n, bool log);

    /// <summary>
    /// result[p] = source[p with p[dim] = index[p]] over the positions p of the Int64 <paramref name="index"/>
    /// (negative indices count from the end); returns the first out-of-range index, or null.
    /// </summary>
    long? Gather(Tensor source, int dim, Tensor index, Tensor result);

    /// <summary>
    /// The slices of <paramref name="source"/> along <paramref name="dim"/> at the positions of the contiguous
    /// 1-D Int64 <paramref name="index"/>, into the contiguous <paramref name="result"/>; returns the first out-of-range index
    /// (negative ones included, as PyTorch's index_select), or null.
    /// </summary>
    long? IndexSelect(Tensor source, int dim, Tensor index, Tensor result);

    /// <summary>
    /// target[p with p[dim] = index[p]] = values[p] (or += when <paramref name="accumulate"/>), in place;
    /// values share target's dtype. Returns the first out-of-range index, or null.
    /// </summary>
    long? Scatter(Tensor target, int dim, Tensor index, Tensor values, bool accumulate);

    /// <summary>
    /// Batched matrix product of x [..., n, k] and y [..., k, m] (strided; batch dims already
    /// broadcast to <paramref name="result"/>'s) into the contiguous <paramref name="result"/> [..., n, m],
    /// added to its contents when <paramref name="accumulate"/>. Float32 or Float64.
    /// </summary>
    void MatMul(Tensor x, Tensor y, Tensor result, bool accumulate);

    /// <summary>
    /// A linear layer, result = act(x·weightᵀ + bias): x [n, in] and weight [out, in] strided, bias [out] or null, into the
    /// contiguous <paramref name="result"/> [n, out], all of one dtype (Float32 or Float64). The bias and
    /// <paramref name="activation"/> are the product's store epilogue, not further passes over the result.
    /// </summary>
    void Linear(Tensor x, Tensor weight, Tensor? bias, GemmActivation activation, Tensor result);

    /// <summary>
    /// conv(x, weight) + bias over contiguous operands of one floating dtype: x [N, Cin, H, W], weight
    /// [Cout, Cin / groups, kh, kw], bias [Cout] or null, all sizes those of <paramref name="g"/>; a new [N, Cout, Hout, Wout].
    /// </summary>
    Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dGeometry g);

    /// <summary>
    /// convᵀ(x, weight) + bias, the adjoint in the input of the convolution <paramref name="g"/>: x [N, Cout, Hout, Wout],
    /// weight [Cout, Cin / groups, kh, kw], bias [Cin] or null, contiguous and of one floating dtype; a new [N, Cin, H, W].
    /// </summary>
    Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dGeometry g);

    /// <summary>
    /// The weight gradient of the convolution <paramref name="g"/>, Σ over batch and output positions of x·gy:
    /// x [N, Cin, H, W] and gy [N, Cout, Hout, Wout] contiguous of one floating dtype; a new [Cout, Cin / groups, kh, kw].
    /// </summary>
    Tensor Conv2dBackwardWeight(Tensor x, Tensor gy, in Conv2dGeometry g);

    /// <summary>Σ_{n,h,w} g[n, c, h, w] of a contiguous floating [N, C, H, W] (a convolution's bias gradient); a new [C].</summary>
    Tensor ChannelSum(Tensor g);

    /// <summary>
    /// Max pooling of a contiguous floating [N, C, H, W] over the windows of <paramref name="g"/> (padding is −∞, a NaN wins):
    /// the maxima and, as Int64, each one's flat position h·W + w within its plane; both [N, C, Hout, Wout].
    /// </summary>
    (Tensor Values, Tensor Indices) MaxPool2d(Tensor x, Pool2dGeometry g);

    /// <summary>
    /// Adaptive max pooling of a contiguous floating [N, C, H, W] to [N, C, outHeight, outWidth] (output cell i covers
    /// input rows [⌊i·H/out⌋, ⌈(i+1)·H/out⌉), likewise columns): maxima and flat in-plane positions as <see cref="MaxPool2d"/>.
    /// </summary>
    (Tensor Values, Tensor Indices) AdaptiveMaxPool2d(Tensor x, int outHeight, int outWidth);

    /// <summary>
    /// A max pooling's backward: zeros of <paramref name="inputShape"/> [N, C, H, W] with g[n, c, o] added at in-plane position
    /// indices[n, c, o]; g and the Int64 indices contiguous [N, C, Hout, Wout].
    /// </summary>
    Tensor MaxPool2dBackward(Tensor g, Tensor indices, int[] inputShape);

    /// <summary>
    /// Average pooling of a contiguous floating [N, C, H, W] over the windows of <paramref name="g"/> (zero padding): each window's
    /// sum over <paramref name="divisorOverride"/> when positive, else over its size counted with padding (clipped at H + padding,
    /// PyTorch's pool_size) when <paramref name="countIncludePad"/>, else over its input pixels; a new [N, C, Hout, Wout].
    /// </summary>
    Tensor AvgPool2d(Tensor x, Pool2dGeometry g, bool countIncludePad, int divisorOverride);

    /// <summary>The adjoint of <see cref="AvgPool2d"/>: each input pixel of a window receives the window's gradient over its divisor; a new [N, C, H, W].</summary>
    Tensor AvgPool2dBackward(Tensor gy, Pool2dGeometry g, bool countIncludePad, int divisorOverride);

    /// <summary>Adaptive average pooling of a contiguous floating [N, C, H, W] to [N, C, outHeight, outWidth] (windows as <see cref="AdaptiveMaxPool2d"/>).</summary>
    Tensor AdaptiveAvgPool2d(Tensor x, int outHeight, int outWidth);

    /// <summary>The adjoint of <see cref="AdaptiveAvgPool2d"/>: from a contiguous gy [N, C, Hout, Wout], a new [N, C, inHeight, inWidth].</summary>
    Tensor AdaptiveAvgPool2dBackward(Tensor gy, int inHeight, int inWidth);

    /// <summary>
    /// Training-mode batch normalisation of a contiguous floating x [batch, channels, plane]: fills the per-channel batch
    /// <paramref name="mean"/>, biased <paramref name="variance"/> and <paramref name="inverseStd"/> σ⁻¹ = 1/√(σ² + ε), and
    /// returns a new y = (x − μ)·σ⁻¹·γ + β of x's shape.
    /// </summary>
    Tensor BatchNorm(Tensor x, int batch, int channels, int plane, double[] gamma, double[] beta, double eps,
        double[] mean, double[] variance, double[] inverseStd);

    /// <summary>
    /// Eval-mode batch normalisation of a contiguous floating x [batch, channels, plane] with the given per-channel statistics:
    /// a new y = (x − μ)·γ/√(σ² + ε) + β, the scale and shift folded per channel in double first.
    /// </summary>
    Tensor BatchNormInference(Tensor x, int batch, int channels, int plane, double[] mean, double[] variance, double[] gamma, double[] beta, double eps);

    /// <summary>
    /// The backward of <see cref="BatchNorm"/> given contiguous x and dy of one dtype: fills <paramref name="gradSum"/>[c] = Σdy
    /// and <paramref name="centeredSum"/>[c] = Σdy·(x − μ), and returns dx = γσ⁻¹·(dy − Σdy/M − (x − μ)·σ⁻²·Σdy·(x − μ)/M)
    /// (M = batch·plane) when <paramref name="needInput"/>, else null.
    /// </summary>
    Tensor? BatchNormBackward(Tensor x, Tensor dy, int batch, int channels, int plane, double[] mean, double[] inverseStd, double[] gamma,
        double[] gradSum, double[] centeredSum, bool needInput);

    /// <summary>
    /// Cross-entropy of each row of contiguous floating logits [rows, classes] against its contiguous Int64 label [rows]:
    /// <paramref name="logSumExp"/>[r] = ln Σ eˣ, <paramref name="perRow"/>[r] = logSumExp[r] − x[r, label] (0 where the label is
    /// <paramref name="ignoreIndex"/>), both contiguous [rows] of the logits' dtype, and <paramref name="kept"/> the rows not ignored.
    /// Returns the first label that is neither ignored nor in [0, classes) (then nothing is computed), or null.
    /// </summary>
    long? CrossEntropy(Tensor logits, Tensor labels, long ignoreIndex, Tensor perRow, Tensor logSumExp, out int kept);

    /// <summary>
    /// The gradient of <see cref="CrossEntropy"/>: s_r·(softmax(x_r) − onehot(label_r)), 0 for ignored rows, with s_r from the
    /// contiguous <paramref name="rowScale"/> [rows] when given, else <paramref name="scale"/>; a new tensor of the logits' shape.
    /// </summary>
    Tensor CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, long ignoreIndex, Tensor? rowScale, double scale);

    /// <summary>The Int64 one-hot encoding [.., numClasses] of contiguous Int64 class values, all already checked to lie in [0, numClasses).</summary>
    Tensor OneHot(Tensor values, int numClasses);
}
