using Nabla.Jit;
namespace Nabla.NN;

// Dropout.
public static partial class Functional
{
    /// <summary>
    /// Inverted dropout (<c>F.dropout</c>): in training, each element is zeroed with probability
    /// <paramref name="p"/> and the survivors are scaled by 1/(1 − p), so the expected value is
    /// unchanged and evaluation needs no rescaling; otherwise the input is returned as is. The decisions come from a
    /// counter-based hash of one 64-bit draw from <paramref name="generator"/> and each element's row-major index
    /// (24 random bits per element), so the result depends only on the generator's state, not on threading.
    /// Shape: [*] → [*].
    /// </summary>
    /// <param name="input">The activations.</param>
    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="training">Apply dropout (true) or return the input (false).</param>
    /// <param name="generator">The random source; <see cref="Generator.Default"/> when null.</param>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentException($"Dropout: probability p must be in [0, 1], got {p}.", nameof(p));
        if (!training || p == 0) return input;
        CheckFloating("Dropout", "input", input);
        if (p == 1) return input * 0.0;
        // keep ~ Bernoulli(1 − p) per element, from a counter-based hash of one 64-bit draw and the element's index:
        // one fused pass, deterministic for a given generator state; the backward reuses the draw.
        var result = input.DropoutWithSeed(p, (generator ?? Generator.Default).NextUInt64());
        if (Tracer.IsActive) Tracer.Record(GraphOps.Dropout, result, [input], new() { ["p"] = p });
        return result;
    }
}
