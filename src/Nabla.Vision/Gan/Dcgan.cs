using Nabla.NN;

namespace Nabla.Vision.Gan;

/// <summary>
/// The DCGAN networks of d2l 17.2 (Radford et al., 2016) for 1×32×32 images: a generator of four
/// transposed convolutions (4×4 → 8×8 → 16×16 → 32×32, batch norm and ReLU between, Tanh out) and a
/// discriminator of four strided convolutions (LeakyReLU 0.2, batch norm after all but the first) ending
/// in one logit. The WGAN-GP critic is the discriminator without batch norm (the gradient penalty is taken
/// per sample, and batch norm would mix the samples of a batch). The conditional GAN concatenates a
/// one-hot class to the noise and, as <c>numClasses</c> constant planes, to the image (see <see cref="Condition"/>).
/// </summary>
public static class Dcgan
{
    /// <summary>Side of the images the networks make and judge.</summary>
    public const int ImageSize = 32;

    /// <summary>Length of the noise vector of d2l and the DCGAN paper.</summary>
    public const int DefaultLatentDim = 100;

    /// <summary>
    /// The generator: <c>Unflatten → ConvT(latent + classes → 4f, 4, 1, 0) → BN → ReLU → ConvT(4f → 2f, 4, 2, 1) → BN → ReLU →
    /// ConvT(2f → f, 4, 2, 1) → BN → ReLU → ConvT(f → 1, 4, 2, 1) → Tanh</c>, no biases (batch norm follows), DCGAN's
    /// N(0, 0.02) weights. Shape: [N, latentDim + numClasses] → [N, 1, 32, 32] in (−1, 1).
    /// </summary>
    /// <param name="latentDim">Length of the noise vector.</param>
    /// <param name="features">Channels of the last hidden layer, f (64 in d2l and the anchors).</param>
    /// <param name="numClasses">Classes of a conditional generator (one-hot appended to the noise); 0 for an unconditional one.</param>
    /// <param name="generator">Random source of the initial weights; <see cref="Nabla.Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A size is not positive, or <paramref name="numClasses"/> is negative.</exception>
    public static Sequential Generator(int latentDim = DefaultLatentDim, int features = 64, int numClasses = 0, Generator? generator = null)
    {
        Check(latentDim, features, numClasses, "Dcgan.Generator");
        var net = new Sequential(
            new Unflatten(1, latentDim + numClasses, 1, 1),
            new ConvTranspose2d(latentDim + numClasses, 4 * features, 4, stride: 1, padding: 0, bias: false), new BatchNorm2d(4 * features), new ReLU(),
            new ConvTranspose2d(4 * features, 2 * features, 4, stride: 2, padding: 1, bias: false), new BatchNorm2d(2 * features), new ReLU(),
            new ConvTranspose2d(2 * features, features, 4, stride: 2, padding: 1, bias: false), new BatchNorm2d(features), new ReLU(),
            new ConvTranspose2d(features, 1, 4, stride: 2, padding: 1, bias: false), new Tanh());
        return Initialize(net, generator);
    }

    /// <summary>
    /// The discriminator (or, without batch norm, the WGAN-GP critic): <c>Conv(1 + classes → f, 4, 2, 1) → LeakyReLU(0.2) →
    /// Conv(f → 2f, 4, 2, 1) → [BN] → LeakyReLU(0.2) → Conv(2f → 4f, 4, 2, 1) → [BN] → LeakyReLU(0.2) → Conv(4f → 1, 4) → Flatten</c>,
    /// DCGAN's N(0, 0.02) weights; biases only where no batch norm follows. Shape: [N, 1 + numClasses, 32, 32] → [N, 1] logits
    /// (a critic's score).
    /// </summary>
    /// <param name="features">Channels of the first layer, f (64 in d2l and the anchors).</param>
    /// <param name="batchNorm">Batch norm after the second and third convolution (DCGAN); false for the WGAN-GP critic.</param>
    /// <param name="numClasses">Classes of a conditional discriminator (one-hot planes appended to the image); 0 for an unconditional one.</param>
    /// <param name="generator">Random source of the initial weights; <see cref="Nabla.Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A size is not positive, or <paramref name="numClasses"/> is negative.</exception>
    public static Sequential Discriminator(int features = 64, bool batchNorm = true, int numClasses = 0, Generator? generator = null)
    {
        Check(1, features, numClasses, "Dcgan.Discriminator");
        var net = new Sequential(new Conv2d(1 + numClasses, features, 4, stride: 2, padding: 1, bias: false), new LeakyReLU(0.2));
        foreach (int channels in new[] { features, 2 * features })
        {
            net.Append(new Conv2d(channels, 2 * channels, 4, stride: 2, padding: 1, bias: !batchNorm));
            if (batchNorm) net.Append(new BatchNorm2d(2 * channels));
            net.Append(new LeakyReLU(0.2));
        }
        net.Append(new Conv2d(4 * features, 1, 4, bias: false));
        net.Append(new Flatten());
        return Initialize(net, generator);
    }

    /// <summary>
    /// A conditional GAN's inputs: the noise with the one-hot class appended ([N, latent] → [N, latent + numClasses]), or an image
    /// with one constant plane per class appended, 1 for its class and 0 elsewhere ([N, 1, H, W] → [N, 1 + numClasses, H, W]).
    /// </summary>
    /// <param name="input">Noise [N, latent] or images [N, C, H, W].</param>
    /// <param name="labels">Class of each row, int64 [N].</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <exception cref="ShapeException">The input is neither [N, L] nor [N, C, H, W], or the labels are not [N].</exception>
    public static Tensor Condition(Tensor input, Tensor labels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(labels);
        if (input.Rank is not (2 or 4) || labels.Rank != 1 || labels.Size(0) != input.Size(0))
            throw new ShapeException($"Dcgan.Condition: input must be [N, L] or [N, C, H, W] and labels [N], got {input.Shape} and {labels.Shape}.");
        var oneHot = labels.OneHot(numClasses).To(input.DType);
        if (input.Rank == 2) return Tensor.Cat([input, oneHot], dim: 1);
        var planes = oneHot.View(input.Size(0), numClasses, 1, 1).Expand(input.Size(0), numClasses, input.Size(2), input.Size(3));
        return Tensor.Cat([input, planes], dim: 1);
    }

    /// <summary>
    /// DCGAN's initialisation (the paper, §4): convolution weights from N(0, 0.02), batch-norm scales from N(1, 0.02),
    /// biases zero.
    /// </summary>
    /// <param name="model">The network to initialise.</param>
    /// <param name="generator">Random source; <see cref="Nabla.Generator.Default"/> when null.</param>
    /// <returns>The network.</returns>
    public static T Initialize<T>(T model, Generator? generator = null) where T : Module
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (Module module in model.Modules())
        {
            switch (module)
            {
                case ConvNd conv:
                    Init.Normal_(conv.Weight, 0, 0.02, generator);
                    if (conv.Bias is { } bias) Init.Zeros_(bias);
                    break;
                case BatchNorm norm when norm.Weight is { } weight && norm.Bias is { } shift:
                    Init.Normal_(weight, 1, 0.02, generator);
                    Init.Zeros_(shift);
                    break;
            }
        }
        return model;
    }

    static void Check(int latentDim, int features, int numClasses, string op)
    {
        if (latentDim < 1 || features < 1 || numClasses < 0)
            throw new ArgumentException($"{op}: latentDim and features must be positive and numClasses non-negative, got {latentDim}, {features} and {numClasses}.");
    }
}
