using System.Globalization;
using System.Text.Json;
using Nabla.Vision;
using Nabla.Vision.Gan;

namespace Nabla.Cli;

/// <summary><c>nabla sample gan</c> and <c>nabla eval gan</c>: a trained GAN's checkpoint, sampled or measured.</summary>
public static class GanTools
{
    /// <summary>The generator of <paramref name="checkpointDirectory"/> with its recipe and run state.</summary>
    public static (NN.Sequential Generator, GanCheckpoint.State State) LoadGenerator(string checkpointDirectory)
    {
        var (data, state) = GanCheckpoint.Read(checkpointDirectory);
        var generator = state.Recipe.CreateGenerator(new Generator(0));
        GanCheckpoint.LoadGenerator(data, generator);
        generator.Eval();
        return (generator, state);
    }

    /// <summary>
    /// <c>nabla sample gan</c>: <paramref name="count"/> images of noise from <paramref name="seed"/> as a PNG grid; a conditional
    /// GAN makes images of <paramref name="classIndex"/>, or rows of every class when it is null.
    /// </summary>
    public static int Sample(string checkpointDirectory, int count, int? classIndex, string gridPath, long seed, TextWriter stdout)
    {
        if (count < 1) throw new ArgumentException($"--count must be at least 1, got {count}.");
        var (generator, state) = LoadGenerator(checkpointDirectory);
        GanRecipe recipe = state.Recipe;
        Tensor? labels = null;
        IReadOnlyList<string>? rowLabels = null;
        if (classIndex is { } c)
        {
            if (!recipe.IsConditional)
                throw new ArgumentException($"--class: the {GanKinds.Name(recipe.Kind)} in {checkpointDirectory} is not conditional; only a cgan takes a class.");
            if (c < 0 || c >= recipe.NumClasses)
                throw new ArgumentException($"--class {c}: the GAN knows classes 0 to {recipe.NumClasses - 1}.");
            labels = Tensor.Full([count], (long)c);
            rowLabels = [.. Enumerable.Repeat(FashionMnist.ClassNames[c], (count + 7) / 8)];
        }
        else if (recipe.IsConditional)
        {
            // Rows of 8 cycle through the classes.
            var values = new long[count];
            for (int i = 0; i < count; i++) values[i] = i / GanRun.GridColumnsPerClass % recipe.NumClasses;
            labels = Tensor.From(values, count);
            rowLabels = [.. Enumerable.Range(0, (count + 7) / 8).Select(row => FashionMnist.ClassNames[row % recipe.NumClasses])];
        }
        var noise = Tensor.Randn([count, recipe.LatentDim], generator: new Generator(seed));
        Tensor images = GanRun.Generate(generator, recipe, noise, labels);
        SampleGridPng.Save(GanImages.ToUnit(images), 8, gridPath, rowLabels);
        stdout.WriteLine(FormattableString.Invariant($"{count} samples of the {GanKinds.Name(recipe.Kind)} in {checkpointDirectory} (epoch {state.History.Count}): {gridPath}"));
        return 0;
    }

    /// <summary>
    /// <c>nabla eval gan</c>: the Fréchet distance of the shipped classifier's features between <paramref name="count"/> samples and
    /// the test images, beside the same distance for an untrained generator of the same recipe and for the real training images
    /// (the floor); the class histogram of the samples; a conditional GAN's accuracy per requested class.
    /// </summary>
    public static int Evaluate(string checkpointDirectory, int count, string? dataDirectory, long seed, bool json, TextWriter stdout)
    {
        if (count < 2) throw new ArgumentException($"--count must be at least 2, got {count}.");
        var (generator, state) = LoadGenerator(checkpointDirectory);
        GanRecipe recipe = state.Recipe;
        var classifier = FashionClassifier.LoadEmbedded();
        MnistData test = DataSource.Load(train: false, dataDirectory ?? state.Settings.Data);
        MnistData train = DataSource.Load(train: true, dataDirectory ?? state.Settings.Data);
        Tensor testImages = GanImages.FromMnist(test).Images;
        GanScores scores = GanEvaluation.Score(generator, recipe, classifier, testImages, count, seed);
        GanScores untrained = GanEvaluation.Score(recipe.CreateGenerator(new Generator(state.Settings.Seed)), recipe, classifier, testImages, count, seed);
        double floor = GanEvaluation.RealDistance(classifier, GanImages.FromMnist(train).Images, testImages);
        if (json)
        {
            var result = new Dictionary<string, object?>
            {
                ["model"] = GanCheckpoint.ModelName,
                ["kind"] = GanKinds.Name(recipe.Kind),
                ["epochs"] = state.History.Count,
                ["samples"] = count,
                ["test_images"] = test.Count,
                ["frechet_distance"] = Math.Round(scores.FrechetDistance, 4),
                ["untrained_frechet_distance"] = Math.Round(untrained.FrechetDistance, 4),
                ["real_frechet_distance"] = Math.Round(floor, 4),
                ["class_histogram"] = scores.ClassHistogram,
                ["smallest_class_share"] = Math.Round(scores.SmallestClassShare, 4),
                ["class_accuracy"] = scores.ClassAccuracy?.Select(a => Math.Round(a, 4)).ToArray(),
                ["mean_class_accuracy"] = scores.MeanClassAccuracy is { } mean ? Math.Round(mean, 4) : null,
            };
            stdout.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        var culture = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Create(culture, $"gan ({GanKinds.Name(recipe.Kind)}) in {checkpointDirectory}, epoch {state.History.Count}: {count:N0} samples against {test.Count:N0} test images ({test.Source})"));
        stdout.WriteLine(string.Create(culture, $"Fréchet distance of the classifier's features: {scores.FrechetDistance:F3}  (untrained generator {untrained.FrechetDistance:F3}, ratio {scores.FrechetDistance / untrained.FrechetDistance:F3}; real train vs test {floor:F3})"));
        stdout.WriteLine("class histogram of the samples (as the classifier sees them):");
        for (int c = 0; c < scores.ClassHistogram.Length; c++)
        {
            string accuracy = scores.ClassAccuracy is { } a ? string.Create(culture, $"   accuracy on requested {FashionMnist.ClassNames[c]}: {a[c]:F3}") : "";
            stdout.WriteLine(string.Create(culture, $"  {FashionMnist.ClassNames[c],-12} {scores.ClassHistogram[c],6}  {100.0 * scores.ClassHistogram[c] / count,5:F1}%{accuracy}"));
        }
        if (scores.MeanClassAccuracy is { } meanAccuracy)
        {
            stdout.WriteLine(string.Create(culture, $"mean accuracy of the classifier on the requested classes: {meanAccuracy:F3}"));
        }
        return 0;
    }
}
