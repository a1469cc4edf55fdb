using System.Globalization;
using Nabla.Vision;

namespace Nabla.Cli;

/// <summary>The <c>--classes</c> option: which Fashion-MNIST classes a run trains on, relabelled 0 … k − 1 in the order given.</summary>
public static class ClassSelection
{
    /// <summary>
    /// Parses <c>0-4</c>, <c>5,6,7,8,9</c> or a mix (<c>0-2,7</c>) into distinct class indices in
    /// the order written.
    /// </summary>
    /// <exception cref="ArgumentException">The text is not such a list, names a class outside 0 … 9, or repeats one.</exception>
    public static int[] Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var classes = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                throw new ArgumentException($"--classes {text}: '{part}' is not a class or a range such as 0-4.");
            }
            int first = int.Parse(bounds[0], CultureInfo.InvariantCulture), last = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (last < first)
            {
                throw new ArgumentException($"--classes {text}: the range '{part}' runs backwards.");
            }
            for (int c = first; c <= last; c++)
            {
                if (c >= FashionMnist.ClassNames.Count)
                {
                    throw new ArgumentException($"--classes {text}: class {c} is outside 0-{FashionMnist.ClassNames.Count - 1}.");
                }
                if (classes.Contains(c))
                {
                    throw new ArgumentException($"--classes {text}: class {c} appears twice.");
                }
                classes.Add(c);
            }
        }
        return [.. classes];
    }

    /// <summary>The list as the checkpoint stores it (<c>5,6,7,8,9</c>).</summary>
    public static string Format(IReadOnlyList<int> classes) => string.Join(",", classes);

    /// <summary>The names of the model's outputs: Fashion-MNIST's ten, or those of <paramref name="classes"/> in order.</summary>
    public static IReadOnlyList<string> Names(IReadOnlyList<int>? classes) =>
        classes is null ? FashionMnist.ClassNames : [.. classes.Select(c => FashionMnist.ClassNames[c])];

    /// <summary><paramref name="data"/> restricted to <paramref name="classes"/> (unchanged when null).</summary>
    public static MnistData Apply(MnistData data, IReadOnlyList<int>? classes) => classes is null ? data : data.SelectClasses(classes);
}
