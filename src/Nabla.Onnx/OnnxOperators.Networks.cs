using Nabla.NN;

namespace Nabla.Onnx;

// Layers' operators: products, convolution, pooling, normalisation, softmax. 1-D convolutions and pools run as
// 2-D ones over a height of 1; padding that is not the same on both sides of an axis is applied explicitly.
internal static partial class OnnxOperators
{
    static void AddNetworks(Dictionary<string, Operator> table)
    {
        table["MatMul"] = n => One(n.Input(0).MatMul(n.Input(1)));
        table["Gemm"] = Gemm;
        table["Conv"] = Conv;
        table["ConvTranspose"] = ConvTranspose;
        table["MaxPool"] = MaxPool;
        table["AveragePool"] = AveragePool;
        table["GlobalAveragePool"] = n => One(n.Input(0).Mean(SpatialDims(n.Input(0)), keepDim: true));
        table["GlobalMaxPool"] = n =>
        {
            var x = n.Input(0);
            foreach (int d in SpatialDims(x)) x = x.Max(d, keepDim: true).Values;
            return One(x);
        };
        table["BatchNormalization"] = BatchNormalization;
        table["InstanceNormalization"] = n =>
        {
            var x = n.Input(0);
            var normalized = Normalize(x, SpatialDims(x), n.Float("epsilon", 1e-5f)).Output;
            var channel = ChannelShape(x);
            return One(normalized * n.Input(1).Reshape(channel) + n.Input(2).Reshape(channel));
        };
        table["LayerNormalization"] = n =>
        {
            var x = n.Input(0);
            int axis = n.Axis(n.Int("axis", -1), x.Rank);
            var (output, mean, inverseStd) = Normalize(x, Enumerable.Range(axis, x.Rank - axis).ToArray(), n.Float("epsilon", 1e-5f));
            output = output * n.Input(1);
            if (n.OptionalInput(2) is { } bias) output += bias;
            return [output, mean, inverseStd];
        };
        table["Softmax"] = n => One(SoftmaxLike(n, static (x, dim) => x.Softmax(dim)));
        table["LogSoftmax"] = n => One(SoftmaxLike(n, static (x, dim) => x.LogSoftmax(dim)));
    }

    static int[] SpatialDims(Tensor x) => Enumerable.Range(2, Math.Max(x.Rank - 2, 0)).ToArray();

    static int[] ChannelShape(Tensor x)
    {
        var shape = Enumerable.Repeat(1, x.Rank).ToArray();
        shape[1] = x.Size(1);
        return shape;
    }

    /// <summary>(x − mean) / √(var + ε) over <paramref name="dims"/> (biased variance), with the mean and 1/√(var + ε) kept.</summary>
    static (Tensor Output, Tensor Mean, Tensor InverseStd) Normalize(Tensor x, int[] dims, double eps)
    {
        var mean = x.Mean(dims, keepDim: true);
        var centered = x - mean;
        var inverseStd = (centered.Square().Mean(dims, keepDim: true) + eps).Rsqrt();
        return (centered * inverseStd, mean, inverseStd);
    }

    // Softmax before opset 13 flattens the input to 2-D at 'axis' (default 1) and normalises each row; from 13 on it
    // normalises along 'axis' (default −1).
    static Tensor SoftmaxLike(OnnxNode n, Func<Tensor, int, Tensor> softmax)
    {
        var x = n.Input(0);
        if (n.Opset >= 13) return softmax(x, n.Axis(n.Int("axis", -1), x.Rank));
        int axis = n.Axis(n.Int("axis", 1), x.Rank);
        int outer = 1;
        for (int d = 0; d < axis; d++) outer *= x.Size(d);
        return softmax(x.Reshape(outer, -1), 1).Reshape(x.Shape.ToArray());
    }

