using Nabla.NN;
using Nabla.Serialization;
using Nabla.Vision.Models;

namespace Nabla.Vision.Gan;

/// <summary>
/// The Fashion-MNIST classifier that judges the GANs: the course's LeNet with batch norm (<see cref="LeNet.CreateBatchNorm"/>),
/// trained once with <c>./nabla train lenet-bn --data sample --epochs 20 --optimizer adam --lr 0.002 --lr-schedule cosine</c>
/// (seed 0; test accuracy 0.856 on the embedded sample's 1,000 test images) and shipped inside this assembly
/// (<c>Gan/fashion-classifier.safetensors</c>, 180 KB). Its penultimate layer (the 84 sigmoid units before the last Linear)
/// gives the features of the Fréchet distance; its prediction gives the class histogram and the conditional GAN's accuracy.
/// </summary>
public sealed class FashionClassifier
{
    private const string ResourceName = "Nabla.Vision.Gan.fashion-classifier.safetensors";

    private readonly Sequential net;

    private FashionClassifier(Sequential net)
    {
        this.net = net;
        net.Eval();
    }

    /// <summary>Width of <see cref="Features"/>.</summary>
    public const int FeatureCount = 84;

    /// <summary>The shipped classifier.</summary>
    public static FashionClassifier LoadEmbedded()
    {
        using Stream stream = typeof(FashionClassifier).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"FashionClassifier: the embedded weights {ResourceName} are missing from the assembly.");
        var net = LeNet.CreateBatchNorm();
        net.LoadStateDict(StateDict.Load(stream, out _), strict: true);
        return new FashionClassifier(net);
    }

    /// <summary>The penultimate-layer features of GAN images. Shape: [N, 1, 32, 32] in [−1, 1] → [N, 84].</summary>
    public Tensor Features(Tensor images) => Run(images, net.Count - 1);

    /// <summary>The class logits of GAN images. Shape: [N, 1, 32, 32] in [−1, 1] → [N, 10].</summary>
    public Tensor Logits(Tensor images) => Run(images, net.Count);

    /// <summary>The predicted class of each GAN image. Shape: [N, 1, 32, 32] in [−1, 1] → int64 [N].</summary>
    public Tensor Predict(Tensor images) => Logits(images).ArgMax(1);

    // The first `layers` modules on the central 28×28, in chunks that keep the memory small.
    private Tensor Run(Tensor images, int layers)
    {
        var input = GanImages.ToClassifierInput(images);
        const int chunk = 1000;
        var outputs = new List<Tensor>();
        using var noGrad = Autograd.NoGrad();
        for (int start = 0; start < input.Size(0); start += chunk)
        {
            var x = input.Narrow(0, start, Math.Min(chunk, input.Size(0) - start));
            for (int i = 0; i < layers; i++) x = net[i].Call(x);
            outputs.Add(x);
        }
        return Tensor.Cat(outputs);
    }
}
