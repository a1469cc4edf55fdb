namespace Nabla.Vision;

/// <summary>
/// The four standard files of MNIST and Fashion-MNIST, raw or gzip-compressed, and loading a
/// split from a directory that holds them.
/// </summary>
public static class MnistFiles
{
    /// <summary>Number of classes in MNIST and Fashion-MNIST.</summary>
    public const int ClassCount = 10;

    /// <summary>Standard file name of the training images (without ".gz").</summary>
    public const string TrainImages = "train-images-idx3-ubyte";

    /// <summary>Standard file name of the training labels (without ".gz").</summary>
    public const string TrainLabels = "train-labels-idx1-ubyte";

    /// <summary>Standard file name of the test images (without ".gz").</summary>
    public const string TestImages = "t10k-images-idx3-ubyte";

    /// <summary>Standard file name of the test labels (without ".gz").</summary>
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The four standard file names (without ".gz"): train images, train labels, test images, test labels.</summary>
    public static IReadOnlyList<string> StandardNames { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>
    /// Path of a standard file in a directory: the raw file if present, else its ".gz" twin,
    /// else <see langword="null"/>.
    /// </summary>
    /// <param name="directory">Directory to look in.</param>
    /// <param name="name">A standard name without ".gz", e.g. <see cref="TrainImages"/>.</param>
    public static string? Find(string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(name);
        string raw = Path.Combine(directory, name);
        if (File.Exists(raw))
        {
            return raw;
        }
        string compressed = raw + ".gz";
        return File.Exists(compressed) ? compressed : null;
    }

    /// <summary>Whether a directory holds all four standard files (each raw or gzip-compressed).</summary>
    /// <param name="directory">Directory to look in.</param>
    public static bool HasAll(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        foreach (string name in StandardNames)
        {
            if (Find(directory, name) is null)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Loads the train or test split from a directory holding the standard files.</summary>
    /// <param name="directory">Directory with the standard files, raw or gzip-compressed.</param>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    /// <exception cref="FileNotFoundException">A file of the split is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or images and labels do not match.</exception>
    public static MnistData Load(string directory, bool train)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string imagesPath = Require(directory, train ? TrainImages : TestImages);
        string labelsPath = Require(directory, train ? TrainLabels : TestLabels);
        return FromIdx(Idx.Read(imagesPath), imagesPath, Idx.Read(labelsPath), labelsPath, isEmbeddedSample: false, source: directory);
    }

    /// <summary>
    /// Checks that an image file and a label file form one split (3-D images, 1-D labels, same
    /// count, labels below <see cref="ClassCount"/>) and wraps them.
    /// </summary>
    internal static MnistData FromIdx(IdxFile images, string imagesName, IdxFile labels, string labelsName, bool isEmbeddedSample, string source)
    {
        if (images.Dimensions.Length != 3)
        {
            throw new InvalidDataException($"{imagesName}: expected images of 3 dimensions (count, rows, columns) but found [{string.Join(", ", images.Dimensions)}].");
        }
        if (labels.Dimensions.Length != 1)
        {
            throw new InvalidDataException($"{labelsName}: expected labels of 1 dimension (count) but found [{string.Join(", ", labels.Dimensions)}].");
        }
        if (images.Dimensions[0] != labels.Dimensions[0])
        {
            throw new InvalidDataException($"{imagesName} holds {images.Dimensions[0]} images but {labelsName} holds {labels.Dimensions[0]} labels.");
        }
        for (int i = 0; i < labels.Data.Length; i++)
        {
            if (labels.Data[i] >= ClassCount)
            {
                throw new InvalidDataException($"{labelsName}: label {i} is {labels.Data[i]}; expected 0 to {ClassCount - 1}.");
            }
        }
        return new MnistData(images.Data, labels.Data, images.Dimensions[0], images.Dimensions[1], images.Dimensions[2], isEmbeddedSample, source);
    }

    private static string Require(string directory, string name) =>
        Find(directory, name) ?? throw new FileNotFoundException(
            $"MNIST files: neither {name} nor {name}.gz is in {directory}.", Path.Combine(directory, name));
}