    // Y = α·A′·B′ + β·C, A′ and B′ transposed when transA / transB say so.
    static Tensor?[] Gemm(OnnxNode n)
    {
        var a = n.Input(0);
        var b = n.Input(1);
        if (n.Int("transA", 0) != 0) a = a.T;
        if (n.Int("transB", 0) != 0) b = b.T;
        var y = a.MatMul(b);
        double alpha = n.Float("alpha", 1), beta = n.Float("beta", 1);
        if (alpha != 1) y *= alpha;
        if (n.OptionalInput(2) is { } c && beta != 0) y += beta == 1 ? c : c * beta;
        return One(y);
    }

    /// <summary>A convolution or pool's window: per spatial axis its kernel, stride, dilation and the padding before and after.</summary>
    sealed record Window(int[] Kernel, int[] Strides, int[] Dilations, int[] Before, int[] After)
    {
        public bool Symmetric => Before.AsSpan().SequenceEqual(After);
    }

    static Window ReadWindow(OnnxNode n, Tensor x, int[] kernel, bool transposed = false)
    {
        int spatial = x.Rank - 2;
        if (spatial is not (1 or 2)) throw n.Error($"only 1-D and 2-D inputs ([N, C, L] or [N, C, H, W]) are supported, got shape {x.Shape}.");
        if (kernel.Length != spatial) throw n.Error($"kernel_shape [{string.Join(", ", kernel)}] does not match the input's {spatial} spatial dims (shape {x.Shape}).");
        int[] Read(string name, int fallback) =>
            n.Ints(name) is { } v ? (v.Length == spatial ? v.Select(s => checked((int)s)).ToArray() : throw n.Error($"{name} has {v.Length} entries for {spatial} spatial dims."))
            : Enumerable.Repeat(fallback, spatial).ToArray();
        var strides = Read("strides", 1);
        var dilations = Read("dilations", 1);
        var before = new int[spatial];
        var after = new int[spatial];
        string autoPad = n.String("auto_pad", "NOTSET");
        if (transposed && autoPad is "SAME_UPPER" or "SAME_LOWER") { } // ConvTranspose derives these pads from its output size
        else if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            for (int i = 0; i < spatial; i++)
            {
                // Output ⌈in / stride⌉; the odd pixel goes after (SAME_UPPER) or before (SAME_LOWER).
                int input = x.Size(2 + i), output = (input + strides[i] - 1) / strides[i];
                int total = Math.Max(0, (output - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - input);
                before[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                after[i] = total - before[i];
            }
        }
        else if (autoPad is "NOTSET" && n.Ints("pads") is { } pads)
        {
            if (pads.Length != 2 * spatial) throw n.Error($"pads has {pads.Length} entries for {spatial} spatial dims (expected {2 * spatial}).");
            for (int i = 0; i < spatial; i++) (before[i], after[i]) = (checked((int)pads[i]), checked((int)pads[i + spatial]));
        }
        else if (autoPad is not ("NOTSET" or "VALID")) throw n.Error($"unknown auto_pad '{autoPad}'.");
        return new Window(kernel, strides, dilations, before, after);
    }

    static Pair2d Pair(int[] values) => values.Length == 1 ? new Pair2d(1, values[0]) : new Pair2d(values[0], values[1]);

    static Pair2d PairPadding(int[] values) => values.Length == 1 ? new Pair2d(0, values[0]) : new Pair2d(values[0], values[1]);

    /// <summary>Pads explicitly by the part of each axis's padding that is not the same on both sides; returns the symmetric rest.</summary>
    static (Tensor Padded, int[] Symmetric) PadUnevenly(Tensor x, Window window, double value)
    {
        var symmetric = new int[window.Before.Length];
        for (int i = 0; i < symmetric.Length; i++)
        {
            symmetric[i] = Math.Min(window.Before[i], window.After[i]);
            x = PadAxis(x, 2 + i, window.Before[i] - symmetric[i], window.After[i] - symmetric[i], value);
        }
        return (x, symmetric);
    }

    static Tensor Lift(Tensor x, bool oneD) => oneD ? x.Unsqueeze(2) : x;

    static Tensor Lower(Tensor y, bool oneD) => oneD ? y.Squeeze(2) : y;

    static Tensor?[] Conv(OnnxNode n)
    {
        var x = n.Input(0);
        var weight = n.Input(1);
        var window = ReadWindow(n, x, n.Ints("kernel_shape")?.Select(k => (int)k).ToArray() ?? weight.Shape.ToArray()[2..]);
        bool oneD = x.Rank == 3;
        var (padded, padding) = PadUnevenly(x, window, 0);
        var y = Tensor.Conv2d(Lift(padded, oneD), Lift(weight, oneD), n.OptionalInput(2), Pair(window.Strides), PairPadding(padding),
            Pair(window.Dilations), checked((int)n.Int("group", 1)));
        return One(Lower(y, oneD));
    }

    // ConvTranspose: the full transposed convolution (no padding), then each axis cropped by its pads (or by the pads that
    // output_shape / auto_pad imply) and extended by output_padding, then the bias.
    static Tensor?[] ConvTranspose(OnnxNode n)
    {
        var x = n.Input(0);
        var weight = n.Input(1);
        var kernel = n.Ints("kernel_shape")?.Select(k => (int)k).ToArray() ?? weight.Shape.ToArray()[2..];
        var window = ReadWindow(n, x, kernel, transposed: true);
        int spatial = kernel.Length;
        var outputPadding = n.Ints("output_padding")?.Select(p => (int)p).ToArray() ?? new int[spatial];
        var outputShape = n.Ints("output_shape");
        string autoPad = n.String("auto_pad", "NOTSET");
        bool oneD = x.Rank == 3;
        var full = Tensor.ConvTranspose2d(Lift(x, oneD), Lift(weight, oneD), null, Pair(window.Strides), 0, 0, checked((int)n.Int("group", 1)), Pair(window.Dilations));
        var y = Lower(full, oneD);
        for (int i = 0; i < spatial; i++)
        {
            int fullSize = y.Size(2 + i);
            int before = window.Before[i], after = window.After[i];
            if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                long target = outputShape is not null ? outputShape[outputShape.Length - spatial + i] : (long)x.Size(2 + i) * window.Strides[i];
                int total = fullSize + outputPadding[i] - checked((int)target);
                // The odd pixel of cropping goes at the end, except with SAME_LOWER (as ONNX Runtime does).
                (before, after) = autoPad == "SAME_LOWER" ? (total - total / 2, total / 2) : (total / 2, total - total / 2);
            }
            y = PadAxis(y, 2 + i, -before, outputPadding[i] - after, 0);
        }
        if (n.OptionalInput(2) is { } bias) y += bias.Reshape(ChannelShape(y));
        return One(y);
    }

