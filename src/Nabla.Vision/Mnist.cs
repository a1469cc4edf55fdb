namespace Nabla.Vision;

/// <summary>
/// MNIST (LeCun et al., 1998): 28×28 grey-scale hand-written digits, 60,000 for training and
/// 10,000 for testing. There is no embedded sample: the files must be on disk.
/// </summary>
/// <remarks>
/// <see cref="Load"/> looks in an explicit directory, then <c>$NABLA_DATA/mnist</c>,
/// <c>/usr/share/datasets/mnist</c> and <c>~/.nabla/data/mnist</c>; a directory counts only if
/// it holds all four standard files.
/// </remarks>
public static class Mnist
{
    /// <summary>Name of the data set's folder under a data root such as <c>NABLA_DATA</c>.</summary>
    public const string FolderName = "mnist";

    /// <summary>System-wide directory searched for the data set.</summary>
    public const string SystemDirectory = "/usr/share/datasets/mnist";

    /// <summary>Text labels of the 10 classes, the digits "0" to "9".</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Directories searched, in order, after an explicit directory.</summary>
    public static IReadOnlyList<string> SearchDirectories() => DataRoots.SearchDirectories(FolderName, SystemDirectory);

    /// <summary>The directory the data set would be loaded from, or <see langword="null"/> when none has it.</summary>
    /// <param name="directory">An explicit directory; when given, it is the only one considered.</param>
    public static string? FindDirectory(string? directory = null) => DataRoots.FindDirectory(directory, SearchDirectories());

    /// <summary>Loads the train or test split.</summary>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    /// <param name="directory">An explicit directory with the four standard files; when given, no other place is tried.</param>
    /// <exception cref="FileNotFoundException">The files are not found.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    public static MnistData Load(bool train, string? directory = null)
    {
        string found = directory ?? FindDirectory() ?? throw new FileNotFoundException(
            $"MNIST: the four standard files are in none of {string.Join(", ", SearchDirectories())}; set NABLA_DATA or pass a directory.");
        return MnistFiles.Load(found, train);
    }
}
