namespace Nabla.Tests.Fixtures;

/// <summary>Reductions, scans and softmax against PyTorch (tolerances scaled by the number of reduced elements).</summary>
public sealed class ReductionFixtureTests
{
    internal const string Family = "reduction";

    public static TheoryData<string> Cases => FixtureLoader.Names(Family);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name) => Run(name, device: null);

    /// <summary>Runs case <paramref name="name"/> with its inputs on <paramref name="device"/> (the default device when null).</summary>
    internal static void Run(string name, Device? device)
    {
        var fixtureCase = FixtureLoader.Case(Family, name);
        var run = new FixtureRun(fixtureCase, device: device);
        // Summation order differs between libraries: allow error growing like the square root of the reduced length.
        var input = fixtureCase.Inputs[0].Tensor!;
        double inputCount = input.Shape.Aggregate(1.0, (n, d) => n * d);
        double outputCount = fixtureCase.Outputs[0]!.Shape.Aggregate(1.0, (n, d) => n * d);
        run.ToleranceScale = Math.Max(1, Math.Sqrt(inputCount / Math.Max(1, outputCount)));
        var outputs = Compute(run);
        run.Check(outputs);
    }

    static Tensor[] Compute(FixtureRun r)
    {
        var c = r.Case;
        var x = r.T(0);
        bool keepDim = c.Bool("keepdim");
        bool hasDim = c.Has("dim");
        return c.Op switch
        {
            "sum" => [NablaBridge.Sum(x, c)],
            "mean" => [NablaBridge.Mean(x, c)],
            "prod" => [hasDim ? x.Prod(c.Int("dim"), keepDim) : x.Prod()],
            "max" => hasDim ? Pair(x.Max(c.Int("dim"), keepDim)) : [x.Max()],
            "min" => hasDim ? Pair(x.Min(c.Int("dim"), keepDim)) : [x.Min()],
            "argmax" => [hasDim ? x.ArgMax(c.Int("dim"), keepDim) : x.ArgMax()],
            "argmin" => [hasDim ? x.ArgMin(c.Int("dim"), keepDim) : x.ArgMin()],
            "var" => [hasDim ? x.Var(c.Ints("dim"), c.Bool("unbiased", true), keepDim) : x.Var(null, c.Bool("unbiased", true))],
            "std" => [hasDim ? x.Std(c.Ints("dim"), c.Bool("unbiased", true), keepDim) : x.Std(null, c.Bool("unbiased", true))],
            "norm" => [NablaBridge.Norm(x, c)],
            "logsumexp" => [x.LogSumExp(c.Ints("dim"), keepDim)],
            "cumsum" => [x.CumSum(c.Int("dim"))],
            "softmax" => [NablaBridge.WithDType(x, c).Softmax(c.Int("dim"))],
            "log_softmax" => [NablaBridge.WithDType(x, c).LogSoftmax(c.Int("dim"))],
            var op => throw new NotSupportedException($"{c.Name}: no Nabla mapping for op '{op}'."),
        };
    }

    static Tensor[] Pair((Tensor Values, Tensor Indices) result) => [result.Values, result.Indices];
}
