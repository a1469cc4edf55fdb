using Nabla.NN;

namespace Nabla.Vision.Gan;

/// <summary>
/// Measures a generator rather than eyeballing it (see <see cref="FashionClassifier"/> for the judge): the Fréchet distance between
/// the classifier's penultimate features of generated and of real test images ("FID on Fashion-MNIST features"), the class
/// histogram of the samples as the classifier sees them (a collapsed GAN fills few classes), and for a conditional GAN the
/// classifier's accuracy on the samples of each requested class.
/// </summary>
public static class GanEvaluation
{
    /// <summary>
    /// Generates <paramref name="count"/> images in evaluation mode (batch norm on its running statistics), in batches of 500, without
    /// gradients. A conditional generator gets the classes 0, 1, …, 9, 0, 1, … (an equal share each) unless <paramref name="labels"/> says.
    /// </summary>
    /// <param name="generatorNet">The generator.</param>
    /// <param name="recipe">Its recipe (noise length, classes).</param>
    /// <param name="count">Images to make.</param>
    /// <param name="noise">Random source of the noise.</param>
    /// <param name="labels">Conditional GAN: the class of each image, int64 [count]; null for the round-robin.</param>
    /// <returns>Images [count, 1, 32, 32] in [−1, 1].</returns>
    public static Tensor Generate(Module<Tensor, Tensor> generatorNet, GanRecipe recipe, int count, Generator noise, Tensor? labels = null)
    {
        ArgumentNullException.ThrowIfNull(generatorNet);
        ArgumentNullException.ThrowIfNull(recipe);
        if (count < 1) throw new ArgumentException($"GanEvaluation.Generate: count must be at least 1, got {count}.", nameof(count));
        if (recipe.IsConditional) labels ??= RoundRobinLabels(count, recipe.NumClasses);
        bool training = generatorNet.Training;
        generatorNet.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            var batches = new List<Tensor>();
            const int batch = 500;
            for (int start = 0; start < count; start += batch)
            {
                int n = Math.Min(batch, count - start);
                var z = Tensor.Randn([n, recipe.LatentDim], generator: noise);
                if (recipe.IsConditional) z = Dcgan.Condition(z, labels!.Narrow(0, start, n), recipe.NumClasses);
                batches.Add(generatorNet.Call(z));
            }
            return Tensor.Cat(batches);
        }
        finally
        {
            generatorNet.Train(training);
        }
    }

    /// <summary>The classes 0, 1, …, numClasses − 1, 0, 1, … for <paramref name="count"/> samples, int64 [count].</summary>
    public static Tensor RoundRobinLabels(int count, int numClasses)
    {
        var labels = new long[count];
        for (int i = 0; i < count; i++) labels[i] = i % numClasses;
        return Tensor.From(labels, count);
    }

    /// <summary>Scores <paramref name="count"/> samples of <paramref name="generatorNet"/> against the real <paramref name="testImages"/>.</summary>
    /// <param name="generatorNet">The generator.</param>
    /// <param name="recipe">Its recipe.</param>
    /// <param name="classifier">The judge.</param>
    /// <param name="testImages">Real images [M, 1, 32, 32] in [−1, 1] (<see cref="GanImages.FromMnist"/>).</param>
    /// <param name="count">Images to generate.</param>
    /// <param name="seed">Seed of the noise.</param>
    public static GanScores Score(Module<Tensor, Tensor> generatorNet, GanRecipe recipe, FashionClassifier classifier, Tensor testImages, int count, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(testImages);
        Tensor? labels = recipe.IsConditional ? RoundRobinLabels(count, recipe.NumClasses) : null;
        var samples = Generate(generatorNet, recipe, count, new Generator(seed), labels);
        double distance = FrechetDistance.Compute(classifier.Features(samples), classifier.Features(testImages));
        long[] predicted = classifier.Predict(samples).ToArray<long>();
        var histogram = new int[FashionClassifierClasses];
        foreach (long c in predicted) histogram[c]++;
        double[]? accuracy = null;
        if (labels is not null)
        {
            long[] requested = labels.ToArray<long>();
            var hits = new int[recipe.NumClasses];
            var totals = new int[recipe.NumClasses];
            for (int i = 0; i < requested.Length; i++)
            {
                totals[requested[i]]++;
                if (predicted[i] == requested[i]) hits[requested[i]]++;
            }
            accuracy = [.. hits.Select((h, c) => totals[c] == 0 ? 0 : (double)h / totals[c])];
        }
        return new GanScores(count, testImages.Size(0), distance, histogram, accuracy);
    }

    /// <summary>The floor of the distance: real training images against real test images, through the same features.</summary>
    public static double RealDistance(FashionClassifier classifier, Tensor trainImages, Tensor testImages)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return FrechetDistance.Compute(classifier.Features(trainImages), classifier.Features(testImages));
    }

    private const int FashionClassifierClasses = 10;
}
