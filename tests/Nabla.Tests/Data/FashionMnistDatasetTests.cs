using Nabla.Data;
using Nabla.Vision;
using Nabla.Vision.Datasets;

namespace Nabla.Tests.Data;

public class FashionMnistDatasetTests
{
    private static readonly MnistData Train = FashionMnist.LoadSample(train: true);
    private static readonly MnistData Test = FashionMnist.LoadSample(train: false);

    [Fact]
    public void Embedded_sample_has_6000_train_and_1000_test_items()
    {
        var train = new FashionMnistDataset(Train);
        var test = new FashionMnistDataset(Test);

        Assert.Equal(6000, train.Count);
        Assert.Equal(1000, test.Count);
        Assert.True(train.IsEmbeddedSample);
        Assert.Equal(FashionMnist.EmbeddedSampleSource, train.Source);
        Assert.Equal(10, train.ClassNames.Count);
    }

    [Fact]
    public void Item_0_is_an_ankle_boot_image_in_0_to_1()
    {
        var dataset = new FashionMnistDataset(Train);

        var (image, label) = dataset[0];

        Assert.Equal([1, 28, 28], image.Shape.ToArray());
        Assert.Equal(DType.Float32, image.DType);
        Assert.Equal(DType.Int64, label.DType);
        Assert.Equal(0, label.Rank);
        Assert.Equal(9L, label.Item<long>());
        Assert.Equal("ankle boot", dataset.ClassNames[(int)label.Item<long>()]);
        float[] pixels = image.ToArray<float>();
        Assert.All(pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.Contains(pixels, p => p > 0.5f);
        // ToTensor: byte / 255 in float32.
        for (int i = 0; i < 784; i++)
        {
            Assert.Equal(Train.Images[i] / 255f, pixels[i]);
        }
    }

    [Fact]
    public void AsTensors_equals_the_items()
    {
        var dataset = new FashionMnistDataset(Test);

        var (images, labels) = dataset.AsTensors();

        Assert.Equal([1000, 1, 28, 28], images.Shape.ToArray());
        Assert.Equal([1000], labels.Shape.ToArray());
        Assert.Equal(DType.Int64, labels.DType);
        Assert.Equal(dataset[123].Image.ToArray<float>(), images[123].ToArray<float>());
        Assert.Equal(Test.Labels.Select(b => (long)b).ToArray(), labels.ToArray<long>());
    }

    [Fact]
    public void Loader_batches_equal_stacked_items()
    {
        var dataset = new FashionMnistDataset(Test);
        var loader = new DataLoader<(Tensor, Tensor)>(dataset, batchSize: 64, shuffle: true, generator: new Generator(0));
        var order = Tensor.RandPerm(1000, new Generator(0)).ToArray<long>();

        var (images, labels) = loader.First();

        Assert.Equal(16, loader.Count);
        Assert.Equal([64, 1, 28, 28], images.Shape.ToArray());
        Assert.Equal([64], labels.Shape.ToArray());
        Assert.Equal(dataset[(int)order[5]].Image.ToArray<float>(), images[5].ToArray<float>());
        Assert.Equal(Test.Labels[order[5]], labels[5].Item<long>());
    }

    [Fact]
    public void Transform_is_applied_to_items_and_batches()
    {
        var dataset = new FashionMnistDataset(Test, transform: image => (image - 0.5) / 0.5);

        var (image, _) = dataset[0];
        var (batch, _) = dataset.GetBatch([0, 1]);

        Assert.InRange(image.ToArray<float>().Min(), -1f, -0.99f);
        Assert.Equal((Test.Images[300] / 255f - 0.5f) / 0.5f, image.ToArray<float>()[300], 1e-6f);
        Assert.Equal(image.ToArray<float>(), batch[0].ToArray<float>());
    }

    [Fact]
    public void Loading_the_sample_through_the_constructor_works_without_data_on_disk()
    {
        // NABLA_DATA and the system directories may hold the full set; either way it loads.
        var dataset = new FashionMnistDataset(train: false);

        Assert.True(dataset.Count is 1000 or 10_000);
        Assert.Equal(dataset.Count == 1000, dataset.IsEmbeddedSample);
    }
}
