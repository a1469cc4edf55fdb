using Nabla.Vision;

namespace Nabla.Tests.Data;

public class FashionMnistTests
{
    [Fact]
    public void Embedded_sample_train_has_6000_images_600_per_class()
    {
        MnistData train = FashionMnist.LoadSample(train: true);

        Assert.True(train.IsEmbeddedSample);
        Assert.Equal(6000, train.Count);
        Assert.Equal(28, train.Rows);
        Assert.Equal(28, train.Columns);
        Assert.Equal(6000 * 28 * 28, train.Images.Length);
        Assert.Equal(6000, train.Labels.Length);
        Assert.All(train.LabelCounts(), count => Assert.Equal(600, count));
    }

    [Fact]
    public void Embedded_sample_test_has_1000_images_100_per_class()
    {
        MnistData test = FashionMnist.LoadSample(train: false);

        Assert.True(test.IsEmbeddedSample);
        Assert.Equal(1000, test.Count);
        Assert.Equal(1000 * 28 * 28, test.Images.Length);
        Assert.All(test.LabelCounts(), count => Assert.Equal(100, count));
    }

    [Fact]
    public void Embedded_sample_starts_like_the_original_files()
    {
        // Fashion-MNIST's first training image is an ankle boot (9), the first test image too;
        // the sample keeps file order and image 0 is among the first 600 of its class.
        MnistData train = FashionMnist.LoadSample(train: true);
        MnistData test = FashionMnist.LoadSample(train: false);

        Assert.Equal(9, train.Labels[0]);
        Assert.Equal(9, test.Labels[0]);
        Assert.Equal("ankle boot", FashionMnist.ClassNames[train.Labels[0]]);
        Assert.Contains(train.Images[..784], pixel => pixel > 0);
    }

    [Fact]
    public void ClassNames_are_the_course_labels()
    {
        Assert.Equal(
            ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"],
            FashionMnist.ClassNames);
    }

    [Fact]
    public void Load_from_explicit_directory_reads_raw_and_gzip_files()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-mnist-").FullName;
        try
        {
            var images = new byte[3 * 28 * 28];
            new Random(3).NextBytes(images);
            Idx.Write(Path.Combine(directory, MnistFiles.TrainImages + ".gz"), new IdxFile([3, 28, 28], images));
            Idx.Write(Path.Combine(directory, MnistFiles.TrainLabels), new IdxFile([3], [0, 5, 9]));
            Idx.Write(Path.Combine(directory, MnistFiles.TestImages), new IdxFile([1, 28, 28], images[..784]));
            Idx.Write(Path.Combine(directory, MnistFiles.TestLabels + ".gz"), new IdxFile([1], [4]));

            MnistData train = FashionMnist.Load(train: true, directory);
            MnistData test = Mnist.Load(train: false, directory);

            Assert.False(train.IsEmbeddedSample);
            Assert.Equal(directory, train.Source);
            Assert.Equal(images, train.Images);
            Assert.Equal([0, 5, 9], train.Labels);
            Assert.Equal(1, test.Count);
            Assert.Equal([4], test.Labels);
            Assert.Equal(directory, FashionMnist.FindDirectory(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Load_from_explicit_directory_without_files_throws_instead_of_falling_back()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-mnist-").FullName;
        try
        {
            var exception = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(train: true, directory));

            Assert.Contains(MnistFiles.TrainImages, exception.Message);
            Assert.Null(FashionMnist.FindDirectory(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Load_rejects_labels_out_of_range_and_count_mismatch()
    {
        string directory = Directory.CreateTempSubdirectory("nabla-mnist-").FullName;
        try
        {
            Idx.Write(Path.Combine(directory, MnistFiles.TrainImages), new IdxFile([2, 28, 28], new byte[2 * 784]));
            Idx.Write(Path.Combine(directory, MnistFiles.TrainLabels), new IdxFile([2], [3, 10]));
            Idx.Write(Path.Combine(directory, MnistFiles.TestImages), new IdxFile([2, 28, 28], new byte[2 * 784]));
            Idx.Write(Path.Combine(directory, MnistFiles.TestLabels), new IdxFile([3], [1, 2, 3]));

            var badLabel = Assert.Throws<InvalidDataException>(() => MnistFiles.Load(directory, train: true));
            var mismatch = Assert.Throws<InvalidDataException>(() => MnistFiles.Load(directory, train: false));

            Assert.Contains("label 1 is 10", badLabel.Message);
            Assert.Contains("holds 2 images but", mismatch.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Load_falls_back_to_the_embedded_sample_only_when_allowed()
    {
        string empty = Directory.CreateTempSubdirectory("nabla-mnist-").FullName;
        try
        {
            MnistData test = FashionMnist.Load(train: false, [empty], allowSample: true);
            var exception = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(train: false, [empty], allowSample: false));

            Assert.True(test.IsEmbeddedSample);
            Assert.Equal(FashionMnist.EmbeddedSampleSource, test.Source);
            Assert.Equal(FashionMnist.SampleTestCount, test.Count);
            Assert.Contains(empty, exception.Message);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void Search_order_puts_NABLA_DATA_before_system_and_home_directories()
    {
        IReadOnlyList<string> directories = FashionMnist.SearchDirectories();

        int debian = directories.ToList().IndexOf(FashionMnist.DebianDirectory);
        Assert.True(debian >= 0);
        string? root = Environment.GetEnvironmentVariable("NABLA_DATA");
        if (!string.IsNullOrEmpty(root))
        {
            Assert.Equal(Path.Combine(root, "fashion-mnist"), directories[0]);
        }
        Assert.EndsWith(Path.Combine(".nabla", "data", "fashion-mnist"), directories[^1]);
    }

    [DebianFashionMnistFact]
    public void Debian_files_load_in_full_and_the_sample_is_their_first_600_per_class()
    {
        MnistData train = MnistFiles.Load(FashionMnist.DebianDirectory, train: true);
        MnistData sample = FashionMnist.LoadSample(train: true);

        Assert.Equal(60000, train.Count);
        Assert.All(train.LabelCounts(), count => Assert.Equal(6000, count));
        var taken = new int[10];
        int next = 0;
        for (int i = 0; i < train.Count && next < sample.Count; i++)
        {
            if (taken[train.Labels[i]]++ >= 600)
            {
                continue;
            }
            Assert.Equal(train.Labels[i], sample.Labels[next]);
            Assert.True(train.Images.AsSpan(i * 784, 784).SequenceEqual(sample.Images.AsSpan(next * 784, 784)), $"sample image {next} differs from train image {i}");
            next++;
        }
        Assert.Equal(6000, next);
    }

    [DebianFashionMnistFact]
    public void Debian_test_split_loads_10000_images_1000_per_class()
    {
        MnistData test = MnistFiles.Load(FashionMnist.DebianDirectory, train: false);

        Assert.Equal(10000, test.Count);
        Assert.Equal(10000 * 784, test.Images.Length);
        Assert.All(test.LabelCounts(), count => Assert.Equal(1000, count));
    }

    /// <summary>Runs only where Debian's dataset-fashion-mnist package is installed; skipped elsewhere.</summary>
    private sealed class DebianFashionMnistFactAttribute : FactAttribute
    {
        public DebianFashionMnistFactAttribute()
        {
            if (!MnistFiles.HasAll(FashionMnist.DebianDirectory))
            {
                Skip = $"Fashion-MNIST not installed in {FashionMnist.DebianDirectory} (apt-get install dataset-fashion-mnist)";
            }
        }
    }
}
