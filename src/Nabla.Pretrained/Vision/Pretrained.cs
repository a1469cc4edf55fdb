using Nabla.NN;
using Nabla.Onnx;
using Nabla.Onnx.Protobuf;
using Nabla.Pretrained;

namespace Nabla.Vision.Models;

/// <summary>
/// Pre-trained weights for Nabla's own model classes, read from NuGet packages (no download at run
/// time). <see cref="ResNet18(int)"/>: the ImageNet ResNet-18 of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>
/// 0.24.0 (MIT; CNTK's model exported to ONNX opset 8) loaded into <see cref="ResNet"/>.
/// </summary>
public static class Pretrained
{
    /// <summary>Basic blocks per stage of the package's ResNet-18 (CNTK's: three in the last stage).</summary>
    public static readonly IReadOnlyList<int> BlocksPerStage = [2, 2, 2, 3];

    /// <summary>Top-level layers of <see cref="ResNet"/>, in order, that <see cref="ResNet18Features"/> accepts.</summary>
    public static readonly IReadOnlyList<string> ResNetLayers = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"];

    /// <summary>
    /// The ImageNet ResNet-18 in Nabla's <see cref="ResNet"/> (3 input channels), in eval mode.
    /// <para>
    /// The package's graph is torchvision's ResNet layout up to the global average pool: bias-free
    /// convolutions, each followed by BatchNorm (ε = 1e-5), the projection shortcut (1×1 stride-2
    /// convolution + BatchNorm) at the start of layer2–4, and no classifier. One difference from
    /// torchvision's ResNet-18: this CNTK model has three basic blocks in its last stage, not two
    /// (blocks per stage [2, 2, 2, 3], 22 convolutions), so it is built as
    /// <c>new ResNet(bottleneck: false, [2, 2, 2, 3], inChannels: 3, numClasses)</c>; everything else is ResNet-18's (the featurizer's output
    /// is the 512 pooled features, <see cref="ResNet.Features"/>). So <see cref="ResNet.Fc"/> is a
    /// fresh <c>Linear(512, numClasses)</c> to be trained on the target task, as in d2l §14.2.
    /// </para>
    /// <para>
    /// Name map. CNTK named the initializers <c>ParameterN</c>/<c>ConstantN</c>, so the map is read
    /// from the graph's structure: the k-th Conv node's weight → the k-th convolution in graph order
    /// (<c>conv1</c>; <c>layer1.0.conv1</c>, <c>layer1.0.conv2</c>, <c>layer1.1.conv1</c>, …; in
    /// layer2–4 the shortcut comes first in the graph: <c>layer2.0.downsample.0</c>, then
    /// <c>layer2.0.conv1</c>, …), and the BatchNormalization node after it gives scale → <c>weight</c>,
    /// B → <c>bias</c>, mean → <c>running_mean</c>, var → <c>running_var</c> of the BatchNorm that
    /// follows that convolution (<c>bn1</c>, <c>layerL.B.bnK</c>, <c>downsample.1</c>). E.g.
    /// <c>Parameter91</c> → <c>conv1.weight</c>, <c>Parameter96</c>/<c>97</c>/<c>Constant98</c>/<c>99</c> → <c>bn1.*</c>,
    /// <c>Parameter86</c> → <c>layer1.0.conv1.weight</c>, <c>Parameter199</c> → <c>layer2.0.downsample.0.weight</c>,
    /// <c>Parameter10</c> → <c>layer4.2.conv2.weight</c>.
    /// Every kernel size and stride is checked against the Nabla layer it lands in.
    /// </para>
    /// <para>
    /// What the export did that Nabla does differently, and why the outputs still agree: the stem
    /// convolution pads (top, left, bottom, right) = (3, 3, 2, 2), the max pool and the strided 3×3
    /// convolutions (1, 1, 0, 0), where Nabla pads symmetrically (3, resp. 1). At 224 px (any even
    /// size) the bottom/right rows that symmetric padding adds are never reached by a window, so the
    /// results are the same; the average pool is 7×7 over a 7×7 map, i.e. Nabla's <c>AdaptiveAvgPool2d(1)</c>.
    /// </para>
    /// Input: images prepared by <see cref="ResNet18Preprocessing"/> (BGR, 0–255, minus the mean image), 224×224.
    /// </summary>
    /// <param name="numClasses">Outputs of the fresh head.</param>
    /// <exception cref="FileNotFoundException">The package file is missing.</exception>
    /// <exception cref="InvalidDataException">The file is corrupted or is not this ResNet-18.</exception>
    public static ResNet ResNet18(int numClasses = 1000) => ResNet18(PretrainedFiles.Locate(PretrainedFiles.ResNet18), numClasses);

