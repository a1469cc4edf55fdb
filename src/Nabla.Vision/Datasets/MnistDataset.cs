using Nabla.Data;

namespace Nabla.Vision.Datasets;

/// <summary>
/// MNIST-style images as a <see cref="Dataset{T}"/> (<c>torchvision.datasets.MNIST</c>): sample
/// <c>i</c> is <c>(image, label)</c> with the image a Float32 tensor <c>[1, 28, 28]</c> of pixels
/// scaled to [0, 1] as <c>ToTensor()</c> does (byte / 255) and the label a 0-dim Int64 tensor,
/// so the default collation gives <c>(images [B, 1, 28, 28], labels [B])</c>.
/// </summary>
/// <remarks>
/// The bytes are loaded once, by the constructor; images are converted when fetched, so the
/// data set holds 1 byte per pixel. A <see cref="DataLoader{T}"/> with the default collation
/// fetches whole batches through <see cref="GetBatch"/>. <see cref="AsTensors"/> converts the
/// whole set at once, for training loops that index tensors directly.
/// </remarks>
public class MnistDataset : Dataset<(Tensor Image, Tensor Label)>, IBatchDataset<(Tensor Image, Tensor Label)>
{
    // ToTensor divides a uint8 image by 255 in float32; a table gives the same values, bit for bit.
    private static readonly float[] PixelValues = BuildPixelValues();

    private readonly Func<Tensor, Tensor>? transform;

    /// <summary>Loads the MNIST train or test split from disk (see <see cref="Mnist.Load"/>).</summary>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    /// <param name="directory">An explicit directory with the four standard files; when given, no other place is tried.</param>
    /// <param name="transform">Applied to each image tensor <c>[1, 28, 28]</c> when a sample is fetched (<c>transform</c>).</param>
    /// <exception cref="FileNotFoundException">The files are not found.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    public MnistDataset(bool train = true, string? directory = null, Func<Tensor, Tensor>? transform = null)
        : this(Mnist.Load(train, directory), Mnist.ClassNames, transform)
    {
    }

    /// <summary>A data set over images and labels already loaded.</summary>
    /// <param name="data">The images and labels.</param>
    /// <param name="classNames">Text label of each class, indexed by label.</param>
    /// <param name="transform">Applied to each image tensor <c>[1, rows, columns]</c> when a sample is fetched.</param>
    /// <exception cref="ArgumentException">The arrays' lengths do not match the count and image size.</exception>
    public MnistDataset(MnistData data, IReadOnlyList<string> classNames, Func<Tensor, Tensor>? transform = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(classNames);
        if (data.Images.Length != (long)data.Count * data.ImageSize || data.Labels.Length != data.Count)
        {
            throw new ArgumentException(
                $"{GetType().Name}: {data.Count} images of {data.Rows}×{data.Columns} need {(long)data.Count * data.ImageSize} pixel bytes and {data.Count} labels, got {data.Images.Length} and {data.Labels.Length}.",
                nameof(data));
        }
        Data = data;
        ClassNames = classNames;
        this.transform = transform;
    }

    /// <summary>The raw images and labels.</summary>
    public MnistData Data { get; }

    /// <summary>Text label of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Whether the data is the small sample embedded in Nabla.Vision rather than the full data set.</summary>
    public bool IsEmbeddedSample => Data.IsEmbeddedSample;

    /// <summary>Directory the files were read from, or a description of the embedded sample.</summary>
    public string Source => Data.Source;

    /// <summary>Whether a transform is applied to each fetched image.</summary>
    public bool HasTransform => transform is not null;

    /// <inheritdoc/>
    public override int Count => Data.Count;

    /// <summary>Image <paramref name="index"/> (Float32 <c>[1, rows, columns]</c> in [0, 1], transformed if a transform is set) and its label (0-dim Int64).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the data set.</exception>
    public override (Tensor Image, Tensor Label) this[int index]
    {
        get
        {
            CheckIndex(index);
            var pixels = new float[Data.ImageSize];
            Convert(Data.Images.AsSpan(index * Data.ImageSize, Data.ImageSize), pixels);
            Tensor image = Tensor.From(pixels, 1, Data.Rows, Data.Columns);
            return (transform is null ? image : transform(image), Tensor.From((long)Data.Labels[index]));
        }
    }

    /// <summary>
    /// The samples at <paramref name="indices"/>, collated: images <c>[B, 1, rows, columns]</c> and
    /// labels <c>[B]</c> Int64. Without a transform the pixels are converted straight into the batch.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the data set.</exception>
    public (Tensor Image, Tensor Label) GetBatch(ReadOnlySpan<int> indices)
    {
        var labels = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            CheckIndex(indices[i]);
            labels[i] = Data.Labels[indices[i]];
        }
        if (transform is not null)
        {
            var images = new Tensor[indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                images[i] = this[indices[i]].Image;
            }
            return (Tensor.Stack(images), Tensor.From(labels));
        }
        int size = Data.ImageSize;
        var pixels = new float[(long)indices.Length * size];
        for (int i = 0; i < indices.Length; i++)
        {
            Convert(Data.Images.AsSpan(indices[i] * size, size), pixels.AsSpan(i * size, size));
        }
        return (Tensor.From(pixels, indices.Length, 1, Data.Rows, Data.Columns), Tensor.From(labels));
    }

    /// <summary>
    /// The whole split as two tensors: images Float32 <c>[N, 1, rows, columns]</c> in [0, 1] and
    /// labels Int64 <c>[N]</c>. The transform, if any, is not applied.
    /// </summary>
    public (Tensor Images, Tensor Labels) AsTensors()
    {
        var pixels = new float[Data.Images.Length];
        Convert(Data.Images, pixels);
        var labels = new long[Data.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = Data.Labels[i];
        }
        return (Tensor.From(pixels, Data.Count, 1, Data.Rows, Data.Columns), Tensor.From(labels));
    }

    /// <summary>
    /// The samples of the chosen classes only, relabelled 0 … k − 1 in the order given, with the
    /// matching <see cref="ClassNames"/> and the same transform: the data of a fine-tuning task.
    /// </summary>
    /// <example><code>
    /// var pretrain = new FashionMnistDataset(train: true).SelectClasses(0, 1, 2, 3, 4); // t-shirt … coat
    /// var finetune = new FashionMnistDataset(train: true).SelectClasses(5, 6, 7, 8, 9); // sandal … ankle boot, labels 0 … 4
    /// </code></example>
    /// <param name="classes">Distinct labels of this data set, in the order of the new labels.</param>
    /// <exception cref="ArgumentException">The list is empty, repeats a class or names one this data set does not have.</exception>
    public MnistDataset SelectClasses(params int[] classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        MnistData selected = Data.SelectClasses(classes, ClassNames.Count);
        return new MnistDataset(selected, [.. classes.Select(c => ClassNames[c])], transform);
    }

    private static void Convert(ReadOnlySpan<byte> bytes, Span<float> pixels)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            pixels[i] = PixelValues[bytes[i]];
        }
    }

    private static float[] BuildPixelValues()
    {
        var values = new float[256];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i / 255f;
        }
        return values;
    }
}
