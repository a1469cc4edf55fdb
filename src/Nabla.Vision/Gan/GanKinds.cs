namespace Nabla.Vision.Gan;

/// <summary>The command-line names of <see cref="GanKind"/>.</summary>
public static class GanKinds
{
    /// <summary>The names, in the order of <see cref="GanKind"/>: <c>dcgan</c>, <c>wgan-gp</c>, <c>cgan</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["dcgan", "wgan-gp", "cgan"];

    /// <summary>The command-line name of <paramref name="kind"/>.</summary>
    public static string Name(GanKind kind) => Names[(int)kind];

    /// <summary>The kind called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No kind has that name; the message lists them.</exception>
    public static GanKind Parse(string name)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase)) return (GanKind)i;
        }
        throw new ArgumentException($"Unknown GAN kind '{name}'. Kinds: {string.Join(", ", Names)}.", nameof(name));
    }
}
