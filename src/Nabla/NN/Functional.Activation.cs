namespace Nabla.NN;

// Activations: thin twins of the tensor ops, so that layers and user code read like PyTorch's F.*.
public static partial class Functional
{
    /// <summary>max(0, x) (<c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>x for x ≥ 0, negativeSlope·x otherwise (<c>F.leaky_relu</c>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => input.LeakyRelu(negativeSlope);

    /// <summary>x for x &gt; 0, α(eˣ − 1) otherwise (<c>F.elu</c>).</summary>
    public static Tensor Elu(Tensor input, double alpha = 1.0) => input.Elu(alpha);

    /// <summary>x·Φ(x), or its tanh approximation when <paramref name="approximate"/> is "tanh" (<c>F.gelu</c>).</summary>
    public static Tensor Gelu(Tensor input, string approximate = "none") => input.Gelu(approximate);

    /// <summary>x·σ(x) (<c>F.silu</c>, swish), composed of x and its sigmoid so that its gradient σ(x)(1 + x(1 − σ(x))) comes from theirs.</summary>
    public static Tensor Silu(Tensor input) => input * input.Sigmoid();

    /// <summary>1 / (1 + e⁻ˣ) (<c>torch.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>tanh(x) (<c>torch.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>e^(xᵢ) / Σⱼ e^(xⱼ) along <paramref name="dim"/> (<c>F.softmax</c>).</summary>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>xᵢ − log Σⱼ e^(xⱼ) along <paramref name="dim"/> (<c>F.log_softmax</c>), computed stably in one pass.</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);

    /// <summary>log(1 + e^(βx))/β, linear above the threshold (<c>F.softplus</c>).</summary>
    public static Tensor Softplus(Tensor input, double beta = 1, double threshold = 20) => input.Softplus(beta, threshold);
}
