using System.Text.Json;
using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>ClipGradNorm and ClipGradValue against torch.nn.utils.clip_grad_norm_ / clip_grad_value_.</summary>
public class GradientClippingTests
{
    public static TheoryData<string> NormCases => OptimFixtures.Names("clip_grad_norm");
    public static TheoryData<string> ValueCases => OptimFixtures.Names("clip_grad_value");

    static Tensor[] WithGradients(JsonElement c)
    {
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(OptimFixtures.Ints).ToArray();
        var grads = c.GetProperty("grads");
        return [.. shapes.Select((s, i) =>
        {
            var p = Tensor.Zeros(s, requiresGrad: true);
            if (grads[i].ValueKind != JsonValueKind.Null) p.Grad = Tensor.From(OptimFixtures.Floats(grads[i]), s);
            return p;
        })];
    }

    [Theory]
    [MemberData(nameof(NormCases))]
    public void ClipGradNorm_matches_pytorch(string name)
    {
        var c = OptimFixtures.Case("clip_grad_norm", name);
        var parameters = WithGradients(c);
        var normType = c.GetProperty("norm_type") is { ValueKind: JsonValueKind.String } ? double.PositiveInfinity : c.GetProperty("norm_type").GetDouble();
        var total = GradientClipping.ClipGradNorm(parameters, c.GetProperty("max_norm").GetDouble(), normType);
        Assert.Equal(0, total.Rank);
        OptimFixtures.AssertClose([(float)c.GetProperty("total_norm").GetDouble()], [total.Item<float>()], $"{name}: total norm");
        var clipped = c.GetProperty("clipped");
        for (int i = 0; i < parameters.Length; i++)
        {
            if (clipped[i].ValueKind == JsonValueKind.Null) { Assert.Null(parameters[i].Grad); continue; }
            OptimFixtures.AssertClose(OptimFixtures.Floats(clipped[i]), parameters[i].Grad!.ToArray<float>(), $"{name}: gradient {i}");
        }
    }

    [Theory]
    [MemberData(nameof(ValueCases))]
    public void ClipGradValue_matches_pytorch(string name)
    {
        var c = OptimFixtures.Case("clip_grad_value", name);
        var parameters = WithGradients(c);
        GradientClipping.ClipGradValue(parameters, c.GetProperty("clip_value").GetDouble());
        var clipped = c.GetProperty("clipped");
        for (int i = 0; i < parameters.Length; i++)
            Assert.Equal(OptimFixtures.Floats(clipped[i]), parameters[i].Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData(DType.Float32, 0.5)]
    [InlineData(DType.Float64, 0.5)]
    [InlineData(DType.Float32, 1e6)] // no clipping
    public void ClipGradNorm_fast_path_for_contiguous_gradients_equals_the_general_one(DType dtype, double maxNorm)
    {
        // Contiguous gradients take the in-place path; transposed views of the same values the tensor-op path.
        var values = Enumerable.Range(0, 3).Select(i => Tensor.Randn([70, 90], dtype, new Generator(i))).ToArray();
        var contiguous = values.Select(v => { var p = Tensor.Zeros([70, 90], dtype, requiresGrad: true); p.Grad = v.Clone(); return p; }).ToArray();
        var strided = values.Select(v => { var p = Tensor.Zeros([90, 70], dtype, requiresGrad: true); p.Grad = v.Clone().T; return p; }).ToArray();
        double fast = GradientClipping.ClipGradNorm(contiguous, maxNorm).Item();
        double general = GradientClipping.ClipGradNorm(strided, maxNorm).Item();
        Assert.Equal(general, fast, general * 1e-6);
        for (int i = 0; i < values.Length; i++)
            OptimFixtures.AssertClose(strided[i].Grad!.T.Contiguous().To(DType.Float32).ToArray<float>(), contiguous[i].Grad!.To(DType.Float32).ToArray<float>(), $"gradient {i}");
    }

    [Fact]
    public void ClipGradNorm_without_gradients_returns_zero()
    {
        var p = Tensor.Zeros([3], requiresGrad: true);
        Assert.Equal(0.0, GradientClipping.ClipGradNorm([p], 1.0).Item());
        Assert.Null(p.Grad);
    }

    [Fact]
    public void ClipGradNorm_error_if_nonfinite_leaves_gradients_unchanged()
    {
        var p = Tensor.Zeros([2], requiresGrad: true);
        p.Grad = Tensor.From(new[] { 1f, float.PositiveInfinity });
        var error = Assert.Throws<ArithmeticException>(() => GradientClipping.ClipGradNorm([p], 1.0, errorIfNonfinite: true));
        Assert.Contains("ClipGradNorm", error.Message);
        Assert.Equal(new[] { 1f, float.PositiveInfinity }, p.Grad.ToArray<float>());
    }
}
