using Nabla.Jit;
using Nabla.Backends.Cpu;

namespace Nabla;

// + − × ÷, negation, powers, maximum/minimum: forward through the typed kernels, backward in
// tensor ops right below, so every rule is itself differentiable (double backward).
// Gradients come back in the broadcast shape; the engine sums them to each input's shape.
public partial class Tensor
{
    /// <summary>a + b with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>a − b with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>a × b elementwise with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>a ÷ b elementwise (true division: integers give Float32).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Tensor + number.</summary>
    public static Tensor operator +(Tensor a, double b) => a.Add(Wrap(b));
    /// <summary>Number + tensor.</summary>
    public static Tensor operator +(double a, Tensor b) => Wrap(a).Add(b);
    /// <summary>Tensor − number.</summary>
    public static Tensor operator -(Tensor a, double b) => a.Sub(Wrap(b));
    /// <summary>Number − tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => Wrap(a).Sub(b);
    /// <summary>Tensor × number.</summary>
    public static Tensor operator *(Tensor a, double b) => a.Mul(Wrap(b));
    /// <summary>Number × tensor.</summary>
    public static Tensor operator *(double a, Tensor b) => Wrap(a).Mul(b);
    /// <summary>Tensor ÷ number.</summary>
    public static Tensor operator /(Tensor a, double b) => a.Div(Wrap(b));
    /// <summary>Number ÷ tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => Wrap(a).Div(b);
    /// <summary>Tensor + integer (keeps integer tensors integral).</summary>
    public static Tensor operator +(Tensor a, long b) => a.Add(Wrap(b));
    /// <summary>Integer + tensor.</summary>
    public static Tensor operator +(long a, Tensor b) => Wrap(a).Add(b);
    /// <summary>Tensor − integer.</summary>
    public static Tensor operator -(Tensor a, long b) => a.Sub(Wrap(b));
    /// <summary>Integer − tensor.</summary>
    public static Tensor operator -(long a, Tensor b) => Wrap(a).Sub(b);
    /// <summary>Tensor × integer.</summary>
    public static Tensor operator *(Tensor a, long b) => a.Mul(Wrap(b));
    /// <summary>Integer × tensor.</summary>
    public static Tensor operator *(long a, Tensor b) => Wrap(a).Mul(b);
    /// <summary>Tensor ÷ integer.</summary>
    public static Tensor operator /(Tensor a, long b) => a.Div(Wrap(b));
    /// <summary>Integer ÷ tensor.</summary>
    public static Tensor operator /(long a, Tensor b) => Wrap(a).Div(b);

    /// <summary>this + alpha·other (<c>torch.add</c>).</summary>
    public Tensor Add(Tensor other, double alpha = 1)
    {
        if (alpha != 1) other = other * WrapNumber(alpha);
        var result = Arithmetic<RowOps.Add>("Add", this, other, DTypes.ResultType(this, other));
        if (Node.ShouldRecord(this, other)) Node.Record(result, "AddBackward0", [this, other], g => [g, g]);
        Tracer.Record(GraphOps.Add, result, [this, other]);
        return result;
    }

    /// <summary>this + value.</summary>
    public Tensor Add(double value) => Add(Wrap(value));

    /// <summary>this − alpha·other (<c>torch.sub</c>).</summary>
    public Tensor Sub(Tensor other, double alpha = 1)
    {
        if (alpha != 1) other = other * WrapNumber(alpha);
        CheckNotBool("Sub", this, other);
        var result = Arithmetic<RowOps.Subtract>("Sub", this, other, DTypes.ResultType(this, other));
        if (Node.ShouldRecord(this, other))
        {
            bool needOther = other.RequiresGrad;
            Node.Record(result, "SubBackward0", [this, other], g => [g, needOther ? -g : null]);
        }
        Tracer.Record(GraphOps.Sub, result, [this, other]);
        return result;
    }

    /// <summary>Elementwise product (<c>torch.mul</c>).</summary>
    public Tensor Mul(Tensor other)
    {
        var result = Arithmetic<RowOps.Multiply>("Mul", this, other, DTypes.ResultType(this, other));
        if (Node.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            bool needA = a.RequiresGrad, needB = b.RequiresGrad;
            Node.Record(result, "MulBackward0", [a, b], g => [needA ? g * b : null, needB ? g * a : null], a, b);
        }
        Tracer.Record(GraphOps.Mul, result, [this, other]);
        return result;
    }

    /// <summary>this × value.</summary>
    public Tensor Mul(double value) => Mul(Wrap(value));

