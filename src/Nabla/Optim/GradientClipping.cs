using System.Numerics.Tensors;

namespace Nabla.Optim;

/// <summary>
/// Gradient clipping, PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> and
/// <c>clip_grad_value_</c>. They live next to the optimizers (rather than in <c>Nabla.NN</c>)
/// because they act on gradients right before <c>optimizer.Step()</c>:
/// <code>
/// loss.Backward();
/// GradientClipping.ClipGradNorm(model.Parameters(), maxNorm: 1.0);
/// optimizer.Step();
/// </code>
/// Both modify the gradients in place and skip parameters whose gradient is null.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// Rescales the gradients so that their total norm — the <paramref name="normType"/>-norm of the
    /// vector of all gradient elements — is at most <paramref name="maxNorm"/>
    /// (<c>clip_grad_norm_</c>):
    /// <code>
    /// total ← ‖(‖g₁‖ₚ, …, ‖gₙ‖ₚ)‖ₚ              (max |g| for p = ∞)
    /// c ← min(maxNorm / (total + 1e-6), 1)
    /// gᵢ ← c·gᵢ
    /// </code>
    /// </summary>
    /// <param name="parameters">Tensors whose <see cref="Tensor.Grad"/> is clipped.</param>
    /// <param name="maxNorm">Largest allowed total norm.</param>
    /// <param name="normType">p of the norm: 2 (default), 1, any p &gt; 0, or <see cref="double.PositiveInfinity"/>.</param>
    /// <param name="errorIfNonfinite">Throw if the total norm is NaN or infinite (the gradients are then left unchanged).</param>
    /// <returns>The total norm of the gradients before clipping, as a zero-dimensional tensor (0 when no parameter has a gradient).</returns>
    public static Tensor ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, $"ClipGradNorm: normType must be positive or infinity, got {normType}.");
        var grads = parameters.Select(p => p.PrivateGrad).OfType<Tensor>().ToList(); // used here only: they stay private
        if (grads.Count == 0) return Tensor.Zeros(ReadOnlySpan<int>.Empty);
        // The 2-norm fast path reads CPU buffers directly; gradients on another device take the tensor-op path below.
        if (normType == 2 && grads.All(g => g.Device.Type == DeviceType.Cpu && g.IsContiguous && g.DType == grads[0].DType && g.DType is DType.Float32 or DType.Float64 && !g.RequiresGrad))
            return ClipGradNorm2(grads, maxNorm, errorIfNonfinite);
        using (Autograd.NoGrad())
        {
            Tensor total;
            if (double.IsPositiveInfinity(normType))
            {
                var maxima = grads.Select(g => g.Abs().Max()).ToList();
                total = maxima.Count == 1 ? maxima[0] : Tensor.Stack(maxima).Max();
            }
            else
                total = Tensor.Stack([.. grads.Select(g => g.Norm(normType))]).Norm(normType);
            if (errorIfNonfinite && !double.IsFinite(total.Item()))
                throw new ArithmeticException($"ClipGradNorm: the total norm of order {normType} of the gradients is {total.Item()}, so they cannot be clipped; pass errorIfNonfinite: false to clip anyway.");
            var coefficient = (maxNorm / (total + 1e-6)).Clamp(max: 1.0);          // c ← min(maxNorm / (total + 1e-6), 1)
            foreach (var g in grads) g.Mul_(coefficient.To(g.DType));              // g ← c·g
            return total;
        }
    }

    /// <summary>
    /// The 2-norm case on contiguous float gradients without temporaries: Σ g² per gradient straight from its
    /// buffer (summed in float64), then each gradient scaled in place. The same rule as the general path.
    /// </summary>
    static Tensor ClipGradNorm2(List<Tensor> grads, double maxNorm, bool errorIfNonfinite)
    {
        bool single = grads[0].DType == DType.Float32;
        double sumOfSquares = 0;
        foreach (var g in grads)
        {
            double norm = single ? Math.Sqrt(SumOfSquares(g.Span<float>())) : Math.Sqrt(SumOfSquares(g.Span<double>()));
            sumOfSquares += norm * norm;
        }
        double total = Math.Sqrt(sumOfSquares);
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new ArithmeticException($"ClipGradNorm: the total norm of order 2 of the gradients is {total}, so they cannot be clipped; pass errorIfNonfinite: false to clip anyway.");
        // c ← min(maxNorm / (total + 1e-6), 1), in the gradients' precision; g ← c·g (nothing to do when c = 1).
        double coefficient = single ? Math.Min((float)maxNorm / ((float)total + 1e-6f), 1f) : Math.Min(maxNorm / (total + 1e-6), 1.0);
        if (!(coefficient == 1))
        {
            foreach (var g in grads)
            {
                if (single) TensorPrimitives.Multiply(g.Span<float>(), (float)coefficient, g.Span<float>());
                else TensorPrimitives.Multiply(g.Span<double>(), coefficient, g.Span<double>());
                g.storage.Version++;
            }
        }
        return Tensor.Scalar(single ? (float)total : total, grads[0].DType);
    }

    static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        const int Block = 4096; // float partial sums over short blocks, accumulated in float64
        for (int i = 0; i < values.Length; i += Block) sum += TensorPrimitives.SumOfSquares(values.Slice(i, Math.Min(Block, values.Length - i)));
        return sum;
    }

    static double SumOfSquares(ReadOnlySpan<double> values) => TensorPrimitives.SumOfSquares(values);

    /// <summary>
    /// Clamps every gradient element to [−<paramref name="clipValue"/>, <paramref name="clipValue"/>]
    /// in place (<c>clip_grad_value_</c>).
    /// </summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        if (!(clipValue >= 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, $"ClipGradValue: clipValue must be non-negative, got {clipValue}.");
        using (Autograd.NoGrad())
            foreach (var p in parameters)
                p.PrivateGrad?.Clamp_(-clipValue, clipValue);
    }
}
