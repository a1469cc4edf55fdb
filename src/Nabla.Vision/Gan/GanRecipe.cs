namespace Nabla.Vision.Gan;

/// <summary>
/// The hyper-parameters of one GAN run. <see cref="For"/> gives each kind's default: DCGAN and the conditional GAN
/// use Radford et al.'s Adam (lr 2·10⁻⁴, β = (0.5, 0.999)); WGAN-GP uses Gulrajani et al.'s (lr 10⁻⁴, β = (0, 0.9)),
/// 5 critic steps per generator step and penalty weight λ = 10.
/// </summary>
public sealed record GanRecipe
{
    /// <summary>Which GAN.</summary>
    public GanKind Kind { get; init; }

    /// <summary>Length of the noise vector.</summary>
    public int LatentDim { get; init; } = Dcgan.DefaultLatentDim;

    /// <summary>Channel multiplier f of both networks (64 in d2l).</summary>
    public int Features { get; init; } = 64;

    /// <summary>Classes the conditional GAN is conditioned on (0 for the unconditional kinds).</summary>
    public int NumClasses { get; init; }

    /// <summary>Adam's learning rate of the generator, and of the discriminator unless <see cref="DiscriminatorLearningRate"/> is set.</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>The discriminator's own learning rate (d2l 17.1 uses 0.05 against the generator's 0.005); null: <see cref="LearningRate"/>.</summary>
    public double? DiscriminatorLearningRate { get; init; }

    /// <summary>Adam's β₁.</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Adam's β₂.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Critic (discriminator) steps per generator step: 1, or WGAN-GP's 5.</summary>
    public int CriticSteps { get; init; } = 1;

    /// <summary>Weight λ of WGAN-GP's gradient penalty.</summary>
    public double GradientPenaltyWeight { get; init; } = 10;

    /// <summary>The default recipe of <paramref name="kind"/> (see the type's summary).</summary>
    public static GanRecipe For(GanKind kind) => kind switch
    {
        GanKind.WganGp => new GanRecipe { Kind = kind, LearningRate = 1e-4, Beta1 = 0, Beta2 = 0.9, CriticSteps = 5 },
        GanKind.Cgan => new GanRecipe { Kind = kind, NumClasses = 10 },
        _ => new GanRecipe { Kind = kind },
    };

    /// <summary>Whether the networks take a class.</summary>
    public bool IsConditional => NumClasses > 0;

    /// <summary>This recipe's generator (<see cref="Dcgan.Generator"/>), weights drawn from <paramref name="generator"/>.</summary>
    public NN.Sequential CreateGenerator(Generator? generator = null) => Dcgan.Generator(LatentDim, Features, NumClasses, generator);

    /// <summary>This recipe's discriminator, or for WGAN-GP its critic without batch norm (<see cref="Dcgan.Discriminator"/>).</summary>
    public NN.Sequential CreateDiscriminator(Generator? generator = null) =>
        Dcgan.Discriminator(Features, batchNorm: Kind != GanKind.WganGp, NumClasses, generator);
}
