namespace Nabla.Tests.Fixtures;

/// <summary>Matrix products (every matmul rank rule), inverse, determinant, solve and eigh against PyTorch.</summary>
public sealed class LinalgFixtureTests
{
    const string Family = "linalg";

    public static TheoryData<string> Cases => FixtureLoader.Names(Family);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var fixtureCase = FixtureLoader.Case(Family, name);
        // Products accumulate rounding error along the inner dimension (blocking and FMA change the
        // order of the sums): scale the tolerance like the square root of its length, bounded by
        // the largest dim of the first operand.
        int inner = fixtureCase.Inputs[0].Tensor!.Shape.DefaultIfEmpty(1).Max();
        var run = new FixtureRun(fixtureCase, toleranceScale: Math.Max(1, Math.Sqrt(inner)));
        var c = run.Case;
        switch (c.Op)
        {
            case "matmul": run.Check(run.T(0).MatMul(run.T(1))); break;
            case "bmm": run.Check(run.T(0).Bmm(run.T(1))); break;
            case "dot": run.Check(run.T(0).Dot(run.T(1))); break;
            case "outer": run.Check(run.T(0).Outer(run.T(1))); break;
            case "inv": run.Check(Linalg.Inv(run.T(0))); break;
            case "det": run.Check(Linalg.Det(run.T(0))); break;
            case "solve": run.Check(Linalg.Solve(run.T(0), run.T(1))); break;
            case "eigh":
                var (values, vectors) = Linalg.EigH(run.T(0));
                run.Check([values, vectors], (i, actual, expected) =>
                {
                    if (i == 0) FixtureAssert.Close(actual, expected, $"{c.Name}: eigenvalues", run.ToleranceScale);
                    else EigenvectorsUpToSign(actual, expected, $"{c.Name}: eigenvectors", run.ToleranceScale);
                });
                break;
            default: throw new NotSupportedException($"{c.Name}: no Nabla mapping for op '{c.Op}'.");
        }
    }

    // Each eigenvector (a column) is unique only up to sign: flip Nabla's column when its dot
    // product with PyTorch's is negative, then compare.
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
