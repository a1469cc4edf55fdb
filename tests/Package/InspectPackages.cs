// Checks what the packed packages hold (run by check.sh as a .NET file-based app):
//   dotnet run InspectPackages.cs -- PACKAGE_FOLDER VERSION
// Every library package: licence, readme, description, tags, repository, the assembly with its XML
// documentation, and a symbol package with its .pdb. The tool: a .NET tool named nabla, no native
// libraries, at most 3 MB more than the libraries it carries (Nabla, Nabla.Vision, Nabla.Text: their
// embedded data may grow). The core package: under 5 MB. Prints each package's size.
using System.IO.Compression;
using System.Xml.Linq;

string folder = args[0], version = args[1];
var failures = new List<string>();
void Expect(bool condition, string message)
{
    if (!condition) failures.Add(message);
}

string[] packages = Directory.GetFiles(folder, $"*.{version}.nupkg");
Expect(packages.Length >= 4, $"expected at least Nabla, Nabla.Vision, Nabla.Text and Nabla.Cli {version} in {folder}, found {packages.Length}");
foreach (string id in new[] { "Nabla", "Nabla.Vision", "Nabla.Text", "Nabla.Cli" })
{
    Expect(File.Exists(Path.Combine(folder, $"{id}.{version}.nupkg")), $"{id}.{version}.nupkg is missing");
}
long SizeOf(string id) => File.Exists(Path.Combine(folder, $"{id}.{version}.nupkg")) ? new FileInfo(Path.Combine(folder, $"{id}.{version}.nupkg")).Length : 0;
long toolLimit = SizeOf("Nabla") + SizeOf("Nabla.Vision") + SizeOf("Nabla.Text") + 3_000_000;
Console.WriteLine($"{"package",-36} {"size",12}");
foreach (string path in packages.Order())
{
    string file = Path.GetFileName(path);
    string id = file[..^$".{version}.nupkg".Length];
    long size = new FileInfo(path).Length;
    Console.WriteLine($"{file,-36} {size / 1e6,9:F2} MB");
    using ZipArchive zip = ZipFile.OpenRead(path);
    var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
    XElement metadata = XDocument.Load(zip.GetEntry($"{id}.nuspec")!.Open()).Root!.Elements().First(e => e.Name.LocalName == "metadata");
    string? Field(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
    XElement? Element(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    Expect(Field("license") == "MIT", $"{id}: licence expression is '{Field("license")}', not MIT");
    Expect(Field("readme") == "README.md" && entries.Contains("README.md"), $"{id}: no README.md");
    Expect(!string.IsNullOrWhiteSpace(Field("description")), $"{id}: no description");
    Expect(Field("tags")?.Contains("deep-learning") == true, $"{id}: tags '{Field("tags")}' lack deep-learning");
    Expect(Element("repository")?.Attribute("type")?.Value == "git", $"{id}: no git repository element");
    bool isTool = Element("packageTypes")?.Elements().Any(e => e.Attribute("name")?.Value == "DotnetTool") == true;
    if (id == "Nabla.Cli")
    {
        Expect(isTool, "Nabla.Cli: not a .NET tool package");
        string settings = new StreamReader(zip.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open()).ReadToEnd();
        Expect(settings.Contains("Name=\"nabla\""), $"Nabla.Cli: the command is not nabla: {settings}");
        Expect(!entries.Any(e => e.Contains("/runtimes/") || e.EndsWith(".so") || e.EndsWith(".dylib")), "Nabla.Cli: carries native libraries");
        Expect(size < toolLimit, $"Nabla.Cli: {size / 1e6:F1} MB, more than 3 MB over the libraries it carries ({toolLimit / 1e6:F1} MB)");
        continue;
    }
    Expect(!isTool, $"{id}: a library packed as a tool");
    Expect(entries.Contains($"lib/net10.0/{id}.dll"), $"{id}: no lib/net10.0/{id}.dll");
    Expect(entries.Contains($"lib/net10.0/{id}.xml"), $"{id}: no XML documentation lib/net10.0/{id}.xml");
    string symbols = Path.ChangeExtension(path, ".snupkg");
    Expect(File.Exists(symbols), $"{id}: no symbol package {Path.GetFileName(symbols)}");
    if (File.Exists(symbols))
    {
        using ZipArchive symbolZip = ZipFile.OpenRead(symbols);
        Expect(symbolZip.GetEntry($"lib/net10.0/{id}.pdb") is not null, $"{id}: the .snupkg has no {id}.pdb");
    }
    if (id == "Nabla")
    {
        Expect(size < 5_000_000, $"Nabla: {size / 1e6:F1} MB, over 5 MB");
    }
}
foreach (string failure in failures)
{
    Console.Error.WriteLine("FAIL " + failure);
}
return failures.Count == 0 ? 0 : 1;
