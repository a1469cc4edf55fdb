namespace Nabla.Vision.Datasets;

/// <summary>
/// Fashion-MNIST as a data set (<c>torchvision.datasets.FashionMNIST</c>): sample <c>i</c> is
/// <c>(image Float32 [1, 28, 28] in [0, 1], label 0-dim Int64)</c>; see <see cref="MnistDataset"/>.
/// </summary>
/// <remarks>
/// The data comes from <see cref="FashionMnist.Load(bool, string?, bool)"/>: an explicit directory, <c>NABLA_DATA</c>,
/// Debian's package, <c>~/.nabla/data</c>, and finally the embedded sample of 6,000 training and
/// 1,000 test images (<see cref="MnistDataset.IsEmbeddedSample"/> tells which one was used).
/// </remarks>
public sealed class FashionMnistDataset : MnistDataset
{
    /// <summary>Loads the Fashion-MNIST train or test split.</summary>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    /// <param name="directory">An explicit directory with the four standard files; when given, it must hold them.</param>
    /// <param name="allowSample">Whether to fall back to the embedded sample when the full data set is not found.</param>
    /// <param name="transform">Applied to each image tensor <c>[1, 28, 28]</c> when a sample is fetched (<c>transform</c>).</param>
    /// <exception cref="FileNotFoundException">The data set is not found and the sample is not allowed.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    public FashionMnistDataset(bool train = true, string? directory = null, bool allowSample = true, Func<Tensor, Tensor>? transform = null)
        : base(FashionMnist.Load(train, directory, allowSample), FashionMnist.ClassNames, transform)
    {
    }

    /// <summary>A data set over Fashion-MNIST images and labels already loaded.</summary>
    /// <param name="data">The images and labels, e.g. from <see cref="FashionMnist.LoadSample"/>.</param>
    /// <param name="transform">Applied to each image tensor when a sample is fetched.</param>
    public FashionMnistDataset(MnistData data, Func<Tensor, Tensor>? transform = null)
        : base(data, FashionMnist.ClassNames, transform)
    {
    }
}
