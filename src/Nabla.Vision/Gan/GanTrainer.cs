using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Vision.Gan;

/// <summary>
/// Plays the GAN game one minibatch of real images at a time (d2l 17.1–17.2's <c>update_D</c> / <c>update_G</c>):
/// <list type="bullet">
/// <item>DCGAN and the conditional GAN: a discriminator step on real images (target 1) and detached fakes (target 0),
/// loss ½(BCE(D(x), 1) + BCE(D(G(z)), 0)), then a generator step on the non-saturating loss BCE(D(G(z)), 1), on the same fakes.
/// The conditional GAN's fakes take the classes of the real batch.</item>
/// <item>WGAN-GP: every step is a critic step on mean C(G(z)) − mean C(x) + λ·E[(‖∇ₓ̂C(x̂)‖ − 1)²], x̂ a random point between
/// a real and a fake image (the penalty is differentiated again: double backward); every <see cref="GanRecipe.CriticSteps"/>-th
/// step is followed by a generator step on −mean C(G(z)) with fresh noise.</item>
/// </list>
/// Both networks use Adam with the recipe's rates and betas. Nothing here is specific to images but the WGAN-GP penalty's
/// [N, C, H, W] and the conditioning: d2l 17.1's GAN on 2-D points trains with the same steps. The noise comes from <see cref="Noise"/>, so a run is reproducible
/// from its seeds and resumable from <see cref="Noise"/>'s state and <see cref="CriticStepsTaken"/>.
/// </summary>
public sealed class GanTrainer
{
    /// <summary>A trainer of <paramref name="generatorNet"/> against <paramref name="discriminator"/> with <paramref name="recipe"/>.</summary>
    /// <param name="recipe">The kind and the hyper-parameters.</param>
    /// <param name="generatorNet">The generator, [N, latent (+ classes)] → [N, 1, H, W].</param>
    /// <param name="discriminator">The discriminator or critic, [N, 1 (+ classes), H, W] → [N, 1].</param>
    /// <param name="noise">Random source of the noise and the penalty's interpolation; a new one seeded 0 when null.</param>
    public GanTrainer(GanRecipe recipe, Module<Tensor, Tensor> generatorNet, Module<Tensor, Tensor> discriminator, Generator? noise = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        Recipe = recipe;
        Generator = generatorNet ?? throw new ArgumentNullException(nameof(generatorNet));
        Discriminator = discriminator ?? throw new ArgumentNullException(nameof(discriminator));
        Noise = noise ?? new Generator(0);
        if (recipe.CriticSteps < 1) throw new ArgumentException($"GanTrainer: CriticSteps must be at least 1, got {recipe.CriticSteps}.", nameof(recipe));
        GeneratorOptimizer = new Adam(generatorNet.Parameters(), recipe.LearningRate, (recipe.Beta1, recipe.Beta2));
        DiscriminatorOptimizer = new Adam(discriminator.Parameters(), recipe.DiscriminatorLearningRate ?? recipe.LearningRate, (recipe.Beta1, recipe.Beta2));
    }

    /// <summary>The recipe.</summary>
    public GanRecipe Recipe { get; }

    /// <summary>The generator network.</summary>
    public Module<Tensor, Tensor> Generator { get; }

    /// <summary>The discriminator (critic) network.</summary>
    public Module<Tensor, Tensor> Discriminator { get; }

    /// <summary>The generator's Adam.</summary>
    public Adam GeneratorOptimizer { get; }

    /// <summary>The discriminator's Adam.</summary>
    public Adam DiscriminatorOptimizer { get; }

    /// <summary>Random source of the noise vectors and of the gradient penalty's interpolation weights.</summary>
    public Generator Noise { get; }

    /// <summary>Critic steps so far (WGAN-GP's generator steps after every <see cref="GanRecipe.CriticSteps"/>-th); saved to resume.</summary>
    public long CriticStepsTaken { get; set; }

    /// <summary>The generator's input for a batch: noise of <paramref name="count"/> rows, with the one-hot classes when conditional.</summary>
    /// <param name="count">Rows.</param>
    /// <param name="labels">Classes, int64 [count]; required by a conditional GAN, ignored otherwise.</param>
    public Tensor GeneratorInput(int count, Tensor? labels = null) => ConditionNoise(Tensor.Randn([count, Recipe.LatentDim], generator: Noise), labels);

    /// <summary>One training step on a batch of real images (see the type's summary).</summary>
    /// <param name="real">Real images [N, 1, H, W] in [−1, 1].</param>
    /// <param name="labels">Their classes, int64 [N]; required by the conditional GAN, ignored otherwise.</param>
    /// <exception cref="ArgumentException">The conditional GAN got no labels.</exception>
    public GanStepLosses Step(Tensor real, Tensor? labels = null)
    {
        ArgumentNullException.ThrowIfNull(real);
        if (Recipe.IsConditional && labels is null) throw new ArgumentException("GanTrainer.Step: the conditional GAN needs the labels of the batch.", nameof(labels));
        Generator.Train();
        Discriminator.Train();
        return Recipe.Kind == GanKind.WganGp ? WassersteinStep(real) : BinaryStep(real, labels);
    }

