using System.Reflection;

namespace Nabla.Vision;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28×28 grey-scale images of clothing in 10
/// classes, 60,000 for training and 10,000 for testing, in the same IDX files as MNIST.
/// </summary>
/// <remarks>
/// <see cref="Load(bool, string?, bool)"/> looks for the data set, in this order: an explicit directory; the
/// <c>fashion-mnist</c> folder under the directory named by the <c>NABLA_DATA</c> environment
/// variable; <c>/usr/share/datasets/fashion-mnist</c> (Debian's <c>dataset-fashion-mnist</c>);
/// <c>~/.nabla/data/fashion-mnist</c>; and finally the sample embedded in this assembly
/// (6,000 training and 1,000 test images, 600 and 100 per class), so that examples and tests run
/// anywhere. A directory counts only if it holds all four standard files.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Name of the data set's folder under a data root such as <c>NABLA_DATA</c>.</summary>
    public const string FolderName = "fashion-mnist";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the data set.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Description used as <see cref="MnistData.Source"/> for the embedded sample.</summary>
    public const string EmbeddedSampleSource = "embedded Fashion-MNIST sample";

    /// <summary>Number of training images in the embedded sample (600 per class).</summary>
    public const int SampleTrainCount = 6000;

    /// <summary>Number of test images in the embedded sample (100 per class).</summary>
    public const int SampleTestCount = 1000;

    private const string ResourcePrefix = "Nabla.Vision.fashion-mnist-sample.";

    /// <summary>
    /// Text labels of the 10 classes, indexed by label: t-shirt, trouser, pullover, dress, coat,
    /// sandal, shirt, sneaker, bag, ankle boot.
    /// </summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];

    /// <summary>
    /// Directories searched for the full data set, in order, after an explicit directory:
    /// <c>$NABLA_DATA/fashion-mnist</c> (when the variable is set), Debian's directory, and
    /// <c>~/.nabla/data/fashion-mnist</c>.
    /// </summary>
    public static IReadOnlyList<string> SearchDirectories() => DataRoots.SearchDirectories(FolderName, DebianDirectory);

    /// <summary>
    /// The directory the full data set would be loaded from, or <see langword="null"/> when only
    /// the embedded sample is available.
    /// </summary>
    /// <param name="directory">An explicit directory; when given, it is the only one considered.</param>
    public static string? FindDirectory(string? directory = null) => DataRoots.FindDirectory(directory, SearchDirectories());

    /// <summary>Loads the train or test split, from the first place that has the data set (see remarks on <see cref="FashionMnist"/>).</summary>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    /// <param name="directory">
    /// An explicit directory with the four standard files. When given, it must hold them: there is
    /// no silent fallback to another source.
    /// </param>
    /// <param name="allowSample">Whether to fall back to the embedded sample when the full data set is not found.</param>
    /// <exception cref="FileNotFoundException">The explicit directory lacks a file, or nothing is found and <paramref name="allowSample"/> is false.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    public static MnistData Load(bool train, string? directory = null, bool allowSample = true) =>
        directory is not null ? MnistFiles.Load(directory, train) : Load(train, SearchDirectories(), allowSample);

    /// <summary>Loads from the first of <paramref name="searchDirectories"/> that has the data set, else the sample.</summary>
    internal static MnistData Load(bool train, IReadOnlyList<string> searchDirectories, bool allowSample)
    {
        string? found = DataRoots.FindDirectory(null, searchDirectories);
        if (found is not null)
        {
            return MnistFiles.Load(found, train);
        }
        if (!allowSample)
        {
            throw new FileNotFoundException(
                $"Fashion-MNIST: the four standard files are in none of {string.Join(", ", searchDirectories)}; set NABLA_DATA or pass a directory.");
        }
        return LoadSample(train);
    }

    /// <summary>
    /// Loads a split of the sample embedded in this assembly: 6,000 training images (the first 600
    /// of each class of the training set) or 1,000 test images (the first 100 of each class of the
    /// test set), in their original order.
    /// </summary>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    public static MnistData LoadSample(bool train)
    {
        string imagesName = (train ? MnistFiles.TrainImages : MnistFiles.TestImages) + ".gz";
        string labelsName = (train ? MnistFiles.TrainLabels : MnistFiles.TestLabels) + ".gz";
        IdxFile images = ReadResource(imagesName);
        IdxFile labels = ReadResource(labelsName);
        return MnistFiles.FromIdx(images, ResourcePrefix + imagesName, labels, ResourcePrefix + labelsName, isEmbeddedSample: true, EmbeddedSampleSource);
    }

    private static IdxFile ReadResource(string fileName)
    {
        string resourceName = ResourcePrefix + fileName;
        using Stream stream = typeof(FashionMnist).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Fashion-MNIST: resource {resourceName} is missing from {typeof(FashionMnist).Assembly.GetName().Name}; the build did not embed the sample.");
        return Idx.Read(stream, resourceName);
    }
}
