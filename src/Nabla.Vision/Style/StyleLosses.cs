namespace Nabla.Vision.Style;

/// <summary>
/// The three losses of neural style transfer (Gatys et al., 2016; d2l 14.12), each a differentiable function of the
/// synthesised image's features.
/// </summary>
public static class StyleLosses
{
    /// <summary>
    /// The Gram matrix of a layer's output: with the <c>c</c> channels as rows of <c>X</c> (<c>c × hw</c>),
    /// <c>X Xᵀ / (c·hw)</c>, the channels' co-occurrence that the style loss matches (d2l's <c>gram</c>).
    /// Shape: <c>[1, c, h, w]</c> (or <c>[c, h, w]</c>) → <c>[c, c]</c>.
    /// </summary>
    /// <exception cref="ShapeException">Not one image's feature map.</exception>
    public static Tensor Gram(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        int rank = features.Rank;
        if (rank is < 3 or > 4 || rank == 4 && features.Shape[0] != 1)
        {
            throw new ShapeException($"Gram: expects one image's features [1, C, H, W] or [C, H, W], got shape {features.Shape}.");
        }
        int channels = features.Shape[rank - 3];
        int positions = features.Shape[rank - 2] * features.Shape[rank - 1];
        var rows = features.Reshape(channels, positions);
        return rows.MatMul(rows.T) / ((double)channels * positions);
    }

    /// <summary>Content loss: the mean squared difference of the features, mean((Ŷ − Y)²); no gradient flows into <paramref name="target"/>.</summary>
    /// <exception cref="ShapeException">The shapes differ.</exception>
    public static Tensor Content(Tensor features, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(target);
        RequireSameShape("Content", features, target);
        return (features - target.Detach()).Square().Mean();
    }

    /// <summary>
    /// Style loss: the mean squared difference between the Gram matrix of <paramref name="features"/> and
    /// <paramref name="targetGram"/> (the style image's, <see cref="Gram"/>); no gradient flows into the target.
    /// </summary>
    /// <exception cref="ShapeException">The Gram matrices' shapes differ.</exception>
    public static Tensor Style(Tensor features, Tensor targetGram)
    {
        ArgumentNullException.ThrowIfNull(targetGram);
        var gram = Gram(features);
        RequireSameShape("Style", gram, targetGram);
        return (gram - targetGram.Detach()).Square().Mean();
    }

    /// <summary>
    /// Total-variation loss, ½(mean |x[i, j] − x[i+1, j]| + mean |x[i, j] − x[i, j+1]|) over the image's rows and columns:
    /// small when neighbouring pixels agree, so it removes the high-frequency noise the other two losses leave.
    /// Shape: <c>[N, C, H, W]</c> with H, W ≥ 2 → a scalar.
    /// </summary>
    /// <exception cref="ShapeException">Not four dimensions, or a side shorter than 2.</exception>
    public static Tensor TotalVariation(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Rank != 4 || image.Shape[2] < 2 || image.Shape[3] < 2)
        {
            throw new ShapeException($"TotalVariation: expects images [N, C, H, W] with H, W ≥ 2, got shape {image.Shape}.");
        }
        int height = image.Shape[2], width = image.Shape[3];
        var vertical = (image.Narrow(2, 1, height - 1) - image.Narrow(2, 0, height - 1)).Abs().Mean();
        var horizontal = (image.Narrow(3, 1, width - 1) - image.Narrow(3, 0, width - 1)).Abs().Mean();
        return (vertical + horizontal) * 0.5;
    }

    private static void RequireSameShape(string op, Tensor actual, Tensor target)
    {
        if (!actual.Shape.Equals(target.Shape))
        {
            throw new ShapeException($"{op}: the features have shape {actual.Shape} but the target has shape {target.Shape}.");
        }
    }
}