    GanStepLosses BinaryStep(Tensor real, Tensor? labels)
    {
        int n = real.Size(0);
        var fake = Generator.Call(GeneratorInput(n, labels));
        var ones = Tensor.Ones([n, 1]);
        var zeros = Tensor.Zeros([n, 1]);

        DiscriminatorOptimizer.ZeroGrad();
        var realLogits = Discriminator.Call(ConditionImage(real, labels));
        var fakeLogits = Discriminator.Call(ConditionImage(fake.Detach(), labels));
        var discriminatorLoss = (Functional.BinaryCrossEntropyWithLogits(realLogits, ones) + Functional.BinaryCrossEntropyWithLogits(fakeLogits, zeros)) * 0.5;
        discriminatorLoss.Backward();
        DiscriminatorOptimizer.Step();

        GeneratorOptimizer.ZeroGrad();
        var generatorLoss = ThroughFrozenDiscriminator(() =>
        {
            var loss = Functional.BinaryCrossEntropyWithLogits(Discriminator.Call(ConditionImage(fake, labels)), ones);
            loss.Backward();
            return loss;
        });
        GeneratorOptimizer.Step();
        CriticStepsTaken++;
        return new GanStepLosses(discriminatorLoss.Item(), generatorLoss.Item(), null);
    }

    /// <summary>
    /// Runs a generator step's forward and backward with the discriminator's parameters frozen (requires_grad off, as PyTorch's
    /// DCGAN examples do): the gradient still flows through the discriminator to the generator, but its weight gradients, which
    /// the next discriminator step would clear unused, are not computed (half of each of its convolutions' backward work);
    /// parameters frozen by the caller stay frozen.
    /// </summary>
    Tensor ThroughFrozenDiscriminator(Func<Tensor> forwardAndBackward)
    {
        var trainable = Discriminator.Parameters().Where(p => p.RequiresGrad).ToList();
        foreach (var parameter in trainable) parameter.RequiresGrad = false;
        try
        {
            return forwardAndBackward();
        }
        finally
        {
            foreach (var parameter in trainable) parameter.RequiresGrad = true;
        }
    }

    GanStepLosses WassersteinStep(Tensor real)
    {
        int n = real.Size(0);
        Tensor fake;
        using (Autograd.NoGrad()) fake = Generator.Call(GeneratorInput(n));

        DiscriminatorOptimizer.ZeroGrad();
        var wasserstein = Discriminator.Call(real).Mean() - Discriminator.Call(fake).Mean();
        var penalty = GradientPenalty(Discriminator, real, fake, Noise);
        var criticLoss = -wasserstein + penalty * Recipe.GradientPenaltyWeight;
        criticLoss.Backward();
        DiscriminatorOptimizer.Step();
        CriticStepsTaken++;

        double? generatorLoss = null;
        if (CriticStepsTaken % Recipe.CriticSteps == 0)
        {
            GeneratorOptimizer.ZeroGrad();
            var loss = ThroughFrozenDiscriminator(() =>
            {
                var meanScore = -Discriminator.Call(Generator.Call(GeneratorInput(n))).Mean();
                meanScore.Backward();
                return meanScore;
            });
            GeneratorOptimizer.Step();
            generatorLoss = loss.Item();
        }
        return new GanStepLosses(criticLoss.Item(), generatorLoss, wasserstein.Item());
    }

    /// <summary>
    /// WGAN-GP's penalty E[(‖∇ₓ̂ critic(x̂)‖₂ − 1)²] at x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1] per sample (Gulrajani et al., 2017, Algorithm 1).
    /// The gradient is taken with <c>createGraph</c>, so the penalty's own gradient reaches the critic's weights (double backward).
    /// </summary>
    /// <param name="critic">The critic, [N, C, H, W] → [N, 1].</param>
    /// <param name="real">Real images [N, C, H, W].</param>
    /// <param name="fake">Generated images of the same shape (detached here).</param>
    /// <param name="generator">Random source of ε.</param>
    /// <returns>A scalar that depends on the critic's parameters.</returns>
    /// <exception cref="ShapeException">The two batches differ in shape or are not [N, C, H, W].</exception>
    public static Tensor GradientPenalty(Module<Tensor, Tensor> critic, Tensor real, Tensor fake, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(critic);
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(fake);
        if (real.Rank != 4 || !real.Shape.Equals(fake.Shape))
            throw new ShapeException($"GanTrainer.GradientPenalty: real and fake must be the same [N, C, H, W] shape, got {real.Shape} and {fake.Shape}.");
        var epsilon = Tensor.Rand([real.Size(0), 1, 1, 1], real.DType, generator);
        var mixed = (epsilon * real.Detach() + (1 - epsilon) * fake.Detach()).RequiresGrad_();
        using var grad = Autograd.EnableGrad();
        var gradient = Autograd.Grad(critic.Call(mixed).Sum(), mixed, createGraph: true);
        // ‖g‖ = √(Σg² + tiny): the tiny term keeps the square root's derivative finite at g = 0.
        var norm = (gradient.Flatten(1).Pow(2).Sum(1) + 1e-12).Sqrt();
        return (norm - 1).Pow(2).Mean();
    }

    Tensor ConditionNoise(Tensor noise, Tensor? labels) =>
        Recipe.IsConditional ? Dcgan.Condition(noise, labels ?? throw new ArgumentException("GanTrainer: the conditional GAN needs labels.", nameof(labels)), Recipe.NumClasses) : noise;

    Tensor ConditionImage(Tensor images, Tensor? labels) =>
        Recipe.IsConditional ? Dcgan.Condition(images, labels!, Recipe.NumClasses) : images;
}
