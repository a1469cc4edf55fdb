using Nabla.Backends.Cpu;

namespace Nabla;

// Comparisons and logical ops: Bool results, never differentiable.
public partial class Tensor
{
    /// <summary>Elementwise equality (<c>torch.eq</c>).</summary>
    public Tensor Eq(Tensor other) => Comparison<RowOps.Equal>("Eq", this, other);
    /// <summary>Elementwise inequality (<c>torch.ne</c>).</summary>
    public Tensor Ne(Tensor other) => Comparison<RowOps.NotEqual>("Ne", this, other);
    /// <summary>this &gt; other (<c>torch.gt</c>).</summary>
    public Tensor Gt(Tensor other) => Comparison<RowOps.Greater>("Gt", this, other);
    /// <summary>this ≥ other (<c>torch.ge</c>).</summary>
    public Tensor Ge(Tensor other) => Comparison<RowOps.GreaterEqual>("Ge", this, other);
    /// <summary>this &lt; other (<c>torch.lt</c>).</summary>
    public Tensor Lt(Tensor other) => Comparison<RowOps.Less>("Lt", this, other);
    /// <summary>this ≤ other (<c>torch.le</c>).</summary>
    public Tensor Le(Tensor other) => Comparison<RowOps.LessEqual>("Le", this, other);

    /// <summary>Elementwise equality with a number.</summary>
    public Tensor Eq(double value) => Eq(Wrap(value));
    /// <summary>Elementwise inequality with a number.</summary>
    public Tensor Ne(double value) => Ne(Wrap(value));
    /// <summary>this &gt; value.</summary>
    public Tensor Gt(double value) => Gt(Wrap(value));
    /// <summary>this ≥ value.</summary>
    public Tensor Ge(double value) => Ge(Wrap(value));
    /// <summary>this &lt; value.</summary>
    public Tensor Lt(double value) => Lt(Wrap(value));
    /// <summary>this ≤ value.</summary>
    public Tensor Le(double value) => Le(Wrap(value));

    /// <summary>a &gt; b elementwise.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);
    /// <summary>a &lt; b elementwise.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);
    /// <summary>a ≥ b elementwise.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);
    /// <summary>a ≤ b elementwise.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);
    /// <summary>a &gt; number elementwise.</summary>
    public static Tensor operator >(Tensor a, double b) => a.Gt(b);
    /// <summary>a &lt; number elementwise.</summary>
    public static Tensor operator <(Tensor a, double b) => a.Lt(b);
    /// <summary>a ≥ number elementwise.</summary>
    public static Tensor operator >=(Tensor a, double b) => a.Ge(b);
    /// <summary>a ≤ number elementwise.</summary>
    public static Tensor operator <=(Tensor a, double b) => a.Le(b);

    /// <summary>Elementwise logical and (inputs are read as "not zero").</summary>
    public Tensor LogicalAnd(Tensor other) => Arithmetic<RowOps.Multiply>("LogicalAnd", ToDTypeIfNeeded(DType.Bool), other.ToDTypeIfNeeded(DType.Bool), DType.Bool);
    /// <summary>Elementwise logical or.</summary>
    public Tensor LogicalOr(Tensor other) => Arithmetic<RowOps.Add>("LogicalOr", ToDTypeIfNeeded(DType.Bool), other.ToDTypeIfNeeded(DType.Bool), DType.Bool);
    /// <summary>Elementwise logical exclusive or.</summary>
    public Tensor LogicalXor(Tensor other) => ToDTypeIfNeeded(DType.Bool).Ne(other.ToDTypeIfNeeded(DType.Bool));
    /// <summary>Elementwise logical not.</summary>
    public Tensor LogicalNot() => ToDTypeIfNeeded(DType.Bool).Eq(Scalar(0, DType.Bool));

    /// <summary>Logical and of Bool tensors.</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.LogicalAnd(b);
    /// <summary>Logical or of Bool tensors.</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.LogicalOr(b);
    /// <summary>Logical exclusive or of Bool tensors.</summary>
    public static Tensor operator ^(Tensor a, Tensor b) => a.LogicalXor(b);
    /// <summary>Logical not of a Bool tensor.</summary>
    public static Tensor operator !(Tensor a) => a.LogicalNot();

    /// <summary>True when every element is nonzero (a 0-dim Bool tensor).</summary>
    public Tensor All() => From(!ToArray<bool>().Contains(false));
    /// <summary>True when some element is nonzero (a 0-dim Bool tensor).</summary>
    public Tensor Any() => From(ToArray<bool>().Contains(true));

    /// <summary>True when both tensors have the same shape and all values are within
    /// |a − b| ≤ atol + rtol·|b| (<c>torch.allclose</c>).</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNaN = false)
    {
        if (!Shape.Equals(other.Shape)) return false;
        var a = ToArray<double>();
        var b = other.ToArray<double>();
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) || double.IsNaN(b[i])) { if (!(equalNaN && double.IsNaN(a[i]) && double.IsNaN(b[i]))) return false; continue; }
            if (a[i] == b[i]) continue;
            if (!(Math.Abs(a[i] - b[i]) <= atol + rtol * Math.Abs(b[i]))) return false;
        }
        return true;
    }

    /// <summary>True when shapes and all values are identical (<c>torch.equal</c>).</summary>
    public bool Equal(Tensor other) => Shape.Equals(other.Shape) && ToArray<double>().AsSpan().SequenceEqual(other.ToArray<double>());
}
