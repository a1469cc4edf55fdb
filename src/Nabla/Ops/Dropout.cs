using Nabla.Backends;

namespace Nabla;

// Inverted dropout as one fused op (the public entry point is NN.Functional.Dropout).
public partial class Tensor
{
    /// <summary>
    /// This tensor with element n (row-major) multiplied by 1/(1 − p) when the counter hash of (<paramref name="seed"/>, n)
    /// keeps it, by 0 otherwise (<see cref="IBackend.Dropout"/>): one pass, no mask stored. The backward applies the same seed
    /// to the gradient (the same op, so it is itself differentiable). Requires a floating dtype and 0 ≤ p &lt; 1.
    /// </summary>
    internal Tensor DropoutWithSeed(double p, ulong seed)
    {
        var result = Backend.Of(this).Dropout(Contiguous(), p, seed);
        if (Node.ShouldRecord(this)) Node.Record(result, "NativeDropoutBackward0", [this], g => [g.DropoutWithSeed(p, seed)]);
        return result;
    }
}
