namespace Nabla.Vision;

/// <summary>Where data sets are looked for: <c>$NABLA_DATA/NAME</c>, a system directory, <c>~/.nabla/data/NAME</c>.</summary>
internal static class DataRoots
{
    /// <summary>Environment variable naming a directory that holds one folder per data set.</summary>
    public const string EnvironmentVariable = "NABLA_DATA";

    public static IReadOnlyList<string> SearchDirectories(string folderName, string systemDirectory)
    {
        var directories = new List<string>(3);
        string? root = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(root))
        {
            directories.Add(Path.Combine(root, folderName));
        }
        directories.Add(systemDirectory);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home))
        {
            directories.Add(Path.Combine(home, ".nabla", "data", folderName));
        }
        return directories;
    }

    public static string? FindDirectory(string? directory, IReadOnlyList<string> searchDirectories)
    {
        if (directory is not null)
        {
            return MnistFiles.HasAll(directory) ? directory : null;
        }
        foreach (string candidate in searchDirectories)
        {
            if (MnistFiles.HasAll(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
