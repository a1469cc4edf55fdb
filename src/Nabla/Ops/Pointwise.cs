using Nabla.Backends.Cpu;
using Nabla.Jit;

namespace Nabla;

// Unary math functions and activations. Each forward is one kernel call; each backward is
// written with tensor ops beside it (so it can itself be differentiated).
public partial class Tensor
{
    /// <summary>eˣ.</summary>
    public Tensor Exp()
    {
        var result = FloatUnary<RowOps.Exp>();
        if (Node.ShouldRecord(this)) Node.Record(result, "ExpBackward0", [this], g => [g * result], result);
        Tracer.Record(GraphOps.Exp, result, [this]);
        return result;
    }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log()
    {
        var result = FloatUnary<RowOps.Log>();
        if (Node.ShouldRecord(this)) { var x = this; Node.Record(result, "LogBackward0", [x], g => [g / x], x); }
        Tracer.Record(GraphOps.Log, result, [this]);
        return result;
    }

    /// <summary>ln(1 + x), accurate for small x.</summary>
    public Tensor Log1p()
    {
        var result = FloatUnary<RowOps.Log1p>();
        if (Node.ShouldRecord(this)) { var x = this; Node.Record(result, "Log1PBackward0", [x], g => [g / (x + 1)], x); }
        return result;
    }

    /// <summary>Square root.</summary>
    public Tensor Sqrt()
    {
        var result = FloatUnary<RowOps.Sqrt>();
        if (Node.ShouldRecord(this)) Node.Record(result, "SqrtBackward0", [this], g => [g / (result * 2)], result);
        Tracer.Record(GraphOps.Sqrt, result, [this]);
        return result;
    }

    /// <summary>Largest integer ≤ x (<c>torch.floor</c>); zero gradient. Integers are returned unchanged.</summary>
    public Tensor Floor() => Rounded<RowOps.Floor>("FloorBackward0");
    /// <summary>Smallest integer ≥ x (<c>torch.ceil</c>); zero gradient.</summary>
    public Tensor Ceil() => Rounded<RowOps.Ceiling>("CeilBackward0");
    /// <summary>x rounded toward zero (<c>torch.trunc</c>); zero gradient.</summary>
    public Tensor Trunc() => Rounded<RowOps.Truncate>("TruncBackward0");
    /// <summary>x rounded to the nearest integer, halves to even (<c>torch.round</c>); zero gradient.</summary>
    public Tensor Round() => Rounded<RowOps.Round>("RoundBackward0");

    Tensor Rounded<TOp>(string name) where TOp : IFloatRow
    {
        if (!DType.IsFloatingPoint()) return Clone().Detach();
        var result = FloatUnary<TOp>();
        if (Node.ShouldRecord(this)) Node.Record(result, name, [this], g => [ZerosLike(g)]);
        return result;
    }

    /// <summary>1/√x.</summary>
    public Tensor Rsqrt() => Sqrt().Reciprocal();

    /// <summary>1/x.</summary>
    public Tensor Reciprocal() => 1.0 / this;

    /// <summary>x².</summary>
    public Tensor Square() => Pow(2);

    /// <summary>sin x.</summary>
    public Tensor Sin()
    {
        var result = FloatUnary<RowOps.Sin>();
        if (Node.ShouldRecord(this)) { var x = this; Node.Record(result, "SinBackward0", [x], g => [g * x.Cos()], x); }
        return result;
    }

    /// <summary>cos x.</summary>
    public Tensor Cos()
    {
        var result = FloatUnary<RowOps.Cos>();
        if (Node.ShouldRecord(this)) { var x = this; Node.Record(result, "CosBackward0", [x], g => [-g * x.Sin()], x); }
        return result;
    }

    /// <summary>|x|; the gradient at 0 is 0, as in PyTorch.</summary>
    public Tensor Abs()
    {
        if (DType == DType.Bool) return this;
        Tensor result;
        using (GradMode.Set(false)) result = Maximum(Neg());
        if (Node.ShouldRecord(this)) { var x = this; Node.Record(result, "AbsBackward0", [x], g => [g * x.Sign()], x); }
        return result;
    }

    /// <summary>−1, 0 or +1 by sign (NaN gives 0, as in PyTorch 1.13). Its gradient is zero.</summary>
    public Tensor Sign()
    {
        Tensor result;
        using (GradMode.Set(false))
        {
            var zero = Scalar(0, DType == DType.Bool ? DType.UInt8 : DType);
            result = Gt(zero).ToDType(DTypeOrByte) - Lt(zero).ToDType(DTypeOrByte);
            if (DType == DType.Bool) result = result.ToDType(DType.Bool);
        }
        if (Node.ShouldRecord(this)) Node.Record(result, "SignBackward0", [this], g => [ZerosLike(g)]);
        return result;
    }

