using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>The float32 vector eˣ that softmax, cross-entropy and the recurrent cells use, against double-precision exp.</summary>
public class ExponentialTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(28)]
    [InlineData(33)]
    [InlineData(100)]
    public void ExpShifted_matches_exp_within_a_few_ulp_and_returns_the_sum(int length)
    {
        var random = new Random(length);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(random.NextDouble() * 60 - 40);
        var y = new float[length];
        float sum = Exponential.ExpShifted(x, 3.5f, y);
        double expected = 0;
        for (int i = 0; i < length; i++)
        {
            double e = Math.Exp(x[i] - 3.5f); // the shift is subtracted in float32, as the kernel does
            expected += e;
            Assert.True(Math.Abs(y[i] - e) <= 4e-7 * e, $"x = {x[i]}: {y[i]} against {e}");
        }
        Assert.Equal(expected, sum, expected * 1e-6);
    }

    [Fact]
    public void ExpShifted_in_place_handles_the_edges()
    {
        float[] x = [float.NegativeInfinity, -200, 0, 88, float.NaN, -87, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1, -2];
        var y = (float[])x.Clone();
        Exponential.ExpShifted(y, 0, y);
        Assert.Equal(0f, y[0]);
        Assert.Equal(0f, y[1]);
        // Our kernel gives e⁰ = 1 exactly; the fallback below AVX-512 (TensorPrimitives.Exp) gives 1 + 1 ulp on AVX2.
        Assert.Equal(1f, y[2], Exponential.Vectorized ? 0f : 2.4e-7f);
        Assert.Equal(MathF.Exp(88), y[3], MathF.Exp(88) * 1e-6f);
        Assert.True(float.IsNaN(y[4]));
        for (int i = 5; i < x.Length; i++) Assert.Equal(Math.Exp(x[i]), y[i], Math.Exp(x[i]) * 4e-7);
    }
}
