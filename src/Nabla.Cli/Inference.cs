using System.Text.Json;
using Nabla.Data;
using Nabla.Jit;
using Nabla.NN;
using Nabla.Training;
using Nabla.Vision;
using Nabla.Vision.Datasets;

namespace Nabla.Cli;

/// <summary>The <c>eval</c> and <c>predict</c> commands: a trained model from a checkpoint, applied.</summary>
public static class Inference
{
    /// <summary>Builds <paramref name="modelName"/> and loads the weights saved in <paramref name="checkpointDirectory"/>.</summary>
    public static Module<Tensor, Tensor> LoadModel(string modelName, string checkpointDirectory) => LoadModel(modelName, checkpointDirectory, out _);

    /// <summary>
    /// As <see cref="LoadModel(string, string)"/>; <paramref name="state"/> describes the run (the
    /// side of the images it was trained on, its classes), in evaluation mode.
    /// </summary>
    public static Module<Tensor, Tensor> LoadModel(string modelName, string checkpointDirectory, out RunState state)
    {
        ModelSpec spec = ModelCatalog.Get(modelName);
        (Serialization.CheckpointData data, state) = CheckpointStore.Read(checkpointDirectory);
        if (state.Model != spec.Name)
        {
            throw new ArgumentException($"The checkpoint in {checkpointDirectory} holds a '{state.Model}' model, not '{spec.Name}'.");
        }
        Module<Tensor, Tensor> model = spec.Build(state.Width, state.NumClasses, state.Aux);
        CheckpointStore.LoadModel(data, model);
        model.Eval();
        return model;
    }

    /// <summary><c>nabla eval</c>: prints the test accuracy (on the run's classes).</summary>
    public static int Evaluate(string modelName, string checkpointDirectory, string? dataDirectory, int limit, bool json, TextWriter stdout) =>
        Evaluate(modelName, checkpointDirectory, dataDirectory, limit, json, compile: false, stdout);

    /// <summary>
    /// <c>nabla eval</c>; with <paramref name="compile"/> the model is traced on the first test images and run as a static graph
    /// (<see cref="Nabla.Jit.Jit.Compile"/>: frozen weights, batch norms folded, fused epilogues), which gives the same accuracy.
    /// </summary>
    public static int Evaluate(string modelName, string checkpointDirectory, string? dataDirectory, int limit, bool json, bool compile, TextWriter stdout)
    {
        Module<Tensor, Tensor> model = LoadModel(modelName, checkpointDirectory, out RunState state);
        MnistData test = ClassSelection.Apply(DataSource.Load(train: false, dataDirectory, limit), state.Classes);
        DataSource.RequireImages(test, "test");
        if (compile)
        {
            var (examples, _) = new FashionMnistDataset(DataSource.Take(test, Math.Min(2, test.Count))).AsTensors();
            var compiled = model.Compile(new BatchPreparation(state.InputSize).Apply(examples));
            model = compiled.AsModule();
        }
        var loader = new DataLoader<(Tensor Image, Tensor Label)>(new FashionMnistDataset(test), batchSize: 1024);
        double accuracy = Trainer.Evaluate(model, new BatchPreparation(state.InputSize).Over(loader));
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = modelName, ["test_acc"] = accuracy, ["images"] = test.Count, ["compiled"] = compile }));
        }
        else
        {
            stdout.WriteLine(FormattableString.Invariant($"{modelName}: test accuracy {accuracy:F4} on {test.Count:N0} images ({test.Source}){(compile ? ", compiled graph" : "")}"));
        }
        return 0;
    }

    /// <summary><c>nabla predict --image</c>: prints the most likely classes of an image with their probabilities.</summary>
    public static int Predict(string modelName, string checkpointDirectory, string imagePath, int top, TextWriter stdout)
    {
        Module<Tensor, Tensor> model = LoadModel(modelName, checkpointDirectory, out RunState state);
        Tensor input = new BatchPreparation(state.InputSize).Apply(ImageInput.Load(imagePath, out bool inverted));
        float[] probabilities;
        using (Autograd.NoGrad())
        {
            probabilities = model.Call(input).Softmax(1).ToArray<float>();
        }
        if (inverted)
        {
            stdout.WriteLine("(light background: image inverted to match Fashion-MNIST's light-on-black)");
        }
        IReadOnlyList<string> names = ClassSelection.Names(state.Classes);
        int[] order = [.. Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i])];
        foreach (int c in order.Take(Math.Clamp(top, 1, probabilities.Length)))
        {
            stdout.WriteLine(FormattableString.Invariant($"{names[c],-12} {probabilities[c]:P1}"));
        }
        return 0;
    }

    /// <summary>
    /// <c>nabla predict --grid</c>: classifies the first <paramref name="count"/> test images (of the
    /// run's classes) and writes them as an image grid with predicted and true labels.
    /// </summary>
    public static int PredictGrid(string modelName, string checkpointDirectory, string gridPath, int count, string? dataDirectory, TextWriter stdout)
    {
        ImageGridPng.RequirePng(gridPath);
        Module<Tensor, Tensor> model = LoadModel(modelName, checkpointDirectory, out RunState state);
        MnistData test = ClassSelection.Apply(DataSource.Load(train: false, dataDirectory), state.Classes);
        DataSource.RequireImages(test, "test");
        count = Math.Min(count, test.Count);
        var (images, labels) = new FashionMnistDataset(DataSource.Take(test, count)).AsTensors();
        ImageGrid grid = Classify(model, images, labels, state.InputSize, ClassSelection.Names(state.Classes));
        ImageGridPng.Save(grid, gridPath);
        stdout.WriteLine($"{modelName}: {count - grid.WrongCount} of {count} test images right ({test.Source}); grid written to {gridPath}");
        return 0;
    }

    /// <summary>Classifies <paramref name="images"/> (28×28, resized to <paramref name="inputSize"/> for the model) and lays them out with the predictions.</summary>
    public static ImageGrid Classify(Module<Tensor, Tensor> model, Tensor images, Tensor labels, int inputSize, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        long[] predicted;
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using (Autograd.NoGrad())
            {
                predicted = model.Call(new BatchPreparation(inputSize).Apply(images)).ArgMax(1).ToArray<long>();
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        int[] truth = [.. labels.ToArray<long>().Select(l => (int)l)];
        return ImageGrid.Create(images, [.. predicted.Select(p => (int)p)], truth, classNames);
    }
}