    static Tensor?[] MaxPool(OnnxNode n)
    {
        var x = n.Input(0);
        var window = ReadWindow(n, x, n.Ints("kernel_shape")?.Select(k => (int)k).ToArray() ?? throw n.Error("kernel_shape is required."));
        bool oneD = x.Rank == 3;
        bool ceil = n.Int("ceil_mode", 0) != 0;
        bool indicesWanted = n.Proto.Output.Count > 1 && n.Proto.Output[1].Length > 0;
        if (indicesWanted)
        {
            if (!window.Symmetric) throw n.Error("the Indices output needs the same padding on both sides of each axis.");
            var (values, planeIndices) = Lift(x, oneD).MaxPool2dWithIndices(Pair(window.Kernel), Pair(window.Strides), PairPadding(window.Before), Pair(window.Dilations), ceil);
            // ONNX counts indices over the whole tensor, (n·C + c)·H·W + h·W + w; Nabla's count within each plane.
            long plane = x.NumElements / Math.Max(x.Size(0) * x.Size(1), 1);
            var planeStart = (Tensor.Arange(x.Size(0) * x.Size(1)) * plane).Reshape(x.Size(0), x.Size(1), 1, 1);
            if (n.Int("storage_order", 0) != 0)
            {
                // Column-major: h·W + w becomes w·H + h.
                int height = Lift(x, oneD).Size(2), width = Lift(x, oneD).Size(3);
                var row = planeIndices.FloorDivide(Tensor.From((long)width));
                planeIndices = (planeIndices - row * width) * height + row;
            }
            return [Lower(values, oneD), Lower(planeIndices + planeStart, oneD)];
        }
        var dtype = x.DType;
        if (!dtype.IsFloatingPoint()) x = x.To(DType.Float64); // exact for every integer an image holds
        Tensor padded;
        int[] padding;
        if (window.Before.Zip(window.After).Zip(window.Kernel).All(p => Math.Max(p.First.First, p.First.Second) <= p.Second / 2))
            (padded, padding) = PadUnevenly(x, window, double.NegativeInfinity);
        else
        {
            // Padding wider than half the kernel (which Nabla's pooling refuses, as PyTorch does): −∞ padded explicitly.
            padded = x;
            for (int i = 0; i < window.Before.Length; i++) padded = PadAxis(padded, 2 + i, window.Before[i], window.After[i], double.NegativeInfinity);
            padding = new int[window.Before.Length];
        }
        var y = Lift(padded, oneD).MaxPool2d(Pair(window.Kernel), Pair(window.Strides), PairPadding(padding), Pair(window.Dilations), ceil);
        return [Lower(y, oneD).To(dtype), null];
    }