    /// <summary>The ResNet-18 of <see cref="ResNet18(int)"/> read from the ONNX file <paramref name="onnxPath"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="onnxPath"/>.</exception>
    /// <exception cref="InvalidDataException">The file is corrupted or is not this ResNet-18.</exception>
    public static ResNet ResNet18(string onnxPath, int numClasses = 1000)
    {
        ArgumentNullException.ThrowIfNull(onnxPath);
        var model = new ResNet(bottleneck: false, BlocksPerStage, inChannels: 3, numClasses: numClasses);
        var state = ResNet18StateDict(OnnxFile.Read(onnxPath), Path.GetFileName(onnxPath), model);
        var keys = model.LoadStateDict(state, strict: false);
        var notLoaded = keys.MissingKeys.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        if (notLoaded.Count > 0 || keys.UnexpectedKeys.Count > 0)
            throw new InvalidDataException($"Pretrained.ResNet18: {onnxPath} left {string.Join(", ", notLoaded)} unset and gave {string.Join(", ", keys.UnexpectedKeys)} that ResNet-18 does not have.");
        model.Eval();
        return model;
    }

    /// <summary>
    /// The ImageNet ResNet-18 as a frozen feature extractor (eval mode, no parameter requires
    /// gradients): the activations at <paramref name="layers"/>, names of <see cref="ResNetLayers"/>
    /// (e.g. <c>layer1</c>, <c>layer2</c>, <c>layer3</c> for style, <c>layer4</c> for content). The
    /// network runs only up to the last requested layer. Gradients still flow to the input, as style
    /// transfer needs (d2l §14.12).
    /// Shape: [N, 3, H, W] (prepared by <see cref="ResNet18Preprocessing"/>) → one [N, C, h, w] per layer.
    /// </summary>
    /// <exception cref="ArgumentException">A layer name is not one of <see cref="ResNetLayers"/>.</exception>
    public static IntermediateLayerGetter ResNet18Features(params string[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers)
            if (!ResNetLayers.Contains(layer))
                throw new ArgumentException($"Pretrained.ResNet18Features: unknown layer '{layer}'; the layers are {string.Join(", ", ResNetLayers)}.", nameof(layers));
        var model = ResNet18();
        model.RequiresGrad(false);
        var getter = new IntermediateLayerGetter(model, layers);
        getter.Eval();
        return getter;
    }

    /// <summary>
    /// The package's preprocessing graph (<c>ResNetPreprocess.onnx</c>) as a Nabla module: RGB → BGR,
    /// minus the per-pixel ImageNet mean image (CNTK's convention, 0–255 values, no division by a standard deviation).
    /// </summary>
    /// <exception cref="FileNotFoundException">The package file is missing.</exception>
    /// <exception cref="InvalidDataException">The file is corrupted or has no 3×224×224 mean image.</exception>
    public static ResNet18Preprocessing ResNet18Preprocessing()
    {
        var path = PretrainedFiles.Locate(PretrainedFiles.ResNet18Preprocess);
        var model = OnnxFile.Read(path);
        var initializers = OnnxWeights.Initializers(model, Path.GetFileName(path));
        if (!initializers.TryGetValue("MeanImage", out var mean) || mean.Shape != new Shape(1, 3, 224, 224))
            throw new InvalidDataException($"Pretrained.ResNet18Preprocessing: {path} has no MeanImage initializer of shape [1, 3, 224, 224].");
        return new ResNet18Preprocessing(mean.Squeeze(0));
    }

