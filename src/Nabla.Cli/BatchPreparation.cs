using Nabla.NN;
using Nabla.Vision.Transforms;

namespace Nabla.Cli;

/// <summary>
/// What happens to a batch of Fashion-MNIST images between the loader and the model: a bilinear
/// resize of the whole batch to the model's input size (the course's <c>Resize</c>, done once per
/// batch rather than once per image), then, for training batches under <c>--augment</c>, the
/// standard recipe per image: <c>RandomCrop(size, padding: 4)</c> and <c>RandomHorizontalFlip()</c>.
/// </summary>
public sealed class BatchPreparation
{
    /// <summary>Padding of the random crop, in pixels at the training size.</summary>
    public const int CropPadding = 4;

    private readonly int size;
    private readonly Compose? augmentation;

    /// <summary>Resizes to <paramref name="size"/> and, when <paramref name="augmentation"/> is given, augments with its draws.</summary>
    /// <param name="size">Side of the square images the model takes (28: no resize).</param>
    /// <param name="augmentation">The random source of the crops and flips; null: no augmentation (test batches).</param>
    public BatchPreparation(int size, Generator? augmentation = null)
    {
        if (size < 1) throw new ArgumentException($"BatchPreparation: size must be positive, got {size}.", nameof(size));
        this.size = size;
        Generator = augmentation;
        if (augmentation is not null)
        {
            this.augmentation = new Compose(new RandomCrop(size, padding: CropPadding, generator: augmentation), new RandomHorizontalFlip(generator: augmentation));
        }
    }

    /// <summary>The augmentation's random source, or null.</summary>
    public Generator? Generator { get; }

    /// <summary>Whether nothing is done to the batches (28-pixel models without augmentation).</summary>
    public bool IsIdentity => augmentation is null && size == 28;

    /// <summary>The batch <paramref name="images"/> [N, C, H, W] resized and, for training, augmented.</summary>
    public Tensor Apply(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        Tensor resized = images.Size(2) == size && images.Size(3) == size
            ? images
            : Functional.Interpolate(images, size: size, mode: "bilinear");
        if (augmentation is null)
        {
            return resized;
        }
        var augmented = new Tensor[resized.Size(0)];
        for (int i = 0; i < augmented.Length; i++)
        {
            augmented[i] = augmentation.Call(resized.Select(0, i));
        }
        return Tensor.Stack(augmented);
    }

    /// <summary>The <paramref name="batches"/> with <see cref="Apply"/> applied to their images, lazily.</summary>
    public IEnumerable<(Tensor Image, Tensor Label)> Over(IEnumerable<(Tensor Image, Tensor Label)> batches) =>
        IsIdentity ? batches : batches.Select(batch => (Apply(batch.Image), batch.Label));
}
