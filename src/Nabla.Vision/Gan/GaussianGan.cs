using Nabla.NN;

namespace Nabla.Vision.Gan;

/// <summary>
/// The course's first GAN (d2l 17.1): real data are X·A + b with X ~ N(0, I₂), A = [[1, 2], [−0.1, 0.5]], b = [1, 2]; the
/// generator is one Linear(2, 2), so it can learn the affine map exactly (up to a rotation of the noise); the discriminator is an
/// MLP 2-5-3-1 with Tanh. All weights from N(0, 0.02) as in d2l, Adam with lr 0.005 for the generator and 0.05 for the
/// discriminator, batch 8, 20 epochs of 1,000 points. The game itself is <see cref="GanTrainer"/>'s.
/// </summary>
public static class GaussianGan
{
    /// <summary>The map A of the real data (d2l's).</summary>
    public static readonly double[,] A = { { 1, 2 }, { -0.1, 0.5 } };

    /// <summary>The shift b of the real data (d2l's).</summary>
    public static readonly double[] B = [1, 2];

    /// <summary>d2l's recipe: latent dimension 2, generator lr 0.005, discriminator lr 0.05, Adam's default betas.</summary>
    public static GanRecipe Recipe { get; } = new()
    {
        Kind = GanKind.Dcgan,
        LatentDim = 2,
        LearningRate = 0.005,
        DiscriminatorLearningRate = 0.05,
        Beta1 = 0.9,
        Beta2 = 0.999,
    };

    /// <summary><paramref name="count"/> real points X·A + b. Shape: [count, 2].</summary>
    public static Tensor RealData(int count, Generator? generator = null)
    {
        var a = Tensor.From(new float[] { (float)A[0, 0], (float)A[0, 1], (float)A[1, 0], (float)A[1, 1] }, 2, 2);
        var b = Tensor.From(new float[] { (float)B[0], (float)B[1] });
        return Tensor.Randn([count, 2], generator: generator).MatMul(a) + b;
    }

    /// <summary>d2l's generator, <c>Linear(2, 2)</c>, weights from N(0, 0.02). Shape: [N, 2] → [N, 2].</summary>
    public static Sequential CreateGenerator(Generator? generator = null) => Initialize(new Sequential(new Linear(2, 2)), generator);

    /// <summary>d2l's discriminator, <c>Linear(2, 5), Tanh, Linear(5, 3), Tanh, Linear(3, 1)</c>, weights from N(0, 0.02). Shape: [N, 2] → [N, 1].</summary>
    public static Sequential CreateDiscriminator(Generator? generator = null) =>
        Initialize(new Sequential(new Linear(2, 5), new Tanh(), new Linear(5, 3), new Tanh(), new Linear(3, 1)), generator);

    /// <summary>
    /// Trains d2l's two networks on <paramref name="data"/> for <paramref name="epochs"/> epochs of shuffled minibatches.
    /// </summary>
    /// <param name="data">Real points [N, 2].</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Points per step.</param>
    /// <param name="seed">Seed of the weights, the shuffling and the noise.</param>
    /// <param name="epochEnd">Called after each epoch with (epoch, mean discriminator loss, mean generator loss).</param>
    /// <returns>The trained generator.</returns>
    public static Sequential Train(Tensor data, int epochs = 20, int batchSize = 8, long seed = 0, Action<int, double, double>? epochEnd = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var weights = new Generator(seed);
        var trainer = new GanTrainer(Recipe, CreateGenerator(weights), CreateDiscriminator(weights), new Generator(seed + 1));
        var shuffle = new Generator(seed + 2);
        int count = data.Size(0);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var order = Tensor.RandPerm(count, shuffle);
            double discriminatorLoss = 0, generatorLoss = 0;
            int steps = 0;
            for (int start = 0; start < count; start += batchSize)
            {
                var batch = data.IndexSelect(0, order.Narrow(0, start, Math.Min(batchSize, count - start)));
                var losses = trainer.Step(batch);
                discriminatorLoss += losses.DiscriminatorLoss;
                generatorLoss += losses.GeneratorLoss ?? 0;
                steps++;
            }
            epochEnd?.Invoke(epoch, discriminatorLoss / steps, generatorLoss / steps);
        }
        return (Sequential)trainer.Generator;
    }

    static Sequential Initialize(Sequential net, Generator? generator)
    {
        foreach (var parameter in net.Parameters()) Init.Normal_(parameter, 0, 0.02, generator);
        return net;
    }
}
