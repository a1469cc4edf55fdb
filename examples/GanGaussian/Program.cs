// d2l §17.1 (generative adversarial networks): real points are X·A + b with X ~ N(0, I₂); a
// generator that is one Linear(2, 2) plays against an MLP discriminator (2-5-3-1, tanh) until the
// discriminator can no longer tell its points from the real ones. The generator then holds an
// affine map whose points have the data's mean b and covariance AᵀA (the map itself is A only up to a
// rotation of the noise, which the data cannot see).
//
//   dotnet run -c Release --project examples/GanGaussian -- [epochs=20] [seed=0]
using System.Globalization;
using Nabla;
using Nabla.Vision.Gan;

int epochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
long seed = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 0;

var data = GaussianGan.RealData(1000, new Generator(seed + 7));
var noise = Tensor.Randn([4000, 2], generator: new Generator(seed + 9));
Nabla.NN.Sequential? generator = null;
string Moments(Tensor points)
{
    var (mean, covariance) = FrechetDistance.Moments(points);
    double[] m = mean.ToArray<double>(), c = covariance.ToArray<double>();
    return FormattableString.Invariant($"mean ({m[0],5:F2}, {m[1],5:F2})  covariance [[{c[0],5:F2}, {c[1],5:F2}], [{c[2],5:F2}, {c[3],5:F2}]]");
}
Console.WriteLine($"real       {Moments(data)}");
generator = GaussianGan.Train(data, epochs, batchSize: 8, seed, (epoch, d, g) =>
    Console.WriteLine(FormattableString.Invariant($"epoch {epoch,2}: loss_D {d:F3}, loss_G {g:F3}")));
Tensor fake;
using (Autograd.NoGrad()) fake = generator.Call(noise);
Console.WriteLine($"generated  {Moments(fake)}");
Console.WriteLine($"distance between the two Gaussians (Fréchet): {FrechetDistance.Compute(fake, data):F4}");
