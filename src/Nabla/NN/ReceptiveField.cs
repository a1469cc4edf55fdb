namespace Nabla.NN;

/// <summary>
/// Where a layer's outputs look in the model's input, per spatial dim (height then width, or length): the receptive field r, the
/// input pixels one output sees, and the jump j, the input pixels between neighbouring outputs (the product of the strides so far).
/// A layer of kernel k, stride s and dilation d maps (r, j) to (r + d·(k − 1)·j, j·s) (Araujo et al., "Computing receptive fields
/// of convolutional neural networks", Distill 2019; the course's receptive-field arithmetic); a transposed convolution divides the
/// jump by its stride first. Padding shifts where the field sits, not its size.
/// </summary>
/// <param name="Size">Receptive field along each spatial dim, in input pixels.</param>
/// <param name="Jump">Jump along each spatial dim, in input pixels (below 1 after upsampling).</param>
public sealed record ReceptiveField(double[] Size, double[] Jump)
{
    /// <summary>A single input pixel, field 1 and jump 1, along <paramref name="dims"/> spatial dims.</summary>
    public static ReceptiveField Pixel(int dims) => new([.. Enumerable.Repeat(1.0, dims)], [.. Enumerable.Repeat(1.0, dims)]);

    /// <summary>
    /// The field of <paramref name="module"/>'s output, given its input's: convolutions and pools grow it, adaptive pools by the
    /// window they use (⌈in/out⌉ wide, ⌊in/out⌋ apart), layers that keep the spatial layout pass it on; null when the output has
    /// no spatial dims (after Flatten or Linear) or the layout changes in a way not modelled.
    /// </summary>
    public static ReceptiveField? Next(Module module, ReceptiveField input, Tensor? inputTensor, Tensor? output)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        int dims = input.Size.Length;
        // [N, C, spatial…] in and out; anything else (Flatten, Linear) has no spatial layout left.
        if (output is null || output.Rank != dims + 2) return null;
        return module switch
        {
            ConvTranspose2d conv => input.Transposed([conv.KernelSize.H, conv.KernelSize.W], [conv.Stride.H, conv.Stride.W], [conv.Dilation.H, conv.Dilation.W]),
            Conv2d conv => input.Then([conv.KernelSize.H, conv.KernelSize.W], [conv.Stride.H, conv.Stride.W], [conv.Dilation.H, conv.Dilation.W]),
            Conv1d conv => input.Then([conv.KernelSize], [conv.Stride], [conv.Dilation]),
            MaxPool2d pool => input.Then([pool.KernelSize.H, pool.KernelSize.W], [pool.Stride.H, pool.Stride.W], [pool.Dilation.H, pool.Dilation.W]),
            AvgPool2d pool => input.Then([pool.KernelSize.H, pool.KernelSize.W], [pool.Stride.H, pool.Stride.W], [1, 1]),
            MaxPool1d pool => input.Then([pool.KernelSize], [pool.Stride], [pool.Dilation]),
            AvgPool1d pool => input.Then([pool.KernelSize], [pool.Stride], [1]),
            LPPool2d pool => input.Then([pool.KernelSize.H, pool.KernelSize.W], [(pool.Stride ?? pool.KernelSize).H, (pool.Stride ?? pool.KernelSize).W], [1, 1]),
            AdaptiveAvgPool2d or AdaptiveMaxPool2d when inputTensor is { Rank: >= 2 } => Adaptive(input, inputTensor, output),
            _ when inputTensor is not null && SameSpatial(inputTensor, output, dims) => input,
            _ => null,
        };
    }

    /// <summary>After a layer of these kernel sizes, strides and dilations: r + d·(k − 1)·j, j·s.</summary>
    public ReceptiveField Then(int[] kernel, int[] stride, int[] dilation)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(stride);
        ArgumentNullException.ThrowIfNull(dilation);
        if (kernel.Length != Size.Length) return this with { };
        var size = new double[Size.Length];
        var jump = new double[Size.Length];
        for (int i = 0; i < size.Length; i++)
        {
            size[i] = Size[i] + dilation[i] * (kernel[i] - 1) * Jump[i];
            jump[i] = Jump[i] * stride[i];
        }
        return new ReceptiveField(size, jump);
    }

    /// <summary>After a transposed convolution: the outputs are stride times denser, j/s, and each sees d·(k − 1) of them more.</summary>
    public ReceptiveField Transposed(int[] kernel, int[] stride, int[] dilation)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(stride);
        ArgumentNullException.ThrowIfNull(dilation);
        var size = new double[Size.Length];
        var jump = new double[Size.Length];
        for (int i = 0; i < size.Length; i++)
        {
            jump[i] = Jump[i] / stride[i];
            size[i] = Size[i] + dilation[i] * (kernel[i] - 1) * jump[i];
        }
        return new ReceptiveField(size, jump);
    }

    /// <summary>The field as the summary prints it: <c>11</c>, or <c>11×7</c> when the dims differ.</summary>
    public string FormatSize() => Format(Size);

    /// <summary>The jump as the summary prints it: <c>4</c>, <c>0.5</c>, or <c>4×2</c>.</summary>
    public string FormatJump() => Format(Jump);

    static string Format(double[] values)
    {
        var text = values.Select(v => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return text.Distinct().Count() == 1 ? text[0] : string.Join("×", text);
    }

    static ReceptiveField? Adaptive(ReceptiveField input, Tensor inputTensor, Tensor output)
    {
        if (input.Size.Length != 2) return null;
        int[] kernel = new int[2], stride = new int[2];
        for (int i = 0; i < 2; i++)
        {
            int inSize = inputTensor.Size(-2 + i), outSize = output.Size(-2 + i);
            kernel[i] = (inSize + outSize - 1) / outSize;
            stride[i] = Math.Max(1, inSize / outSize);
        }
        return input.Then(kernel, stride, [1, 1]);
    }

    static bool SameSpatial(Tensor input, Tensor output, int dims)
    {
        if (input.Rank != output.Rank || input.Rank < dims) return false;
        for (int i = 1; i <= dims; i++)
        {
            if (input.Size(-i) != output.Size(-i)) return false;
        }
        return true;
    }
}