    DType DTypeOrByte => DType == DType.Bool ? DType.UInt8 : DType;

    /// <summary>Limits values to [min, max] (either bound optional). Gradient 1 inside the range, 0 where clipped.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min == null && max == null) throw new ArgumentException("Clamp: at least one of min and max must be given.");
        Tensor result;
        using (GradMode.Set(false))
        {
            result = this;
            if (min is double lo) result = result.Maximum(WrapNumber(lo).ToDType(DTypes.ResultType(this, WrapNumber(lo))));
            if (max is double hi) result = result.Minimum(WrapNumber(hi).ToDType(DTypes.ResultType(result, WrapNumber(hi))));
            if (ReferenceEquals(result, this)) result = Clone();
        }
        if (Node.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "ClampBackward1", [x], g =>
            {
                var inside = OnesLike(x, DType.Bool);
                if (min is double lo) inside = inside & x.Ge(lo);
                if (max is double hi) inside = inside & x.Le(hi);
                return [g * inside.To(g.DType)];
            }, x);
        }
        return result;
    }

    /// <summary>Clamps in place.</summary>
    public Tensor Clamp_(double? min = null, double? max = null) => InPlace("Clamp_", this, (self, _) => self.Clamp(min, max));

    /// <summary>The logistic function 1/(1 + e⁻ˣ).</summary>
    public Tensor Sigmoid()
    {
        var result = FloatUnary<RowOps.Sigmoid>();
        // σ' = σ(1 − σ); fused into one pass unless the backward itself is being recorded.
        if (Node.ShouldRecord(this))
            Node.Record(result, "SigmoidBackward0", [this], g => [GradMode.IsEnabled ? g * result * (1 - result) : FusedGradient<ActivationGradients.Sigmoid>(g, result)], result);
        Tracer.Record(GraphOps.Sigmoid, result, [this]);
        return result;
    }

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        var result = FloatUnary<RowOps.Tanh>();
        // tanh' = 1 − tanh²
        if (Node.ShouldRecord(this))
            Node.Record(result, "TanhBackward0", [this], g => [GradMode.IsEnabled ? g * (1 - result * result) : FusedGradient<ActivationGradients.Tanh>(g, result)], result);
        Tracer.Record(GraphOps.Tanh, result, [this]);
        return result;
    }

    /// <summary>max(x, 0).</summary>
    public Tensor Relu()
    {
        Tensor result;
        using (GradMode.Set(false)) result = Maximum(Scalar(0, DType));
        if (Node.ShouldRecord(this))
            Node.Record(result, "ReluBackward0", [this], g => [GradMode.IsEnabled ? g * result.Gt(0).To(g.DType) : FusedGradient<ActivationGradients.Relu>(g, result)], result);
        Tracer.Record(GraphOps.Relu, result, [this]);
        return result;
    }

    /// <summary>
    /// g ⊙ f'(y) in one pass from the activation's output y, for a first-order backward (the
    /// composite formula is used when the backward is recorded, so higher derivatives still work;
    /// a test checks both give the same values).
    /// </summary>
    internal static Tensor FusedGradient<TGradient>(Tensor g, Tensor output) where TGradient : IActivationGradient
    {
        var y = output.ToDTypeIfNeeded(g.DType);
        if (!g.shape.AsSpan().SequenceEqual(y.shape))
        {
            var shape = Shape.Broadcast(g.shape, y.shape, "ActivationBackward");
            (g, y) = (g.Expand(shape), y.Expand(shape));
        }
        return Backends.Backend.Of("ActivationBackward", g, y).ActivationBackward<TGradient>(g.Contiguous(), y.Contiguous());
    }

    /// <summary>LeakyRelu's first-order backward in one pass (the backend's <see cref="Backends.IBackend.LeakyReluBackward"/>).</summary>
    static Tensor LeakyReluGradient(Tensor g, Tensor x, double slope)
    {
        if (g.DType is not (DType.Float32 or DType.Float64) || x.DType != g.DType || !g.shape.AsSpan().SequenceEqual(x.shape))
            return Where(x.Gt(0), g, g * slope);
        return Backends.Backend.Of("LeakyReluBackward", g, x).LeakyReluBackward(g.Contiguous(), x.Contiguous(), slope);
    }

    /// <summary>Relu in place.</summary>
    public Tensor Relu_() => InPlace("Relu_", this, static (self, _) => self.Relu());

    /// <summary>x for x &gt; 0, else negativeSlope·x.</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01)
    {
        var result = Backends.Backend.Of(this).LeakyRelu(AsFloatingPoint(), negativeSlope);
        if (Node.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "LeakyReluBackward0", [x], g => [GradMode.IsEnabled ? Where(x.Gt(0), g, g * negativeSlope) : LeakyReluGradient(g, x, negativeSlope)], x);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.LeakyRelu, result, [this], new() { ["negative_slope"] = negativeSlope });
        return result;
    }

    /// <summary>ELU: x for x &gt; 0, else α(eˣ − 1).</summary>
    public Tensor Elu(double alpha = 1)
    {
        var result = Backends.Backend.Of(this).Elu(AsFloatingPoint(), alpha);
        if (Node.ShouldRecord(this))
        {
            var x = this;
            // d/dx = 1 for x > 0, else αeˣ = result + α
            Node.Record(result, "EluBackward0", [x], g => [Where(x.Gt(0), g, g * (result + alpha))], x, result);
        }
        return result;
    }

    /// <summary>Mish: x·tanh(softplus(x)) (<c>F.mish</c>; Misra 2019), a smooth, non-monotonic ReLU.</summary>
    public Tensor Mish()
    {
        var result = FloatUnary<RowOps.Mish>();
        if (Node.ShouldRecord(this))
        {
            var x = this;
            // d/dx = tanh(sp) + x·σ(x)·(1 − tanh²(sp)), sp = softplus(x), since sp' = σ(x)
            Node.Record(result, "MishBackward0", [x], g =>
            {
                var t = x.Softplus().Tanh();
                return [g * (t + x * x.Sigmoid() * (1 - t * t))];
            }, x);
        }
        return result;
    }

    /// <summary>
    /// GELU. <paramref name="approximate"/> "none": x·Φ(x) with the exact normal CDF;
    /// "tanh": 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    /// </summary>
    public Tensor Gelu(string approximate = "none")
    {
        if (approximate == "tanh")
        {
            // Composite: its gradient follows from the ops it is made of.
            const double k = 0.7978845608028654; // √(2/π)
            return 0.5 * this * (1 + (k * (this + 0.044715 * this.Pow(3))).Tanh());
        }
        if (approximate != "none") throw new ArgumentException($"Gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\".");
        Tensor result;
        using (GradMode.Set(false)) result = this * 0.5 * (1 + (this * (1 / Math.Sqrt(2))).FloatUnary<RowOps.Erf>());
        if (Node.ShouldRecord(this))
        {
            var x = this;
            // d/dx xΦ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
            Node.Record(result, "GeluBackward0", [x], g =>
            {
                var cdf = 0.5 * (1 + (x * (1 / Math.Sqrt(2))).Erf());
                var pdf = (x * x * -0.5).Exp() * (1 / Math.Sqrt(2 * Math.PI));
                return [g * (cdf + x * pdf)];
            }, x);
        }
        Tracer.Record(GraphOps.Gelu, result, [this]);
        return result;
    }

    /// <summary>The error function erf(x); its derivative is 2/√π·e^(−x²).</summary>
    public Tensor Erf()
    {
        var result = FloatUnary<RowOps.Erf>();
        if (Node.ShouldRecord(this)) { var x = this; Node.Record(result, "ErfBackward0", [x], g => [g * (x * x * -1).Exp() * (2 / Math.Sqrt(Math.PI))], x); }
        return result;
    }

    /// <summary>Softplus: (1/β)·ln(1 + e^(βx)), and x itself where βx &gt; threshold (for numerical stability, as PyTorch).</summary>
    public Tensor Softplus(double beta = 1, double threshold = 20)
    {
        Tensor result;
        using (GradMode.Set(false))
        {
            var scaled = this * beta;
            result = Where(scaled.Gt(threshold), this, scaled.Exp().Log1p() / beta);
        }
        if (Node.ShouldRecord(this))
        {
            var x = this;
            Node.Record(result, "SoftplusBackward0", [x], g =>
            {
                var scaled = x * beta;
                return [Where(scaled.Gt(threshold), g, g * scaled.Sigmoid())];
            }, x);
        }
        return result;
    }

    /// <summary>True where the value is NaN.</summary>
    public Tensor IsNaN() => DType.IsFloatingPoint() ? Ne(this) : ZerosLike(this, DType.Bool);

    /// <summary>True where the value is finite (not NaN or ±∞).</summary>
    public Tensor IsFinite()
    {
        if (!DType.IsFloatingPoint()) return OnesLike(this, DType.Bool);
        using (GradMode.Set(false)) return (this - this).Eq(0); // ∞ − ∞ and NaN − NaN are NaN
    }
}
