namespace Nabla.Tests.Fixtures;

/// <summary>Matrix products (every matmul rank rule), inverse, determinant, solve and eigh against PyTorch.</summary>
public sealed class LinalgFixtureTests
{
    const string Family = "linalg";

    // Ops with fixtures but no tensor-level op in Nabla yet (the LU/eigen kernels exist in
    // Backends/Cpu/LinearAlgebra). When one lands, map it below and move it out of this set.
    static readonly HashSet<string> MissingInNabla = ["inv", "det", "solve", "eigh"];

    public static TheoryData<string> Cases => Select(op => !MissingInNabla.Contains(op));

    public static TheoryData<string> CasesOfMissingOps => Select(MissingInNabla.Contains);

    static TheoryData<string> Select(Func<string, bool> keepOp)
    {
        var names = new TheoryData<string>();
        foreach (var c in FixtureLoader.All(Family))
            if (keepOp(c.Op)) names.Add(c.Name);
        return names;
    }

    [Theory(Skip = "Nabla has no tensor-level Inv, Det, Solve or Eigh yet (torch.linalg.inv/det/solve/eigh)")]
    [MemberData(nameof(CasesOfMissingOps))]
    public void Matches_pytorch_op_missing_in_nabla(string name) => Matches_pytorch(name);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var fixtureCase = FixtureLoader.Case(Family, name);
        // Products accumulate rounding error along the inner dimension (blocking and FMA change the
        // order of the sums): scale the tolerance like the square root of its length.
        var first = fixtureCase.Inputs[0].Tensor!;
        int inner = first.View is null && first.Shape.Length > 0 ? first.Shape[^1] : first.Shape.DefaultIfEmpty(1).Max();
        var run = new FixtureRun(fixtureCase, toleranceScale: Math.Max(1, Math.Sqrt(inner)));
        var c = run.Case;
        switch (c.Op)
        {
            case "matmul": run.Check(run.T(0).MatMul(run.T(1))); break;
            case "bmm": run.Check(run.T(0).Bmm(run.T(1))); break;
            case "dot": run.Check(run.T(0).Dot(run.T(1))); break;
            case "outer": run.Check(run.T(0).Outer(run.T(1))); break;
            case "inv" or "det" or "solve":
                throw new NotSupportedException($"{c.Name}: Nabla has no tensor-level {c.Op}.");
            case "eigh":
                // When Nabla has it: var (values, vectors) = run.T(0).Eigh(); then
                // run.Check([values, vectors], (i, actual, expected) => i == 0 ? Close(...) : EigenvectorsUpToSign(...)).
                throw new NotSupportedException($"{c.Name}: Nabla has no tensor-level eigh.");
            default: throw new NotSupportedException($"{c.Name}: no Nabla mapping for op '{c.Op}'.");
        }
    }

    // Each eigenvector (a column) is unique only up to sign: flip Nabla's column to agree with
    // PyTorch's on its largest component, then compare.
    static void EigenvectorsUpToSign(Tensor actual, FixtureTensor expected, string what, double scale)
    {
        Assert.True(actual.DType == expected.DType, $"{what}: dtype {actual.DType}, PyTorch {expected.DType}.");
        Assert.True(actual.Shape.ToArray().AsSpan().SequenceEqual(expected.Shape), $"{what}: shape {actual.Shape}, PyTorch [{string.Join(", ", expected.Shape)}].");
        double[] a = NablaBridge.ToDoubles(actual), e = expected.ToDoubles();
        int n = expected.Shape[^1];
        for (int matrix = 0; matrix < a.Length / Math.Max(1, n * n); matrix++)
            for (int column = 0; column < n; column++)
            {
                double dot = 0;
                for (int row = 0; row < n; row++)
                {
                    int k = matrix * n * n + row * n + column;
                    dot += a[k] * e[k];
                }
                if (dot >= 0) continue;
                for (int row = 0; row < n; row++) a[matrix * n * n + row * n + column] *= -1;
            }
        FixtureAssert.Values(a, e, expected.DType, what, scale);
    }
}
