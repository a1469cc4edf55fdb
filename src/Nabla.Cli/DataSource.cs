using Nabla.Vision;

namespace Nabla.Cli;

/// <summary>Finds Fashion-MNIST for the commands: <c>--data</c>, then the usual places, then the embedded sample.</summary>
public static class DataSource
{
    /// <summary>The value of <c>--data</c> that selects the embedded sample explicitly.</summary>
    public const string SampleName = "sample";

    /// <summary>The one line printed when the embedded sample is used because nothing else was found.</summary>
    public static string SampleNotice { get; } =
        $"Using the embedded Fashion-MNIST sample ({FashionMnist.SampleTrainCount:N0} train / {FashionMnist.SampleTestCount:N0} test images); " +
        "for the full set run `apt-get install dataset-fashion-mnist` or put the four files in ~/.nabla/data/fashion-mnist.";

    /// <summary>
    /// Loads one split: from <paramref name="directory"/> when given (<c>sample</c> for the embedded
    /// sample), else from <c>NABLA_DATA</c>, /usr/share/datasets/fashion-mnist or ~/.nabla/data,
    /// else the embedded sample.
    /// </summary>
    /// <param name="train">The training split, or the test split.</param>
    /// <param name="directory">The <c>--data</c> option, or null.</param>
    /// <param name="limit">Keep only the first this many images (0: all).</param>
    /// <exception cref="FileNotFoundException">An explicit directory lacks the files.</exception>
    public static MnistData Load(bool train, string? directory, int limit = 0)
    {
        MnistData data = directory switch
        {
            SampleName => FashionMnist.LoadSample(train),
            null => FashionMnist.Load(train),
            _ when !MnistFiles.HasAll(directory) => throw new FileNotFoundException(
                $"--data {directory}: the four Fashion-MNIST files ({string.Join(", ", MnistFiles.StandardNames)}, optionally .gz) are not all there."),
            _ => FashionMnist.Load(train, directory),
        };
        return limit > 0 && limit < data.Count ? Take(data, limit) : data;
    }

    /// <summary>Refuses a split without images (an empty IDX file, or classes absent from it): training on it would average over nothing.</summary>
    /// <exception cref="InvalidDataException">The split is empty.</exception>
    public static void RequireImages(MnistData data, string split)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
        {
            throw new InvalidDataException($"The {split} set has no images ({data.Source}).");
        }
    }

    /// <summary>The first <paramref name="count"/> images of <paramref name="data"/>.</summary>
    public static MnistData Take(MnistData data, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data with
        {
            Images = data.Images[..(count * data.ImageSize)],
            Labels = data.Labels[..count],
            Count = count,
            Source = $"{data.Source}, first {count:N0}",
        };
    }
}
