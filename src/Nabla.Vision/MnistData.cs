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

    /// <summary>
    /// The images of the chosen classes only, relabelled by their position in
    /// <paramref name="classes"/>: with classes [5, 6, 7, 8, 9], an image of class 7 gets label 2.
    /// Images keep their order. Fine-tuning on new classes starts here (pretrain on 0–4, fine-tune on 5–9).
    /// </summary>
    /// <param name="classes">Distinct original labels, each below <paramref name="classCount"/>, in the order of the new labels.</param>
    /// <param name="classCount">Number of classes of the data set (10 for MNIST and Fashion-MNIST).</param>
    /// <returns>A new split; <see cref="Source"/> says which classes it keeps.</returns>
    /// <exception cref="ArgumentException">The list is empty, repeats a class or names one outside 0 … <paramref name="classCount"/> − 1.</exception>
    public MnistData SelectClasses(IReadOnlyList<int> classes, int classCount = MnistFiles.ClassCount)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0)
        {
            throw new ArgumentException("MnistData.SelectClasses: classes must name at least one class.", nameof(classes));
        }
        var newLabel = new int[classCount];
        Array.Fill(newLabel, -1);
        for (int i = 0; i < classes.Count; i++)
        {
            int c = classes[i];
            if (c < 0 || c >= classCount)
            {
                throw new ArgumentException($"MnistData.SelectClasses: class {c} is outside 0 … {classCount - 1}.", nameof(classes));
            }
            if (newLabel[c] >= 0)
            {
                throw new ArgumentException($"MnistData.SelectClasses: class {c} appears twice in [{string.Join(", ", classes)}].", nameof(classes));
            }
            newLabel[c] = i;
        }
        int kept = 0;
        foreach (byte label in Labels)
        {
            if (label < classCount && newLabel[label] >= 0) kept++;
        }
        var images = new byte[(long)kept * ImageSize];
        var labels = new byte[kept];
        int next = 0;
        for (int i = 0; i < Count; i++)
        {
            byte label = Labels[i];
            if (label >= classCount || newLabel[label] < 0) continue;
            Images.AsSpan(i * ImageSize, ImageSize).CopyTo(images.AsSpan(next * ImageSize, ImageSize));
            labels[next++] = (byte)newLabel[label];
        }
        return this with { Images = images, Labels = labels, Count = kept, Source = $"{Source}, classes {string.Join(",", classes)}" };
    }
}
