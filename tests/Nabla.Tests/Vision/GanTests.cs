using Nabla.NN;
using Nabla.Vision;
using Nabla.Vision.Gan;

namespace Nabla.Tests.Vision;

/// <summary>The DCGAN networks, the conditioning, WGAN-GP's penalty (double backward), the trainer and the judge of the samples.</summary>
public class GanTests
{
    [Fact]
    public void Dcgan_generator_maps_noise_to_32px_images_in_tanh_range_with_the_anchor_parameter_count()
    {
        var generator = Dcgan.Generator(generator: new Generator(0));
        Tensor images;
        using (Autograd.NoGrad()) images = generator.Call(Tensor.Randn([3, 100], generator: new Generator(1)));

        Assert.Equal([3, 1, 32, 32], images.Shape.ToArray());
        float[] values = images.ToArray<float>();
        Assert.All(values, v => Assert.InRange(v, -1f, 1f));
        // ConvT 100·256·16 + 256·128·16 + 128·64·16 + 64·1·16, no biases; BN 2·(256 + 128 + 64): PyTorch's DCGAN generator for 32 px.
        Assert.Equal(409_600 + 524_288 + 131_072 + 1_024 + 2 * (256 + 128 + 64), generator.Parameters().Sum(p => p.Shape.NumElements));
    }

    [Fact]
    public void Dcgan_discriminator_gives_one_logit_per_image_and_the_critic_has_no_batch_norm()
    {
        var discriminator = Dcgan.Discriminator(features: 8, generator: new Generator(0));
        var critic = Dcgan.Discriminator(features: 8, batchNorm: false, generator: new Generator(0));

        Assert.Equal([5, 1], discriminator.Call(Tensor.Randn(5, 1, 32, 32)).Shape.ToArray());
        Assert.Equal([5, 1], critic.Call(Tensor.Randn(5, 1, 32, 32)).Shape.ToArray());
        Assert.Equal(2, discriminator.Modules().Count(m => m is BatchNorm2d));
        Assert.DoesNotContain(critic.Modules(), m => m is BatchNorm);
    }

