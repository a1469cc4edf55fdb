namespace Nabla.Vision.Style;

/// <summary>
/// The two images embedded for neural style transfer (see Data/style/README.md for their provenance): <c>dog</c>, a photo
/// of a dog, a bicycle and a truck (768×576), and <c>scream</c>, Edvard Munch's <i>The Scream</i> (1893, public domain), both
/// from Debian's <c>darknet</c> package. The bytes are JPEG files; decoding them is the caller's choice of library.
/// </summary>
public static class StyleImages
{
    /// <summary>The names of the embedded images.</summary>
    public static IReadOnlyList<string> Names { get; } = ["dog", "scream"];

    /// <summary>The JPEG bytes of the embedded image <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not one of <see cref="Names"/>.</exception>
    public static byte[] Read(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Names.Contains(name))
        {
            throw new ArgumentException($"StyleImages: no embedded image '{name}'; the images are {string.Join(", ", Names)}.", nameof(name));
        }
        string resource = $"Nabla.Vision.style.{name}.jpg";
        using var stream = typeof(StyleImages).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"StyleImages: the embedded resource {resource} is missing from {typeof(StyleImages).Assembly.GetName().Name}.");
        var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }
}
