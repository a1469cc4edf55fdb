using Nabla.Vision.Gan;

namespace Nabla.Tests.Vision;

/// <summary>d2l 17.1: a GAN learns the affine map of a 2-D Gaussian.</summary>
public class GanGaussianTests
{
    [Fact]
    public void Generator_learns_the_mean_and_covariance_of_the_affine_gaussian()
    {
        var data = GaussianGan.RealData(1000, new Generator(7));
        var noise = Tensor.Randn([4000, 2], generator: new Generator(9));
        double untrained;
        using (Autograd.NoGrad()) untrained = FrechetDistance.Compute(GaussianGan.CreateGenerator(new Generator(0)).Call(noise), data);
        var losses = new List<(double D, double G)>();

        var generator = GaussianGan.Train(data, epochs: 20, batchSize: 8, seed: 0, epochEnd: (_, d, g) => losses.Add((d, g)));

        Tensor fake;
        using (Autograd.NoGrad()) fake = generator.Call(noise);
        double[] realMean = FrechetDistance.Moments(data).Mean.ToArray<double>(), fakeMean = FrechetDistance.Moments(fake).Mean.ToArray<double>();
        // The untrained generator's points sit at 0 with a spread of ~0.02: d² ≈ |b|² + tr(AᵀA) ≈ 10.5. Trained (seeds 0–2): 0.09–0.27.
        Assert.InRange(untrained, 9, 12);
        Assert.InRange(FrechetDistance.Compute(fake, data), 0, 0.05 * untrained);
        Assert.InRange(fakeMean[0], realMean[0] - 0.4, realMean[0] + 0.4);
        Assert.InRange(fakeMean[1], realMean[1] - 0.5, realMean[1] + 0.5);
        // The game ends balanced: the discriminator cannot tell the two apart, its loss near log 2 = 0.693.
        Assert.Equal(20, losses.Count);
        Assert.InRange(losses[^1].D, 0.65, 0.72);
    }

    [Fact]
    public void Frechet_distance_of_two_gaussians_matches_the_closed_form()
    {
        // 1-D: d² = (μ₁ − μ₂)² + σ₁² + σ₂² − 2σ₁σ₂ = (μ₁ − μ₂)² + (σ₁ − σ₂)²; here for diagonal 2-D samples with exact moments.
        var a = Tensor.From(new double[] { -1, -1, 1, 1, -1, 1, 1, -1 }, 4, 2);          // mean 0, covariance 4/3·I
        var b = Tensor.From(new double[] { 1, 2, 5, 2, 3, 0, 3, 4 }, 4, 2);             // mean (3, 2), covariance 8/3·I
        double expected = 9 + 4 + 2 * Math.Pow(Math.Sqrt(4.0 / 3) - Math.Sqrt(8.0 / 3), 2);
        Assert.Equal(expected, FrechetDistance.Compute(a, b), 10);
        Assert.Equal(0, FrechetDistance.Compute(b, b), 10);
    }
}
