namespace Nabla.Tests.Fixtures;

/// <summary>
/// Second derivatives (double backward through the ops) against <c>torch.autograd.functional.hessian</c>:
/// each case names a function of its first input; the other inputs are constants.
/// </summary>
public sealed class HessianFixtureTests
{
    const string Family = "hessian";

    public static TheoryData<string> Cases => FixtureLoader.Names(Family);

    [Theory, MemberData(nameof(Cases))]
    public void Matches_pytorch(string name)
    {
        var c = FixtureLoader.Case(Family, name);
        var run = new FixtureRun(c);
        var constants = Enumerable.Range(1, run.Count - 1).Select(run.T).ToArray();
        Func<Tensor, Tensor> f = Function(c.String("function")!, constants);
        var x = run.T(0);

        var value = f(x);
        FixtureAssert.Close(value, FixtureTensor.Parse(c.Json.GetProperty("value")), $"{name}: value", run.ToleranceScale);
        var gradient = NablaBridge.Grad([value], [], [x])[0]!;
        FixtureAssert.Close(gradient, FixtureTensor.Parse(c.Json.GetProperty("gradient")), $"{name}: gradient", run.ToleranceScale);
        var hessian = NablaBridge.Hessian(f, x.Detach());
        FixtureAssert.Close(hessian, c.Outputs[0]!, $"{name}: hessian", run.ToleranceScale);
    }

    // The same functions as HESSIAN_FUNCTIONS in tests/fixtures/make_fixtures.py, op for op.
    static Func<Tensor, Tensor> Function(string name, Tensor[] k) => name switch
    {
        // x³ − 3x + y²
        "cubic_x_plus_square_y" => p => NablaBridge.Element(p, 0).Pow(3) - 3 * NablaBridge.Element(p, 0) + NablaBridge.Element(p, 1).Pow(2),
        // x³ − 3x + y³ − 3y
        "cubic_x_plus_cubic_y" => p => NablaBridge.Element(p, 0).Pow(3) - 3 * NablaBridge.Element(p, 0)
                                       + NablaBridge.Element(p, 1).Pow(3) - 3 * NablaBridge.Element(p, 1),
        // (1 − x)² + 100 (y − x²)²
        "rosenbrock" => p => (1 - NablaBridge.Element(p, 0)).Pow(2) + 100 * (NablaBridge.Element(p, 1) - NablaBridge.Element(p, 0).Pow(2)).Pow(2),
        // Σ tanh(A x)
        "sum_tanh_Ax" => x => k[0].MatMul(x).Tanh().Sum(),
        // mean over samples of −log softmax(X Wᵀ)[target]
        "softmax_cross_entropy_linear" => w => -k[0].MatMul(w.T).LogSoftmax(1).Gather(1, k[1].Unsqueeze(1)).Mean(),
        // ½ xᵀ Q x + bᵀ x
        "quadratic_form" => x => 0.5 * x.MatMul(k[0]).MatMul(x) + k[1].MatMul(x),
        "logsumexp" => x => x.LogSumExp([0], false),
        // Σ X³
        "sum_cube_matrix" => x => x.Pow(3).Sum(),
        _ => throw new NotSupportedException($"unknown Hessian fixture function '{name}'"),
    };
}