    /// <summary>True division (<c>torch.div</c>): integer operands give a Float32 result.</summary>
    public Tensor Div(Tensor other)
    {
        var dtype = DTypes.ResultType(this, other);
        if (!dtype.IsFloatingPoint()) dtype = DType.Float32;
        var result = Arithmetic<RowOps.Divide>("Div", this, other, dtype);
        if (Node.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            bool needA = a.RequiresGrad, needB = b.RequiresGrad;
            // d(a/b)/da = 1/b, d(a/b)/db = −a/b²
            Node.Record(result, "DivBackward0", [a, b], g => [needA ? g / b : null, needB ? -g * a / (b * b) : null], a, b);
        }
        Tracer.Record(GraphOps.Div, result, [this, other]);
        return result;
    }

    /// <summary>this ÷ value.</summary>
    public Tensor Div(double value) => Div(Wrap(value));

    /// <summary>
    /// Division rounded as <paramref name="roundingMode"/> says (<c>torch.div(a, b, rounding_mode=…)</c>):
    /// "trunc" rounds toward zero, "floor" toward −∞ (Python's <c>//</c>); integer operands stay integral.
    /// The result is piecewise constant, so its gradient is zero.
    /// </summary>
    public Tensor Div(Tensor other, string roundingMode)
    {
        var dtype = DTypes.ResultType(this, other);
        if (dtype == DType.Bool) dtype = DType.UInt8;
        Tensor result;
        try
        {
            result = roundingMode switch
            {
                "trunc" => Arithmetic<RowOps.ScalarLoop<RowOps.TruncQuotient>>("Div", this, other, dtype),
                "floor" => Arithmetic<RowOps.ScalarLoop<RowOps.FloorQuotient>>("Div", this, other, dtype),
                _ => throw new ArgumentException($"Div: roundingMode must be \"trunc\" or \"floor\", got \"{roundingMode}\".", nameof(roundingMode)),
            };
        }
        catch (DivideByZeroException)
        {
            throw new ArgumentException($"Div: integer division by zero (shapes {Shape} and {other.Shape}).");
        }
        if (Node.ShouldRecord(this, other)) Node.Record(result, "DivBackward1", [this, other], g => [ZerosLike(g), ZerosLike(g)]);
        return result;
    }

    /// <summary>Python's <c>a // b</c>: <c>Div(other, "floor")</c>.</summary>
    public Tensor FloorDivide(Tensor other) => Div(other, "floor");

    /// <summary>−this (<c>torch.neg</c>).</summary>
    public Tensor Neg()
    {
        if (DType == DType.Bool) throw new DTypeException("Neg: negation is not defined for Bool tensors; use LogicalNot().");
        var result = Arithmetic<RowOps.Subtract>("Neg", Scalar(0, DType), this, DType);
        if (Node.ShouldRecord(this)) Node.Record(result, "NegBackward0", [this], g => [-g]);
        Tracer.Record(GraphOps.Neg, result, [this]);
        return result;
    }

    /// <summary>Elementwise power with a tensor exponent (<c>torch.pow</c>).</summary>
    public Tensor Pow(Tensor exponent)
    {
        var dtype = DTypes.ResultType(this, exponent);
        var result = PowForward(this, exponent, dtype);
        if (Node.ShouldRecord(this, exponent))
        {
            var (a, b) = (this, exponent);
            bool needA = a.RequiresGrad, needB = b.RequiresGrad;
            Node.Record(result, "PowBackward1", [a, b], g =>
            {
                // Both rules run in the result's dtype, like PyTorch (a float32 base with a float64 exponent).
                var (x, y) = (a.To(result.DType), b.To(result.DType));
                return [
                    // d(aᵇ)/da = b·aᵇ⁻¹, taken as 0 where b = 0 (also at a = 0)
                    needA ? Where(y.Eq(0), ZerosLike(g), g * y * x.Pow(y - 1)) : null,
                    // d(aᵇ)/db = aᵇ·ln a, taken as 0 where a = 0 and b ≥ 0 (the limit PyTorch uses)
                    // (the logarithm in the base's own dtype, as PyTorch computes it)
                    needB ? Where(x.Eq(0) & y.Ge(0), ZerosLike(g), g * result * LogInOwnDType(a, result.DType)) : null,
                ];
            }, a, b, result);
        }
        return result;
    }

    /// <summary>Elementwise power with a number exponent (<c>x ** 2</c>).</summary>
    public Tensor Pow(double exponent)
    {
        var wrapped = WrapNumber(exponent);
        var dtype = DTypes.ResultType(this, wrapped);
        var result = exponent == 2 ? Arithmetic<RowOps.Multiply>("Pow", this, this, dtype) : PowForward(this, wrapped, dtype);
        if (Node.ShouldRecord(this))
        {
            var a = this;
            Node.Record(result, "PowBackward0", [a], g => [exponent == 0 ? ZerosLike(g) : g * exponent * a.Pow(exponent - 1)], a);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.Pow, result, [this], new() { ["exponent"] = exponent });
        return result;
    }

    /// <summary>number ** tensor.</summary>
    public static Tensor Pow(double @base, Tensor exponent) => WrapNumber(@base).Pow(exponent);