    [Fact]
    public void Condition_appends_one_hot_to_noise_and_class_planes_to_images()
    {
        var labels = Tensor.From(new long[] { 2, 0 }, 2);
        var noise = Dcgan.Condition(Tensor.Ones([2, 3]), labels, numClasses: 3);
        var images = Dcgan.Condition(Tensor.Zeros([2, 1, 2, 2]), labels, numClasses: 3);

        Assert.Equal(new float[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0 }, noise.ToArray<float>());
        Assert.Equal([2, 4, 2, 2], images.Shape.ToArray());
        // Sample 0 (class 2): planes of classes 1 and 2; sample 1 (class 0): the plane of class 0.
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, images.Select(0, 0).Narrow(0, 2, 2).Contiguous().ToArray<float>().Concat(images.Select(0, 1).Select(0, 1).Contiguous().ToArray<float>()).ToArray());
        var conditional = Dcgan.Generator(latentDim: 4, features: 2, numClasses: 3);
        Assert.Equal([2, 1, 32, 32], conditional.Call(Dcgan.Condition(Tensor.Randn(2, 4), labels, 3)).Shape.ToArray());
        Assert.Throws<ShapeException>(() => Dcgan.Condition(Tensor.Ones([2, 3]), Tensor.From(new long[] { 1 }, 1), 3));
    }

    [Fact]
    public void Gradient_penalty_of_a_linear_critic_is_the_squared_norm_gap_and_its_weight_gradient_comes_through_double_backward()
    {
        // critic(x) = w·x: ∇ₓ = w wherever x̂ lies, so the penalty is (‖w‖ − 1)² and ∂/∂w = 2(‖w‖ − 1) w/‖w‖.
        var critic = new Sequential(new Flatten(), new Linear(4, 1, bias: false, dtype: DType.Float64));
        double[] w = [0.5, -1.0, 2.0, 0.25];
        using (Autograd.NoGrad()) critic.Parameters().Single().Copy_(Tensor.From(w, 1, 4));
        var real = Tensor.Randn([3, 1, 2, 2], DType.Float64, new Generator(1));
        var fake = Tensor.Randn([3, 1, 2, 2], DType.Float64, new Generator(2));

        var penalty = GanTrainer.GradientPenalty(critic, real, fake, new Generator(3));
        penalty.Backward();

        double norm = Math.Sqrt(w.Sum(v => v * v));
        Assert.Equal(Math.Pow(norm - 1, 2), penalty.Item(), 9);
        double[] gradient = critic.Parameters().Single().Grad!.ToArray<double>();
        for (int i = 0; i < 4; i++) Assert.Equal(2 * (norm - 1) * w[i] / norm, gradient[i], 6);
    }

    [Fact]
    public void Gradient_penalty_through_a_strided_conv_critic_matches_finite_differences()
    {
        var critic = new Sequential(new Conv2d(1, 2, 3, stride: 2, padding: 1, dtype: DType.Float64), new LeakyReLU(0.2), new Flatten(), new Linear(8, 1, dtype: DType.Float64));
        Dcgan.Initialize(critic, new Generator(4));
        foreach (var p in critic.Parameters()) using (Autograd.NoGrad()) p.Mul_(10); // away from a flat critic
        var real = Tensor.Randn([2, 1, 4, 4], DType.Float64, new Generator(5));
        var fake = Tensor.Randn([2, 1, 4, 4], DType.Float64, new Generator(6));
        double Penalty() => GanTrainer.GradientPenalty(critic, real, fake, new Generator(7)).Item();

        GanTrainer.GradientPenalty(critic, real, fake, new Generator(7)).Backward();

        var weight = ((Conv2d)critic[0]).Weight;
        double[] analytic = weight.Grad!.ToArray<double>();
        const double h = 1e-6;
        foreach (int i in new[] { 0, 4, 13 })
        {
            using (Autograd.NoGrad()) weight.View(-1).Narrow(0, i, 1).Add_(h);
            double plus = Penalty();
            using (Autograd.NoGrad()) weight.View(-1).Narrow(0, i, 1).Add_(-2 * h);
            double minus = Penalty();
            using (Autograd.NoGrad()) weight.View(-1).Narrow(0, i, 1).Add_(h);
            Assert.Equal((plus - minus) / (2 * h), analytic[i], 5);
        }
        Assert.NotEqual(0, analytic[0]);
    }

    [Fact]
    public void Trainer_steps_both_networks_and_wgan_gp_steps_the_generator_every_fifth_critic_step()
    {
        var real = Tensor.Rand([4, 1, 32, 32], generator: new Generator(1)) * 2 - 1;
        foreach (GanKind kind in new[] { GanKind.Dcgan, GanKind.WganGp, GanKind.Cgan })
        {
            var recipe = GanRecipe.For(kind) with { Features = 2, LatentDim = 8 };
            var trainer = new GanTrainer(recipe, recipe.CreateGenerator(new Generator(0)), recipe.CreateDiscriminator(new Generator(0)), new Generator(2));
            float[] generatorBefore = trainer.Generator.Parameters().First().ToArray<float>();
            float[] discriminatorBefore = trainer.Discriminator.Parameters().First().ToArray<float>();
            Tensor? labels = kind == GanKind.Cgan ? Tensor.From(new long[] { 0, 3, 9, 3 }, 4) : null;

            var losses = Enumerable.Range(0, 5).Select(_ => trainer.Step(real, labels)).ToList();

            Assert.All(losses, l => Assert.True(double.IsFinite(l.DiscriminatorLoss)));
            if (kind == GanKind.WganGp)
            {
                Assert.Equal([null, null, null, null], losses.Take(4).Select(l => l.GeneratorLoss));
                Assert.NotNull(losses[4].GeneratorLoss);
                Assert.All(losses, l => Assert.NotNull(l.Wasserstein));
            }
            else
            {
                Assert.All(losses, l => Assert.NotNull(l.GeneratorLoss));
                Assert.All(losses, l => Assert.Null(l.Wasserstein));
            }
            Assert.NotEqual(generatorBefore, trainer.Generator.Parameters().First().ToArray<float>());
            Assert.NotEqual(discriminatorBefore, trainer.Discriminator.Parameters().First().ToArray<float>());
            Assert.Equal(5, trainer.CriticStepsTaken);
        }
        var cgan = GanRecipe.For(GanKind.Cgan) with { Features = 2 };
        Assert.Throws<ArgumentException>(() => new GanTrainer(cgan, cgan.CreateGenerator(), cgan.CreateDiscriminator()).Step(real));
    }

    [Fact]
    public void Generator_step_freezes_the_discriminator_only_while_it_runs_and_keeps_the_callers_frozen_parameters()
    {
        var real = Tensor.Rand([4, 1, 32, 32], generator: new Generator(1)) * 2 - 1;
        foreach (GanKind kind in new[] { GanKind.Dcgan, GanKind.WganGp })
        {
            var recipe = GanRecipe.For(kind) with { Features = 2, LatentDim = 8, CriticSteps = 1 };
            var trainer = new GanTrainer(recipe, recipe.CreateGenerator(new Generator(0)), recipe.CreateDiscriminator(new Generator(0)), new Generator(2));
            var frozen = trainer.Discriminator.Parameters().First();
            frozen.RequiresGrad = false;
            float[] frozenBefore = frozen.ToArray<float>();

            GanStepLosses losses = trainer.Step(real);

            Assert.NotNull(losses.GeneratorLoss);
            Assert.False(frozen.RequiresGrad);
            Assert.Null(frozen.Grad);
            Assert.Equal(frozenBefore, frozen.ToArray<float>());
            Assert.All(trainer.Discriminator.Parameters().Skip(1), p => Assert.True(p.RequiresGrad));
            // The discriminator's step left its gradients; the generator step (through the frozen discriminator) gave the generator its own.
            Assert.All(trainer.Discriminator.Parameters().Skip(1), p => Assert.NotNull(p.Grad));
            Assert.All(trainer.Generator.Parameters(), p => Assert.NotNull(p.Grad));
        }
    }

    [Fact]
    public void Shipped_classifier_recognises_the_sample_test_images_and_real_images_are_close_in_its_features()
    {
        var classifier = FashionClassifier.LoadEmbedded();
        var (test, labels) = GanImages.FromMnist(FashionMnist.LoadSample(train: false));
        var (train, _) = GanImages.FromMnist(FashionMnist.LoadSample(train: true));

        long[] predicted = classifier.Predict(test).ToArray<long>(), truth = labels.ToArray<long>();
        double accuracy = predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;
        var features = classifier.Features(test);
        double real = FrechetDistance.Compute(classifier.Features(train.Narrow(0, 0, 1000)), features);
        double noise = FrechetDistance.Compute(classifier.Features(Tensor.Rand([1000, 1, 32, 32], generator: new Generator(1)) * 2 - 1), features);

        Assert.Equal(0.856, accuracy, 3); // as trained (see FashionClassifier)
        Assert.Equal([1000, FashionClassifier.FeatureCount], features.Shape.ToArray());
        Assert.InRange(real, 0, 0.05);
        Assert.True(noise > 100 * real, $"noise {noise} against real {real}");
    }

    [Fact]
    public void Gan_images_pad_fashion_mnist_to_32px_in_tanh_range_and_the_classifier_input_crops_it_back()
    {
        var sample = FashionMnist.LoadSample(train: false);
        var data = DataSourceTake(sample, 2);
        var (images, labels) = GanImages.FromMnist(data);

        Assert.Equal([2, 1, 32, 32], images.Shape.ToArray());
        Assert.Equal(new long[] { data.Labels[0], data.Labels[1] }, labels.ToArray<long>());
        float[] pixels = images.ToArray<float>();
        Assert.Equal(-1f, pixels[0]);                                   // the border is background
        Assert.Equal(data.Images[0] / 127.5f - 1f, pixels[2 * 32 + 2], 6); // the image starts 2 pixels in
        float[] back = GanImages.ToClassifierInput(images).ToArray<float>();
        for (int i = 0; i < 28 * 28; i++) Assert.Equal(data.Images[i] / 255f, back[i], 5);
    }

    private static MnistData DataSourceTake(MnistData data, int count) =>
        data with { Images = data.Images[..(count * data.ImageSize)], Labels = data.Labels[..count], Count = count };
}
