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
/// per backend — candle's <c>UnaryOpT</c> does the same. Fused ops whose state a backward needs return
/// it as a backend-owned object (<see cref="AttentionState"/>, <see cref="RecurrentBuffers"/>) that only the same backend reads.
/// Code that still reads CPU buffers directly (<c>Tensor.Data</c>) fails on another device with an error that names it.
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
    /// <summary>
    /// Inverted dropout of a contiguous floating x: element n (row-major) times 1/(1 − p) when the counter hash of
    /// (<paramref name="seed"/>, n) keeps it (<see cref="CounterHash"/>: its top 24 bits read as u ∈ [0, 1), kept when u ≥ p),
    /// times 0 otherwise; a new tensor of x's shape. 0 ≤ p &lt; 1.
    /// </summary>
    Tensor Dropout(Tensor x, double p, ulong seed);

    /// <summary>
    /// Fused softmax(Q Kᵀ·scale + mask) V over float32 query [*, L, E], key [*, S, E], value [*, S, Ev] (strided views with the
    /// same batch dims *, all sizes positive); <paramref name="additiveMask"/> is null or a float32 tensor broadcastable to
    /// [*, L, S]; key j is hidden from query i when <paramref name="isCausal"/> and j &gt; i; a row with no visible key gives 0.
    /// With <paramref name="dropoutP"/> &gt; 0 weight (b, i, j) is kept when <see cref="Attention.Keeps"/> says so for
    /// <paramref name="dropoutSeed"/> and scaled by 1/(1 − p). Returns the output [*, L, Ev] (any strides) and what the
    /// backward of this backend reads.
    /// </summary>
    (Tensor Output, AttentionState State) ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? additiveMask,
        bool isCausal, double scale, double dropoutP, ulong dropoutSeed);

    /// <summary>
    /// The gradients of Q, K and V of the attention <paramref name="state"/> from the float32 output gradient
    /// <paramref name="gradOutput"/> [*, L, Ev] and the forward's <paramref name="output"/>; null where not wanted.
    /// </summary>
    (Tensor? Query, Tensor? Key, Tensor? Value) ScaledDotProductAttentionBackward(AttentionState state, Tensor output, Tensor gradOutput,
        bool needQuery, bool needKey, bool needValue);

    /// <summary>The dropout factors Z [*, L, S] (1/(1 − p) where kept, else 0) of the attention <paramref name="state"/>, for the composite backward.</summary>
    Tensor AttentionDropoutFactors(AttentionState state);

    /// <summary>
    /// One LSTM step from contiguous gate pre-activations [N, 4H] (i, f, g, o) and contiguous c [N, H]: c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g),
    /// h′ = σ(o) ⊙ tanh(c′). Returns h′ and c′ packed [2, N, H], and the gate activations [N, 4H] and tanh c′ [N, H] that
    /// <see cref="LstmCellBackward"/> reads.
    /// </summary>
    (Tensor Packed, Tensor Activations, Tensor TanhCNext) LstmCell(Tensor gates, Tensor c);

    /// <summary>
    /// The LSTM step's backward from the contiguous packed gradient [2, N, H] (d h′, d c′) and what <see cref="LstmCell"/>
    /// returned: d gates [N, 4H] (of the pre-activations) and d c [N, H].
    /// </summary>
    (Tensor Gates, Tensor C) LstmCellBackward(Tensor g, Tensor activations, Tensor c, Tensor tanhCNext);

    /// <summary>
    /// One GRU step from the input projections [N, 3H] (r, z, n; any layout), the contiguous hidden projections [N, 3H] and
    /// contiguous h [N, H]: r = σ(xᵣ + hᵣ), z = σ(x_z + h_z), n = tanh(xₙ + r ⊙ hₙ), h′ = (1 − z) ⊙ n + z ⊙ h. Returns h′,
    /// and the gate activations [N, 3H] and hₙ [N, H] that <see cref="GruCellBackward"/> reads.
    /// </summary>
    (Tensor H, Tensor Activations, Tensor HiddenN) GruCell(Tensor inputGates, Tensor hiddenGates, Tensor h);

    /// <summary>The GRU step's backward from d h′ [N, H] and what <see cref="GruCell"/> returned: d input projections, d hidden projections [N, 3H] and d h [N, H].</summary>
    (Tensor InputGates, Tensor HiddenGates, Tensor H) GruCellBackward(Tensor g, Tensor activations, Tensor h, Tensor hiddenN);

    /// <summary>
    /// A recurrent layer's whole time loop in one direction over contiguous input [T, N, I] from h0 (and c0, LSTM) [N, H] with
    /// contiguous weight_ih [G·H, I], weight_hh [G·H, H] and biases [G·H] (either may be null): the states packed [T + 1, N, H]
    /// ([T + 2, N, H] for the LSTM, c_T last) as <see cref="Tensor.RecurrentOutputs"/> reads them, and the buffers the backward
    /// reads, to be given back with <see cref="ReleaseRecurrentBuffers"/>.
    /// </summary>
    (Tensor Packed, RecurrentBuffers Buffers) RecurrentSequence(RecurrentMode mode, Tensor input, Tensor h0, Tensor? c0,
        Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool reverse);

    /// <summary>
    /// Back-propagation through time of <see cref="RecurrentSequence"/> from the contiguous gradient of its packed states:
    /// d input (when <paramref name="inputGrad"/>), d h0, d c0 (LSTM), d weights and d biases (those that exist).
    /// </summary>
    RecurrentGradients RecurrentSequenceBackward(RecurrentMode mode, bool reverse, Tensor input, Tensor weightIh, Tensor weightHh,
        bool hasBiasIh, bool hasBiasHh, Tensor packed, RecurrentBuffers buffers, Tensor gradPacked, bool inputGrad);

    /// <summary>Gives back the buffers of a <see cref="RecurrentSequence"/> call; they must not be read again.</summary>
    void ReleaseRecurrentBuffers(RecurrentBuffers buffers);

    /// <summary>The inverse of each of the <paramref name="batch"/> contiguous n×n matrices of a (floating); <paramref name="singular"/>[b] set where matrix b has none.</summary>
    Tensor Inverse(Tensor a, int batch, int n, bool[] singular);

    /// <summary>The determinant of each of the <paramref name="batch"/> contiguous n×n matrices of a (floating), shape a.shape[..^2]; 1 for 0×0, +0 when singular.</summary>
    Tensor Det(Tensor a, int batch, int n);

    /// <summary>
    /// Solves A X = B in place for <paramref name="batch"/> systems: <paramref name="a"/> contiguous [batch·n·n] (overwritten),
    /// <paramref name="b"/> contiguous [batch·n·k] of the same floating dtype, holding B and receiving X; singular[b] set where A has no inverse.
    /// </summary>
    void Solve(Tensor a, Tensor b, int batch, int n, int k, bool[] singular);

    /// <summary>
    /// Eigenvalues (ascending, [..., n]) and orthonormal eigenvectors (columns, [..., n, n]) of the symmetric matrices whose lower
    /// triangles a (contiguous, floating) holds, each eigenvector's largest-magnitude component positive (ties within a relative √ε: the lowest index).
    /// </summary>
    (Tensor Values, Tensor Vectors) EigH(Tensor a, int batch, int n);

    /// <summary>
    /// destination = opₖ(… op₁(source)) for contiguous floating tensors of one size and dtype (destination may be source):
    /// the elementwise chain of a compiled graph.
    /// </summary>
    void UnaryChain(Tensor source, Tensor destination, ChainOp[] ops);
    /// <summary>
    /// One optimizer step in place: <paramref name="update"/>, the optimizer's rule written once beside its formula, applied to
    /// every element of the contiguous parameter, its gradient and up to three state buffers (null where the rule has none),
    /// all of element type <typeparamref name="T"/> and one length.
    /// </summary>
    void OptimizerUpdate<T, TUpdate>(in TUpdate update, Tensor parameter, Tensor grad, Tensor? a, Tensor? b, Tensor? c)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        where TUpdate : struct, IVectorUpdate<T>;
}
