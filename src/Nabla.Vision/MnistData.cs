namespace Nabla.Vision;

/// <summary>
/// One split (train or test) of an MNIST-style data set as plain arrays: images of
/// <see cref="Rows"/> × <see cref="Columns"/> unsigned-byte pixels and one class label per image.
/// </summary>
/// <param name="Images">Pixels, row-major, <see cref="Count"/> × <see cref="Rows"/> × <see cref="Columns"/> bytes (0 = background).</param>
/// <param name="Labels">Class index of each image, <see cref="Count"/> bytes, each below the number of classes.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Height of an image in pixels (28 for MNIST and Fashion-MNIST).</param>
/// <param name="Columns">Width of an image in pixels (28 for MNIST and Fashion-MNIST).</param>
/// <param name="IsEmbeddedSample">Whether the data is the small sample embedded in Nabla.Vision rather than the full data set.</param>
/// <param name="Source">Directory the files were read from, or a description of the embedded sample.</param>
public sealed record MnistData(byte[] Images, byte[] Labels, int Count, int Rows, int Columns, bool IsEmbeddedSample, string Source)
{
    /// <summary>Number of pixels in one image: <see cref="Rows"/> × <see cref="Columns"/>.</summary>
    public int ImageSize => Rows * Columns;

    /// <summary>Number of images of each class, indexed by label.</summary>
    /// <param name="classCount">Number of classes (10 for MNIST and Fashion-MNIST).</param>
    /// <exception cref="ArgumentOutOfRangeException">A label is not below <paramref name="classCount"/>.</exception>
    public int[] LabelCounts(int classCount = MnistFiles.ClassCount)
    {
        var counts = new int[classCount];
        foreach (byte label in Labels)
        {
            if (label >= classCount)
            {
                throw new ArgumentOutOfRangeException(nameof(classCount), $"MnistData.LabelCounts: label {label} is not below classCount {classCount}.");
            }
            counts[label]++;
        }
        return counts;
    }
}
