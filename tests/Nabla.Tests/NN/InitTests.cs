using Nabla.NN;

namespace Nabla.Tests.NN;

public class InitTests
{
    static (double Mean, double Std, double Min, double Max) Stats(Tensor t)
    {
        var v = t.ToArray<double>();
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return (mean, std, v.Min(), v.Max());
    }

    [Fact]
    public void CalculateGain_matches_pytorch_table()
    {
        Assert.Equal(1, Init.CalculateGain("linear"));
        Assert.Equal(1, Init.CalculateGain("conv2d"));
        Assert.Equal(1, Init.CalculateGain("sigmoid"));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain("relu"));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.01 * 0.01)), Init.CalculateGain("leaky_relu"));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.2 * 0.2)), Init.CalculateGain("leaky_relu", 0.2));
        Assert.Equal(0.75, Init.CalculateGain("selu"));
        Assert.Throws<ArgumentException>(() => Init.CalculateGain("swish"));
    }

    [Fact]
    public void Fans_count_the_receptive_field()
    {
        Assert.Equal((75, 100), Init.CalculateFanInAndFanOut(Tensor.Zeros([4, 3, 5, 5])));
        Assert.Equal((3, 7), Init.CalculateFanInAndFanOut(Tensor.Zeros([7, 3])));
        Assert.Throws<ShapeException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros([5])));
    }

    [Fact]
    public void Uniform_and_normal_have_the_requested_statistics()
    {
        var g = new Generator(1);
        var u = Init.Uniform_(Tensor.Empty([400, 500]), -2, 4, g);
        var (mean, std, min, max) = Stats(u);
        Assert.Equal(1, mean, 0.02);
        Assert.Equal(6 / Math.Sqrt(12), std, 0.01);
        Assert.True(min >= -2 && max < 4);
        var n = Init.Normal_(Tensor.Empty([400, 500]), 3, 0.5, g);
        (mean, std, _, _) = Stats(n);
        Assert.Equal(3, mean, 0.005);
        Assert.Equal(0.5, std, 0.005);
        var tn = Init.TruncNormal_(Tensor.Empty([100, 100]), 0, 1, -1, 1.5, g);
        (_, _, min, max) = Stats(tn);
        Assert.True(min >= -1 && max <= 1.5);
    }

    [Fact]
    public void Xavier_uses_glorot_bounds()
    {
        var g = new Generator(2);
        var w = Init.XavierUniform_(Tensor.Empty([300, 200]), gain: 2, generator: g);
        double bound = 2 * Math.Sqrt(6.0 / (200 + 300));
        var (mean, std, min, max) = Stats(w);
        Assert.True(min >= -bound && max <= bound);
        Assert.True(max > 0.99 * bound && min < -0.99 * bound);
        Assert.Equal(0, mean, 0.005);
        Assert.Equal(bound / Math.Sqrt(3), std, 0.003);
        var wn = Init.XavierNormal_(Tensor.Empty([300, 200]), generator: g);
        Assert.Equal(Math.Sqrt(2.0 / 500), Stats(wn).Std, 0.001);
    }

    [Fact]
    public void Kaiming_uses_he_bounds()
    {
        var g = new Generator(3);
        // Conv weight [64, 32, 3, 3]: fan_in = 288, fan_out = 576.
        var w = Init.KaimingUniform_(Tensor.Empty([64, 32, 3, 3]), generator: g);
        double bound = Math.Sqrt(2 / (1 + 0.0)) * Math.Sqrt(3.0 / 288);
        var (_, std, min, max) = Stats(w);
        Assert.True(min >= -bound && max <= bound && max > 0.99 * bound);
        Assert.Equal(bound / Math.Sqrt(3), std, 0.002);
        var wn = Init.KaimingNormal_(Tensor.Empty([64, 32, 3, 3]), mode: "fan_out", nonlinearity: "relu", generator: g);
        Assert.Equal(Math.Sqrt(2) / Math.Sqrt(576), Stats(wn).Std, 0.001);
        Assert.Throws<ArgumentException>(() => Init.KaimingNormal_(Tensor.Empty([2, 2]), mode: "fan_avg"));
    }

    [Fact]
    public void Linear_default_init_is_uniform_one_over_sqrt_fan_in()
    {
        Generator.ManualSeed(4);
        var layer = new Linear(400, 300);
        double bound = 1 / Math.Sqrt(400);
        var (_, std, min, max) = Stats(layer.Weight);
        Assert.True(min >= -bound && max <= bound && max > 0.99 * bound);
        Assert.Equal(bound / Math.Sqrt(3), std, 0.0005);
        var (_, _, bmin, bmax) = Stats(layer.Bias!);
        Assert.True(bmin >= -bound && bmax <= bound);
        Assert.True(layer.Weight.IsLeaf && layer.Weight.RequiresGrad);
    }

    [Theory]
    [InlineData(4, 10)]
    [InlineData(10, 4)]
    [InlineData(5, 5)]
    public void Orthogonal_gives_orthonormal_rows_or_columns(int rows, int columns)
    {
        var w = Init.Orthogonal_(Tensor.Empty([rows, columns], DType.Float64), gain: 1.5, generator: new Generator(5));
        var gram = rows <= columns ? w.MatMul(w.T) : w.T.MatMul(w);
        int n = Math.Min(rows, columns);
        Assert.True(gram.AllClose(Tensor.Eye(n, dtype: DType.Float64) * 2.25, atol: 1e-10));
    }

    [Fact]
    public void Constant_zeros_ones_eye_fill_in_place()
    {
        var p = new Parameter(Tensor.Empty([2, 3]));
        Assert.Same(p, Init.Constant_(p, 0.5));
        Assert.All(p.ToArray<float>(), v => Assert.Equal(0.5f, v));
        Init.Zeros_(p);
        Assert.All(p.ToArray<float>(), v => Assert.Equal(0f, v));
        Init.Ones_(p);
        Assert.All(p.ToArray<float>(), v => Assert.Equal(1f, v));
        Init.Eye_(p);
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, p.ToArray<float>());
        Assert.True(p.IsLeaf);
    }
}