    static Tensor?[] AveragePool(OnnxNode n)
    {
        var x = n.Input(0);
        var window = ReadWindow(n, x, n.Ints("kernel_shape")?.Select(k => (int)k).ToArray() ?? throw n.Error("kernel_shape is required."));
        bool oneD = x.Rank == 3;
        bool ceil = n.Int("ceil_mode", 0) != 0;
        bool countIncludePad = n.Int("count_include_pad", 0) != 0;
        var kernel = Pair(window.Kernel);
        var strides = Pair(window.Strides);
        bool fits = window.Symmetric && window.Before.Zip(window.Kernel).All(p => p.First <= p.Second / 2);
        if (fits) return One(Lower(Lift(x, oneD).AvgPool2d(kernel, strides, PairPadding(window.Before), ceil, countIncludePad), oneD));
        // Padding on one side only, or wider than half the kernel: zeros padded explicitly and averaged over; without
        // count_include_pad each window's sum is divided by its input pixels, counted by pooling a padded mask of ones.
        Tensor Pool(Tensor t)
        {
            for (int i = 0; i < window.Before.Length; i++) t = PadAxis(t, 2 + i, window.Before[i], window.After[i], 0);
            return Lift(t, oneD).AvgPool2d(kernel, strides, 0, ceil, countIncludePad: true);
        }
        var output = Pool(x);
        if (!countIncludePad)
        {
            var onesShape = x.Shape.ToArray();
            onesShape[0] = onesShape[1] = 1;
            output /= Pool(Tensor.Ones(onesShape, x.DType));
        }
        return One(Lower(output, oneD));
    }

    // Batch normalisation. Inference: the model's running statistics. training_mode (opset 14+): the batch's mean and
    // biased variance, and the updated running statistics r ← momentum·r + (1 − momentum)·batch as outputs 1 and 2.
    static Tensor?[] BatchNormalization(OnnxNode n)
    {
        var x = n.Input(0);
        if (!x.DType.IsFloatingPoint()) throw n.Error($"expected a floating-point input, got {x.DType}.");
        double eps = n.Float("epsilon", 1e-5f);
        if (n.Int("training_mode", 0) == 0)
            return [Functional.BatchNorm(x, n.Input(3), n.Input(4), n.Input(1), n.Input(2), training: false, eps: eps), null, null];
        var channel = ChannelShape(x);
        var dims = Enumerable.Range(0, x.Rank).Where(d => d != 1).ToArray();
        var (normalized, mean, inverseStd) = Normalize(x, dims, eps);
        var y = normalized * n.Input(1).Reshape(channel) + n.Input(2).Reshape(channel);
        double momentum = n.Float("momentum", 0.9f);
        var batchMean = mean.Reshape(-1);
        var batchVariance = (x - mean).Square().Mean(dims).Reshape(-1);
        return [y, n.Input(3) * momentum + batchMean * (1 - momentum), n.Input(4) * momentum + batchVariance * (1 - momentum)];
    }
}