    /// <summary>ln a computed in a's own floating dtype (correctly rounded through Float64), else in <paramref name="promoted"/>.</summary>
    static Tensor LogInOwnDType(Tensor a, DType promoted) =>
        a.DType == DType.Float32 ? a.To(DType.Float64).Log().To(DType.Float32)
        : a.DType.IsFloatingPoint() ? a.Log() : a.To(promoted).Log();

    static Tensor PowForward(Tensor a, Tensor b, DType dtype)
    {
        // Integer powers are exact and wrap on overflow, like PyTorch's (100¹⁰⁰ in uint8 is 0).
        if (!dtype.IsFloatingPoint()) return Arithmetic<RowOps.ScalarLoop<RowOps.IntegerPower>>("Pow", a, b, dtype);
        var backend = Backends.Backend.Of("Pow", a, b);
        return backend.Pow(a.ToDTypeIfNeeded(dtype), b.ToDTypeIfNeeded(dtype), Shape.Broadcast(a.shape, b.shape, "Pow"));
    }

    /// <summary>Elementwise maximum (<c>torch.maximum</c>); NaN wins. Gradient split evenly on ties, as PyTorch does.</summary>
    public Tensor Maximum(Tensor other) => Extremum<RowOps.Maximum>("Maximum", other, isMax: true);

    /// <summary>Elementwise minimum (<c>torch.minimum</c>); NaN wins. Gradient split evenly on ties.</summary>
    public Tensor Minimum(Tensor other) => Extremum<RowOps.Minimum>("Minimum", other, isMax: false);

    Tensor Extremum<TOp>(string op, Tensor other, bool isMax) where TOp : IArithmeticRow
    {
        var result = Arithmetic<TOp>(op, this, other, DTypes.ResultType(this, other));
        if (Node.ShouldRecord(this, other))
        {
            var (a, b) = (this, other);
            Node.Record(result, op + "Backward0", [a, b], g =>
            {
                var half = g * 0.5;
                var aWins = isMax ? a.Gt(b) : a.Lt(b);
                var bWins = isMax ? a.Lt(b) : a.Gt(b);
                var tie = a.Eq(b);
                var zero = ZerosLike(g);
                return [Where(aWins, g, Where(tie, half, zero)), Where(bWins, g, Where(tie, half, zero))];
            }, a, b);
        }
        return result;
    }

    static void CheckNotBool(string op, Tensor a, Tensor b)
    {
        if (a.DType == DType.Bool && b.DType == DType.Bool)
            throw new DTypeException($"{op}: subtraction of two Bool tensors is not supported; use LogicalXor().");
    }

    // ---------------------------------------------------------------- in place (PyTorch's trailing underscore)

    /// <summary>this += alpha·other in place (<c>add_</c>).</summary>
    public Tensor Add_(Tensor other, double alpha = 1) => InPlace("Add_", other, (self, o) => self.Add(o, alpha));
    /// <summary>this += value in place.</summary>
    public Tensor Add_(double value) => InPlace("Add_", Wrap(value), static (self, o) => self.Add(o));
    /// <summary>this −= alpha·other in place (<c>sub_</c>).</summary>
    public Tensor Sub_(Tensor other, double alpha = 1) => InPlace("Sub_", other, (self, o) => self.Sub(o, alpha));
    /// <summary>this ×= other in place (<c>mul_</c>).</summary>
    public Tensor Mul_(Tensor other) => InPlace("Mul_", other, static (self, o) => self.Mul(o));
    /// <summary>this ×= value in place.</summary>
    public Tensor Mul_(double value) => InPlace("Mul_", Wrap(value), static (self, o) => self.Mul(o));
    /// <summary>this ÷= other in place (<c>div_</c>).</summary>
    public Tensor Div_(Tensor other) => InPlace("Div_", other, static (self, o) => self.Div(o));
    /// <summary>this ÷= value in place.</summary>
    public Tensor Div_(double value) => InPlace("Div_", Wrap(value), static (self, o) => self.Div(o));
    /// <summary>this = thisᵉ in place (<c>pow_</c>).</summary>
    public Tensor Pow_(double exponent) => InPlace("Pow_", Wrap(exponent), (self, _) => self.Pow(exponent));
    /// <summary>this += value·t1·t2 in place (<c>addcmul_</c>), used by optimizers.</summary>
    public Tensor Addcmul_(Tensor tensor1, Tensor tensor2, double value = 1) => InPlace("Addcmul_", tensor1, (self, t1) => self + t1 * tensor2 * value);
    /// <summary>this += value·t1/t2 in place (<c>addcdiv_</c>), used by optimizers.</summary>
    public Tensor Addcdiv_(Tensor tensor1, Tensor tensor2, double value = 1) => InPlace("Addcdiv_", tensor1, (self, t1) => self + t1 / tensor2 * value);
}
