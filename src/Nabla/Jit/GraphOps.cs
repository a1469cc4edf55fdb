namespace Nabla.Jit;

/// <summary>
/// The op vocabulary of a <see cref="Graph"/>: each name with its inputs and attributes, as tracing records them and
/// <see cref="CompiledModule"/> runs them. Inputs in brackets are optional (a null input). Attribute types: <c>int</c>,
/// <c>double</c>, <c>bool</c>, <c>string</c>, <c>int[]</c>; shape attributes use <see cref="Graph.Batch"/> for the batch size.
/// </summary>
public static class GraphOps
{
    /// <summary>y = x Wᵀ + b. Inputs: input [*, in], weight [out, in], [bias [out]].</summary>
    public const string Linear = "Linear";
    /// <summary>2-D convolution. Inputs: input [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], [bias]. Attributes: stride, padding, dilation (int[2]), groups (int).</summary>
    public const string Conv2d = "Conv2d";
    /// <summary>
    /// 2-D transposed convolution. Inputs: input [N, Cin, H, W], weight [Cin, Cout/groups, kh, kw], [bias [Cout]].
    /// Attributes: stride, padding, output_padding, dilation (int[2]), groups (int).
    /// </summary>
    public const string ConvTranspose2d = "ConvTranspose2d";
    /// <summary>Max pooling (MaxPool1d records it with height 1). Input [N, C, H, W]. Attributes: kernel_size, stride, padding, dilation (int[2]), ceil_mode (bool).</summary>
    public const string MaxPool2d = "MaxPool2d";
    /// <summary>Average pooling. Input [N, C, H, W]. Attributes: kernel_size, stride, padding (int[2]), ceil_mode, count_include_pad (bool), divisor_override (int, 0 for none).</summary>
    public const string AvgPool2d = "AvgPool2d";
    /// <summary>Adaptive average pooling. Attribute: output_size (int[2]).</summary>
    public const string AdaptiveAvgPool2d = "AdaptiveAvgPool2d";
    /// <summary>Adaptive max pooling. Attribute: output_size (int[2]).</summary>
    public const string AdaptiveMaxPool2d = "AdaptiveMaxPool2d";
    /// <summary>Inference batch norm with running statistics. Inputs: input [N, C, *], running_mean [C], running_var [C], [weight [C]], [bias [C]]. Attribute: eps (double).</summary>
    public const string BatchNorm = "BatchNorm";
    /// <summary>Layer norm over the trailing dims. Inputs: input, [weight], [bias]. Attributes: normalized_shape (int[]), eps (double).</summary>
    public const string LayerNorm = "LayerNorm";
    /// <summary>Local response normalisation across channels. Attributes: size (int), alpha, beta, k (double).</summary>
    public const string LocalResponseNorm = "LocalResponseNorm";
    /// <summary>Elementwise max(x, 0).</summary>
    public const string Relu = "Relu";
    /// <summary>Elementwise 1/(1+e⁻ˣ).</summary>
    public const string Sigmoid = "Sigmoid";
    /// <summary>Elementwise tanh.</summary>
    public const string Tanh = "Tanh";
    /// <summary>Elementwise eˣ.</summary>
    public const string Exp = "Exp";
    /// <summary>Elementwise ln x.</summary>
    public const string Log = "Log";
    /// <summary>Elementwise √x.</summary>
    public const string Sqrt = "Sqrt";
    /// <summary>Elementwise −x.</summary>
    public const string Neg = "Neg";
    /// <summary>GELU. Attribute: approximate ("none" or "tanh").</summary>
    public const string Gelu = "Gelu";
    /// <summary>Leaky ReLU. Attribute: negative_slope (double).</summary>
    public const string LeakyRelu = "LeakyRelu";
    /// <summary>Broadcast a + alpha·b. Attribute: alpha (double, 1 when absent).</summary>
    public const string Add = "Add";
    /// <summary>Broadcast a − alpha·b. Attribute: alpha (double, 1 when absent).</summary>
    public const string Sub = "Sub";
    /// <summary>Broadcast a·b.</summary>
    public const string Mul = "Mul";
    /// <summary>Broadcast a / b (true division).</summary>
    public const string Div = "Div";
    /// <summary>xᵖ. Attribute: exponent (double).</summary>
    public const string Pow = "Pow";
    /// <summary>Matrix product with NumPy's rules (batched, broadcast).</summary>
    public const string MatMul = "MatMul";
    /// <summary>Softmax along a dim. Attribute: dim (int).</summary>
    public const string Softmax = "Softmax";
    /// <summary>Log-softmax along a dim. Attribute: dim (int).</summary>
    public const string LogSoftmax = "LogSoftmax";
    /// <summary>Reshape (View, Flatten, Unflatten, Squeeze, Unsqueeze record this). Attribute: shape (int[], the output shape).</summary>
    public const string Reshape = "Reshape";
    /// <summary>Dimension permutation (Transpose records this). Attribute: dims (int[]).</summary>
    public const string Permute = "Permute";
    /// <summary>Broadcast to a shape. Attribute: shape (int[]).</summary>
    public const string Expand = "Expand";
    /// <summary>Strided slice along one dim (Narrow records this). Attributes: dim, start, end, step (int).</summary>
    public const string Slice = "Slice";
    /// <summary>One index along a dim, dropping it. Attributes: dim, index (int).</summary>
    public const string Select = "Select";
    /// <summary>Concatenation of the inputs along a dim. Attribute: dim (int).</summary>
    public const string Cat = "Cat";
    /// <summary>Stack of the inputs along a new dim. Attribute: dim (int).</summary>
    public const string Stack = "Stack";
    /// <summary>Sum over dims. Attributes: dims (int[]), keep_dim (bool).</summary>
    public const string Sum = "Sum";
    /// <summary>Mean over dims. Attributes: dims (int[]), keep_dim (bool).</summary>
    public const string Mean = "Mean";
    /// <summary>out[p] = input[p with p[dim] = index[p]] (<c>torch.gather</c>). Inputs: input, index (Int64, same rank). Attribute: dim (int).</summary>
    public const string Gather = "Gather";
    /// <summary>The slices of input at the positions of a 1-D Int64 index along dim (<c>index_select</c>; upsampling records these). Inputs: input, index. Attribute: dim (int).</summary>
    public const string IndexSelect = "IndexSelect";
    /// <summary>condition ? x : y, broadcast (<c>torch.where</c>; MaskedFill records this). Inputs: condition (Bool), x, y.</summary>
    public const string Where = "Where";
    /// <summary>Broadcast a == b, a Bool result.</summary>
    public const string Eq = "Eq";
    /// <summary>Broadcast a != b, a Bool result.</summary>
    public const string Ne = "Ne";
    /// <summary>Broadcast a &gt; b, a Bool result.</summary>
    public const string Gt = "Gt";
    /// <summary>Broadcast a ≥ b, a Bool result.</summary>
    public const string Ge = "Ge";
    /// <summary>Broadcast a &lt; b, a Bool result.</summary>
    public const string Lt = "Lt";
    /// <summary>Broadcast a ≤ b, a Bool result.</summary>
    public const string Le = "Le";
    /// <summary>Int64 index of the largest element along dim, the first on ties (Max(dim) records this, then a Gather). Attributes: dim (int), keep_dim (bool).</summary>
    public const string ArgMax = "ArgMax";
    /// <summary>Int64 index of the smallest element along dim, the first on ties. Attributes: dim (int), keep_dim (bool).</summary>
    public const string ArgMin = "ArgMin";
    /// <summary>A contiguous copy.</summary>
    public const string Contiguous = "Contiguous";
    /// <summary>Dtype conversion. Attribute: dtype (string, a <see cref="Nabla.DType"/> name).</summary>
    public const string Cast = "Cast";
    /// <summary>Dropout in training mode. Attribute: p (double).</summary>
    public const string Dropout = "Dropout";
    /// <summary>Embedding lookup. Inputs: indices, weight [num, dim]. Attribute: padding_idx (int, present only when given; it changes only the gradient).</summary>
    public const string Embedding = "Embedding";
    /// <summary>
    /// One recurrent layer in one direction over a whole sequence (the fused kernel). Inputs: input [T, N, I], h0 [N, H], [c0 [N, H] for LSTM],
    /// weight_ih, weight_hh, [bias_ih], [bias_hh]. Outputs: output [T, N, H], h_n [N, H], [c_n for LSTM].
    /// Attributes: mode ("RNNTanh", "RNNRelu", "GRU", "LSTM"), reverse (bool).
    /// </summary>
    public const string RecurrentLayer = "RecurrentLayer";
    /// <summary>A tensor filled with one value (a zero initial state sized by the batch). No inputs. Attributes: shape (int[]), value (double), dtype (string).</summary>
    public const string Full = "Full";
    /// <summary>softmax(QKᵀ·scale + mask)·V. Inputs: query, key, value, [attn_mask]. Attributes: is_causal (bool), scale (double, 0 for 1/√d).</summary>
    public const string ScaledDotProductAttention = "ScaledDotProductAttention";
    /// <summary>Fused by <see cref="GraphPasses.FuseEpilogues"/>: Linear then an activation. Attribute: activation ("Relu", "Sigmoid", "Tanh").</summary>
    public const string LinearActivation = "LinearActivation";
    /// <summary>Fused by <see cref="GraphPasses.FuseEpilogues"/>: Conv2d then an activation. Attributes: Conv2d's, and activation.</summary>
    public const string Conv2dActivation = "Conv2dActivation";
    /// <summary>Fused by <see cref="GraphPasses.FuseElementwise"/>: a chain of unary elementwise ops in one pass. Attribute: ops (string, names joined by ',').</summary>
    public const string ElementwiseChain = "ElementwiseChain";
}