    /// <summary>The Nabla state dict (keys as torchvision's) of the graph's initializers, checked against <paramref name="model"/>.</summary>
    static Dictionary<string, Tensor> ResNet18StateDict(ModelProto onnx, string name, ResNet model)
    {
        var graph = onnx.Graph;
        string[] expectedOps = ["Conv", "BatchNormalization", "Relu", "MaxPool", "Add", "AveragePool"];
        foreach (var node in graph.Node)
            if (!expectedOps.Contains(node.OpType))
                throw new InvalidDataException($"Pretrained.ResNet18: {name} has a {node.OpType} node ('{node.Name}'); the ResNet-18 featurizer has only {string.Join(", ", expectedOps)}.");
        var initializers = OnnxWeights.Initializers(onnx, name);
        var convolutions = ConvolutionsInGraphOrder();
        var modules = model.NamedModules().ToDictionary(m => m.Name, m => m.Module);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var nodes = graph.Node.ToList();
        int convIndex = 0;
        for (int i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].OpType != "Conv") continue;
            if (convIndex == convolutions.Count)
                throw new InvalidDataException($"Pretrained.ResNet18: {name} has more than the {convolutions.Count} convolutions of this ResNet-18.");
            var (convName, bnName) = convolutions[convIndex++];
            var conv = nodes[i];
            var bn = i + 1 < nodes.Count ? nodes[i + 1] : null;
            if (bn is null || bn.OpType != "BatchNormalization" || bn.Input.Count != 5 || bn.Input[0] != conv.Output[0] || conv.Input.Count != 2)
                throw new InvalidDataException($"Pretrained.ResNet18: in {name}, convolution '{conv.Output[0]}' ({convName}) is not a bias-free Conv followed by its BatchNormalization.");
            var layer = (Conv2d)modules[convName];
            var kernel = OnnxWeights.Ints(conv, "kernel_shape");
            var strides = OnnxWeights.Ints(conv, "strides") ?? [1, 1];
            if (kernel is null || kernel[0] != layer.KernelSize.H || kernel[1] != layer.KernelSize.W || strides[0] != layer.Stride.H || strides[1] != layer.Stride.W)
                throw new InvalidDataException($"Pretrained.ResNet18: in {name}, convolution '{conv.Output[0]}' has kernel [{string.Join(", ", kernel ?? [])}] stride [{string.Join(", ", strides)}], {convName} of ResNet-18 has {layer.KernelSize} stride {layer.Stride}.");
            state[convName + ".weight"] = Lookup(initializers, conv.Input[1], name);
            state[bnName + ".weight"] = Lookup(initializers, bn.Input[1], name);
            state[bnName + ".bias"] = Lookup(initializers, bn.Input[2], name);
            state[bnName + ".running_mean"] = Lookup(initializers, bn.Input[3], name);
            state[bnName + ".running_var"] = Lookup(initializers, bn.Input[4], name);
        }
        if (convIndex != convolutions.Count)
            throw new InvalidDataException($"Pretrained.ResNet18: {name} has {convIndex} convolutions, this ResNet-18 has {convolutions.Count}.");
        return state;
    }

    static Tensor Lookup(Dictionary<string, Tensor> initializers, string key, string name) =>
        initializers.TryGetValue(key, out var tensor) ? tensor
            : throw new InvalidDataException($"Pretrained.ResNet18: {name} has no initializer '{key}' (a graph input without weights).");

    /// <summary>ResNet-18's (convolution, BatchNorm) names in the order the exported graph lists them: the shortcut before the block's own convolutions.</summary>
    static List<(string Conv, string Bn)> ConvolutionsInGraphOrder()
    {
        var order = new List<(string, string)> { ("conv1", "bn1") };
        for (int stage = 1; stage <= 4; stage++)
        {
            for (int block = 0; block < BlocksPerStage[stage - 1]; block++)
            {
                var prefix = $"layer{stage}.{block}.";
                if (stage > 1 && block == 0) order.Add((prefix + "downsample.0", prefix + "downsample.1"));
                order.Add((prefix + "conv1", prefix + "bn1"));
                order.Add((prefix + "conv2", prefix + "bn2"));
            }
        }
        return order;
    }
}
