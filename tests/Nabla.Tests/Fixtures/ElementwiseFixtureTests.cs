namespace Nabla.Tests.Fixtures;

/// <summary>Elementwise ops (unary, binary with broadcasting and scalars, comparisons, logical) against PyTorch.</summary>
public sealed class ElementwiseFixtureTests
{
    internal const string Family = "elementwise";

    public static TheoryData<string> Cases => FixtureLoader.Names(Family);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name) => Run(name, device: null);

    /// <summary>Runs case <paramref name="name"/> with its inputs on <paramref name="device"/> (the default device when null).</summary>
    internal static void Run(string name, Device? device)
    {
        var run = new FixtureRun(FixtureLoader.Case(Family, name), device: device);
        run.Check(Compute(run));
    }

    /// <summary>Maps a fixture op to the Nabla call (shared with the promotion fixtures).</summary>
    internal static Tensor Compute(FixtureRun r)
    {
        var c = r.Case;
        return c.Op switch
        {
            "add" when c.Has("alpha") => Binary(r, (a, b) => a.Add(b, c.Double("alpha"))),
            "add" => Binary(r, (a, b) => a + b, (a, v) => a + v, (a, v) => a + v),
            "sub" when c.Has("alpha") => Binary(r, (a, b) => a.Sub(b, c.Double("alpha"))),
            "sub" => Binary(r, (a, b) => a - b, (a, v) => a - v, (a, v) => a - v),
            "mul" => Binary(r, (a, b) => a * b, (a, v) => a * v, (a, v) => a * v),
            "div" when c.Has("rounding_mode") => Binary(r, (a, b) => a.Div(b, c.String("rounding_mode")!)),
            "div" => Binary(r, (a, b) => a / b, (a, v) => a / v, (a, v) => a / v),
            // C# has Pow(double) only: x.Pow(2) is what a user writes for PyTorch's x ** 2.
            "pow" => Binary(r, (a, b) => a.Pow(b), (a, v) => a.Pow(v), scalarFirst: Tensor.Pow),
            "maximum" => Binary(r, (a, b) => a.Maximum(b)),
            "minimum" => Binary(r, (a, b) => a.Minimum(b)),
            "eq" => Binary(r, (a, b) => a.Eq(b), (a, v) => a.Eq(v)),
            "ne" => Binary(r, (a, b) => a.Ne(b), (a, v) => a.Ne(v)),
            "gt" => Binary(r, (a, b) => a.Gt(b), (a, v) => a.Gt(v)),
            "ge" => Binary(r, (a, b) => a.Ge(b), (a, v) => a.Ge(v)),
            "lt" => Binary(r, (a, b) => a.Lt(b), (a, v) => a.Lt(v)),
            "le" => Binary(r, (a, b) => a.Le(b), (a, v) => a.Le(v)),
            "logical_and" => Binary(r, (a, b) => a.LogicalAnd(b)),
            "logical_or" => Binary(r, (a, b) => a.LogicalOr(b)),
            "logical_xor" => Binary(r, (a, b) => a.LogicalXor(b)),
            "logical_not" => r.T(0).LogicalNot(),
            "neg" => -r.T(0),
            "exp" => r.T(0).Exp(),
            "log" => r.T(0).Log(),
            "log1p" => r.T(0).Log1p(),
            "sqrt" => r.T(0).Sqrt(),
            "abs" => r.T(0).Abs(),
            "sign" => r.T(0).Sign(),
            "sigmoid" => r.T(0).Sigmoid(),
            "tanh" => r.T(0).Tanh(),
            "relu" => r.T(0).Relu(),
            "sin" => r.T(0).Sin(),
            "cos" => r.T(0).Cos(),
            "clamp" => NablaBridge.Clamp(r.T(0), c),
            "leaky_relu" => r.T(0).LeakyRelu(c.Double("negative_slope", 0.01)),
            "elu" => r.T(0).Elu(c.Double("alpha", 1.0)),
            "gelu" => r.T(0).Gelu(c.String("approximate", "none")!),
            "mish" => r.T(0).Mish(),
            "softplus" => r.T(0).Softplus(c.Double("beta", 1.0), c.Double("threshold", 20.0)),
            var op => throw new NotSupportedException($"{c.Name}: no Nabla mapping for op '{op}'."),
        };
    }

    static Tensor Binary(FixtureRun r, Func<Tensor, Tensor, Tensor> tensors, Func<Tensor, double, Tensor>? withDouble = null,
        Func<Tensor, long, Tensor>? withLong = null, Func<double, Tensor, Tensor>? scalarFirst = null) =>
        NablaBridge.Binary(r, tensors, withDouble, withLong, scalarFirst);
}
