using System.Text.Json;
using Nabla.Data;
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

    /// <summary>As <see cref="LoadModel(string, string)"/>; <paramref name="inputSize"/> is the side of the images the model was trained on.</summary>
    public static Module<Tensor, Tensor> LoadModel(string modelName, string checkpointDirectory, out int inputSize)
    {
        ModelSpec spec = ModelCatalog.Get(modelName);
        var (data, state) = CheckpointStore.Read(checkpointDirectory);
        if (state.Model != spec.Name)
        {
            throw new ArgumentException($"The checkpoint in {checkpointDirectory} holds a '{state.Model}' model, not '{spec.Name}'.");
        }
        Module<Tensor, Tensor> model = spec.Build(state.Width);
        CheckpointStore.LoadModel(data, model);
        model.Eval();
        inputSize = state.InputSize;
        return model;
    }

    /// <summary><c>nabla eval</c>: prints the test accuracy.</summary>
    public static int Evaluate(string modelName, string checkpointDirectory, string? dataDirectory, int limit, bool json, TextWriter stdout)
    {
        Module<Tensor, Tensor> model = LoadModel(modelName, checkpointDirectory, out int inputSize);
        MnistData test = DataSource.Load(train: false, dataDirectory, limit);
        var loader = new DataLoader<(Tensor Image, Tensor Label)>(new FashionMnistDataset(test), batchSize: 1024);
        double accuracy = Trainer.Evaluate(model, new BatchPreparation(inputSize).Over(loader));
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = modelName, ["test_acc"] = accuracy, ["images"] = test.Count }));
        }
        else
        {
            stdout.WriteLine(FormattableString.Invariant($"{modelName}: test accuracy {accuracy:F4} on {test.Count:N0} images ({test.Source})"));
        }
        return 0;
    }

    /// <summary><c>nabla predict</c>: prints the most likely classes of an image with their probabilities.</summary>
    public static int Predict(string modelName, string checkpointDirectory, string imagePath, int top, TextWriter stdout)
    {
        Module<Tensor, Tensor> model = LoadModel(modelName, checkpointDirectory, out int inputSize);
        Tensor input = new BatchPreparation(inputSize).Apply(ImageInput.Load(imagePath, out bool inverted));
        float[] probabilities;
        using (Autograd.NoGrad())
        {
            probabilities = model.Call(input).Softmax(1).ToArray<float>();
        }
        if (inverted)
        {
            stdout.WriteLine("(light background: image inverted to match Fashion-MNIST's light-on-black)");
        }
        int[] order = [.. Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i])];
        foreach (int c in order.Take(Math.Clamp(top, 1, probabilities.Length)))
        {
            stdout.WriteLine(FormattableString.Invariant($"{FashionMnist.ClassNames[c],-12} {probabilities[c]:P1}"));
        }
        return 0;
    }
}
