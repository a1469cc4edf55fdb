using Nabla.Vision;
using Nabla.Vision.Datasets;

namespace Nabla.Tests.Data;

/// <summary>Selecting classes of Fashion-MNIST and relabelling them: the data of a fine-tuning task.</summary>
public class ClassSubsetTests
{
    private static readonly MnistData Train = FashionMnist.LoadSample(train: true);

    [Fact]
    public void SelectClasses_keeps_the_chosen_classes_in_order_and_relabels_them_by_position()
    {
        int[] counts = Train.LabelCounts();

        MnistData subset = Train.SelectClasses([9, 5, 7]);

        Assert.Equal(counts[9] + counts[5] + counts[7], subset.Count);
        Assert.Equal(new[] { counts[9], counts[5], counts[7] }, subset.LabelCounts(3));
        // The images keep their order: the k-th kept image is the k-th original image of those classes.
        int[] originals = [.. Enumerable.Range(0, Train.Count).Where(i => Train.Labels[i] is 9 or 5 or 7)];
        foreach (int k in new[] { 0, 1, subset.Count / 2, subset.Count - 1 })
        {
            int original = originals[k];
            Assert.Equal(Array.IndexOf([9, 5, 7], (int)Train.Labels[original]), subset.Labels[k]);
            Assert.True(Train.Images.AsSpan(original * 784, 784).SequenceEqual(subset.Images.AsSpan(k * 784, 784)), $"image {k}");
        }
        Assert.EndsWith("classes 9,5,7", subset.Source);
    }

    [Fact]
    public void Dataset_SelectClasses_names_the_new_labels_and_yields_them()
    {
        var dataset = new FashionMnistDataset(Train).SelectClasses(5, 6, 7, 8, 9);

        Assert.Equal(["sandal", "shirt", "sneaker", "bag", "ankle boot"], dataset.ClassNames);
        var (images, labels) = dataset.GetBatch([.. Enumerable.Range(0, dataset.Count)]);
        long[] values = labels.ToArray<long>();
        Assert.All(values, label => Assert.InRange(label, 0, 4));
        Assert.Equal(5, values.Distinct().Count());
        Assert.Equal([dataset.Count, 1, 28, 28], images.Shape.ToArray());
        // Item 0 of the sample is an ankle boot (class 9): the first kept image, now label 4.
        Assert.Equal(4, dataset[0].Label.Item<long>());
    }

    [Theory]
    [InlineData(new int[0], "at least one class")]
    [InlineData(new[] { 1, 2, 1 }, "class 1 appears twice")]
    [InlineData(new[] { 3, 10 }, "class 10 is outside 0 … 9")]
    [InlineData(new[] { -1 }, "class -1 is outside 0 … 9")]
    public void SelectClasses_rejects_an_empty_repeated_or_unknown_class(int[] classes, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => Train.SelectClasses(classes));
        Assert.Contains("SelectClasses", error.Message);
        Assert.Contains(message, error.Message);
    }
}
