using Nabla.Backends.Cpu;
using Nabla.Vision.Gan;

namespace Nabla.Bench.Jobs;

/// <summary>
/// <c>dcgan</c>: the anchors' <c>dcgan_bench</c> (torch_anchor.py) — one DCGAN iteration on a fixed batch of 128 random 1×32×32
/// images in [−1, 1]: the library's <see cref="Dcgan"/> networks at features 64 (the anchor's G 100→256→128→64→1 transposed
/// convolutions with batch norm and ReLU, Tanh out; D 1→64→128→256→1 strided convolutions with LeakyReLU 0.2 and batch norm,
/// no biases), stepped by <see cref="GanTrainer"/> (a D step on real and detached fakes, then a G step through D on the same
/// fakes, BCE with logits, Adam lr 2·10⁻⁴ betas (0.5, 0.999)). Two warm-up iterations, then the median of <c>ITERS</c> timed
/// ones (default 10, as the anchor); prints <c>dcgan-32px-b128</c> images_per_s = 128 / median seconds per iteration. With
/// <c>DCGAN_COMPARE_POLYPHASE=1</c> it then alternates iterations with the 4×4 stride-2 layers on <see cref="PolyphaseWinograd"/>
/// and on im2col and prints both medians (<c>…-polyphase</c>, <c>…-im2col</c>).
/// </summary>
/// <remarks>The anchor keeps one noise batch; the trainer draws a fresh one each iteration (128×100 normals, negligible).</remarks>
internal sealed class DcganJob : IBenchJob
{
    const int BatchSize = 128, Warmups = 2;

    public string Name => "dcgan";

    public IEnumerable<Figure> Run()
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("ITERS"), out int n) && n > 0 ? n : 10;
        var recipe = GanRecipe.For(GanKind.Dcgan);
        var weights = new Generator(0);
        var trainer = new GanTrainer(recipe, recipe.CreateGenerator(weights), recipe.CreateDiscriminator(weights), new Generator(1));
        Tensor images = Tensor.Rand([BatchSize, 1, Dcgan.ImageSize, Dcgan.ImageSize], generator: new Generator(2)) * 2 - 1;
        using ModuleProfiler? generatorProfiler = BenchOptions.Profile ? new ModuleProfiler(trainer.Generator) : null;
        using ModuleProfiler? discriminatorProfiler = BenchOptions.Profile ? new ModuleProfiler(trainer.Discriminator) : null;
        int step = 0;
        double seconds = Timing.MedianSeconds(() =>
        {
            if (step == Warmups)
            {
                generatorProfiler?.Reset();
                discriminatorProfiler?.Reset();
            }
            GanStepLosses losses = trainer.Step(images);
            Console.Error.WriteLine($"dcgan iteration {++step}/{iterations + Warmups}: D loss {losses.DiscriminatorLoss:F4}, G loss {losses.GeneratorLoss:F4}");
        }, Warmups, iterations, 1);
        if (generatorProfiler is not null && discriminatorProfiler is not null)
        {
            // The discriminator runs three times per iteration (real, detached fake, fake for G's loss), the generator once.
            Console.Error.WriteLine($"dcgan generator: time per leaf module and iteration (mean of {iterations})");
            Console.Error.WriteLine(generatorProfiler.Table(iterations, seconds));
            Console.Error.WriteLine($"dcgan discriminator: time per leaf module and iteration (mean of {iterations})");
            Console.Error.WriteLine(discriminatorProfiler.Table(iterations, seconds));
        }
        yield return new Figure($"dcgan-32px-b{BatchSize}", ("images_per_s", BatchSize / seconds));
        if (Environment.GetEnvironmentVariable("DCGAN_COMPARE_POLYPHASE") == "1")
        {
            // The 4×4 stride-2 layers on PolyphaseWinograd and on im2col, alternated iteration by iteration in this process.
            bool enabled = PolyphaseWinograd.Enabled;
            Action Variant(bool polyphase) => () =>
            {
                PolyphaseWinograd.Enabled = polyphase;
                trainer.Step(images);
            };
            double[] both = Timing.InterleavedMedianSeconds([Variant(true), Variant(false)], iterations, 1);
            PolyphaseWinograd.Enabled = enabled;
            yield return new Figure($"dcgan-32px-b{BatchSize}-polyphase", ("images_per_s", BatchSize / both[0]));
            yield return new Figure($"dcgan-32px-b{BatchSize}-im2col", ("images_per_s", BatchSize / both[1]));
        }
    }
}
