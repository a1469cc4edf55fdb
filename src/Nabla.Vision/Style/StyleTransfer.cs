using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Vision.Style;

/// <summary>
/// Neural style transfer (Gatys et al., 2016; d2l 14.12): the synthesised image itself is the parameter. It starts as the
/// content image and Adam moves its pixels to minimise a weighted sum of three losses on a fixed network's features:
/// the content loss at the content layers (<see cref="StyleLosses.Content"/>), the style loss between Gram matrices at the
/// style layers (<see cref="StyleLosses.Style"/>) and the image's total variation (<see cref="StyleLosses.TotalVariation"/>).
/// Any network serves (<see cref="LayerFeatures"/>): the course uses VGG-19, the <c>nabla style</c> command an
/// ImageNet-pretrained ResNet-18.
/// </summary>
public sealed class StyleTransfer
{
    readonly int[] contentIndices;
    readonly int[] styleIndices;

    /// <summary>Style transfer with the features of <paramref name="network"/> (put in evaluation mode and frozen).</summary>
    /// <param name="network">The feature network; its input is the image as the network expects it (e.g. normalised).</param>
    /// <param name="contentLayers">The layers whose outputs the content loss compares (d2l: one deep layer).</param>
    /// <param name="styleLayers">The layers whose Gram matrices the style loss compares (d2l: several, shallow to deep).</param>
    /// <exception cref="ArgumentException">No content or no style layer, or a name that is not a layer of <paramref name="network"/>.</exception>
    public StyleTransfer(Module<Tensor, Tensor> network, IReadOnlyList<string> contentLayers, IReadOnlyList<string> styleLayers)
    {
        ArgumentNullException.ThrowIfNull(contentLayers);
        ArgumentNullException.ThrowIfNull(styleLayers);
        if (contentLayers.Count == 0 || styleLayers.Count == 0)
        {
            throw new ArgumentException($"StyleTransfer: give at least one content layer and one style layer, got {contentLayers.Count} and {styleLayers.Count}.");
        }
        var names = contentLayers.Concat(styleLayers).Distinct().ToList();
        Features = new LayerFeatures(network, names);
        contentIndices = [.. contentLayers.Select(name => names.IndexOf(name))];
        styleIndices = [.. styleLayers.Select(name => names.IndexOf(name))];
        ContentLayers = [.. contentLayers];
        StyleLayers = [.. styleLayers];
    }

    /// <summary>The layers of the content loss.</summary>
    public IReadOnlyList<string> ContentLayers { get; }

    /// <summary>The layers of the style loss.</summary>
    public IReadOnlyList<string> StyleLayers { get; }

    /// <summary>The feature extractor over the content and style layers.</summary>
    public LayerFeatures Features { get; }

    /// <summary>The outputs of the content layers for <paramref name="image"/>.</summary>
    public IReadOnlyList<Tensor> ContentFeatures(Tensor image) => Pick(Features.Extract(image), contentIndices);

    /// <summary>The Gram matrices of the style layers' outputs for <paramref name="image"/> (<see cref="StyleLosses.Gram"/>).</summary>
    public IReadOnlyList<Tensor> StyleGrams(Tensor image) => [.. Pick(Features.Extract(image), styleIndices).Select(StyleLosses.Gram)];

    /// <summary>
    /// Synthesises an image with <paramref name="content"/>'s content and <paramref name="style"/>'s style (d2l's <c>train</c>):
    /// <paramref name="options"/>' steps of Adam with a step-wise learning-rate decay, starting from the content image (d2l's
    /// choice) or from <paramref name="initial"/> (Gatys et al. start from white noise).
    /// Shape: content and style <c>[1, C, H, W]</c> as the network takes them (the two may differ in size) → <c>[1, C, H, W]</c> like
    /// <paramref name="content"/>, in the same (e.g. normalised) space, not clamped.
    /// </summary>
    /// <param name="content">The content image.</param>
    /// <param name="style">The style image.</param>
    /// <param name="options">Weights and optimiser; null: d2l's (<see cref="StyleTransferOptions"/>).</param>
    /// <param name="progress">Called after every step with its losses.</param>
    /// <param name="initial">The image the optimisation starts from, shaped like <paramref name="content"/>; null: the content image.</param>
    /// <param name="stop">Asked after every step; true ends the run early with the image as it is (e.g. on Ctrl-C).</param>
    /// <exception cref="ShapeException">An image is not <c>[1, C, H, W]</c>, or <paramref name="initial"/> is not shaped like the content.</exception>
    public Tensor Run(Tensor content, Tensor style, StyleTransferOptions? options = null, Action<StyleStep>? progress = null, Tensor? initial = null, Func<bool>? stop = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(style);
        RequireImage("content", content);
        RequireImage("style", style);
        if (initial is not null && initial.Shape != content.Shape)
        {
            throw new ShapeException($"StyleTransfer.Run: the initial image has shape {initial.Shape} but the content image {content.Shape}.");
        }
        options ??= new StyleTransferOptions();
        options.Validate();
        Tensor[] contentTargets;
        Tensor[] styleTargets;
        using (Autograd.NoGrad())
        {
            contentTargets = [.. ContentFeatures(content).Select(t => t.Clone())];
            styleTargets = [.. StyleGrams(style).Select(t => t.Clone())];
        }
        var image = new Parameter((initial ?? content).Detach().Clone());
        var optimizer = new Adam([image], options.LearningRate);
        var scheduler = new StepLR(optimizer, options.LearningRateDecaySteps, options.LearningRateDecay);
        for (int step = 1; step <= options.Steps; step++)
        {
            double learningRate = scheduler.GetLastLr()[0];
            optimizer.ZeroGrad();
            var features = Features.Extract(image);
            var contentLoss = Sum(contentIndices.Select((layer, i) => StyleLosses.Content(features[layer], contentTargets[i]))) * options.ContentWeight;
            var styleLoss = Sum(styleIndices.Select((layer, i) => StyleLosses.Style(features[layer], styleTargets[i]))) * options.StyleWeight;
            var tvLoss = StyleLosses.TotalVariation(image) * options.TotalVariationWeight;
            var loss = contentLoss + styleLoss + tvLoss;
            var report = new StyleStep(step, contentLoss.Item(), styleLoss.Item(), tvLoss.Item(), learningRate);
            loss.Backward();
            optimizer.Step();
            scheduler.Step();
            progress?.Invoke(report);
            if (stop?.Invoke() == true) break;
        }
        return image.Detach().Clone();
    }

    private static Tensor[] Pick(IReadOnlyList<Tensor> all, int[] indices) => [.. indices.Select(i => all[i])];

    private static Tensor Sum(IEnumerable<Tensor> losses) => losses.Aggregate((a, b) => a + b);

    private static void RequireImage(string name, Tensor image)
    {
        if (image.Rank != 4 || image.Shape[0] != 1)
        {
            throw new ShapeException($"StyleTransfer.Run: the {name} image must be one image [1, C, H, W], got shape {image.Shape}.");
        }
    }
}
