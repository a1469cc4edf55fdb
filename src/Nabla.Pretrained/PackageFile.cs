namespace Nabla.Pretrained;

/// <summary>A file shipped by a NuGet package: its name in <c>pretrained/</c> and its place in the package.</summary>
/// <param name="FileName">The name it is copied under.</param>
/// <param name="PackageId">The package.</param>
/// <param name="Version">The package version.</param>
/// <param name="PathInPackage">Its path inside the package folder.</param>
internal sealed record PackageFile(string FileName, string PackageId, string Version, string PathInPackage);
