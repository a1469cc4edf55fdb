using System.Globalization;
using System.Text.Json;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Serialization;
using Nabla.Vision.Gan;

namespace Nabla.Cli;

/// <summary>
/// <c>DIR/checkpoint.safetensors</c> of <c>nabla train gan</c>: both networks' weights (<c>generator.*</c>, <c>discriminator.*</c>),
/// both Adam states, and in the metadata the recipe, the run's options, the finished epochs, the noise and shuffling generators'
/// states and the loss history, so that <c>--resume</c> continues as the uninterrupted run would (bit for bit on one machine).
/// </summary>
public static class GanCheckpoint
{
    /// <summary>The value of the <c>model</c> metadata key.</summary>
    public const string ModelName = "gan";

    private const string GeneratorPrefix = "generator.";
    private const string DiscriminatorPrefix = "discriminator.";
    private const string OptimizerValuePrefix = "optimizer.";

    /// <summary>What a checkpoint holds besides the weights and optimizer states.</summary>
    /// <param name="Recipe">The GAN's recipe.</param>
    /// <param name="Settings">The run's options (<see cref="GanSettings.Epochs"/> = the run's total; null when read from a checkpoint that predates it).</param>
    /// <param name="History">The finished epochs.</param>
    /// <param name="Curve">The running losses: (step, D, G, Wasserstein or NaN) every few steps.</param>
    /// <param name="CriticStepsTaken">Critic steps so far.</param>
    /// <param name="NoiseState">State of the noise generator.</param>
    /// <param name="ShuffleState">State of the shuffling generator before the permutation of the epoch under way.</param>
    /// <param name="Partial">The sums of the epoch under way (no steps when the run stopped between epochs).</param>
    public sealed record State(GanRecipe Recipe, GanSettings Settings, List<GanEpoch> History, List<double[]> Curve, long CriticStepsTaken,
        byte[] NoiseState, byte[] ShuffleState, GanPartial Partial);

    /// <summary>Writes the run to <paramref name="directory"/> (created if needed), atomically.</summary>
    /// <returns>The file written.</returns>
    public static string Save(string directory, GanTrainer trainer, State state)
    {
        Directory.CreateDirectory(directory);
        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in trainer.Generator.StateDict()) model[GeneratorPrefix + key] = value;
        foreach (var (key, value) in trainer.Discriminator.StateDict()) model[DiscriminatorPrefix + key] = value;
        GanRecipe r = state.Recipe;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = ModelName,
            ["kind"] = GanKinds.Name(r.Kind),
            ["latent_dim"] = Invariant(r.LatentDim),
            ["features"] = Invariant(r.Features),
            ["num_classes"] = Invariant(r.NumClasses),
            ["lr"] = Invariant(r.LearningRate),
            ["beta1"] = Invariant(r.Beta1),
            ["beta2"] = Invariant(r.Beta2),
            ["critic_steps"] = Invariant(r.CriticSteps),
            ["gp_weight"] = Invariant(r.GradientPenaltyWeight),
            ["batch_size"] = Invariant(state.Settings.BatchSize),
            ["seed"] = Invariant(state.Settings.Seed),
            ["data"] = state.Settings.Data ?? "",
            ["limit"] = Invariant(state.Settings.Limit),
            ["epoch"] = Invariant(state.History.Count),
            ["epochs"] = state.Settings.Epochs is { } total ? Invariant(total) : "",
            ["critic_steps_taken"] = Invariant(state.CriticStepsTaken),
            ["rng.noise"] = Checkpoint.EncodeState(state.NoiseState),
            ["rng.shuffle"] = Checkpoint.EncodeState(state.ShuffleState),
            ["history"] = JsonSerializer.Serialize(state.History, CurveJson),
            ["curve"] = JsonSerializer.Serialize(state.Curve, CurveJson),
            ["partial_epoch"] = JsonSerializer.Serialize(state.Partial, CurveJson),
        };
        var optimizerTensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (prefix, optimizer) in new[] { (GeneratorPrefix, (Optimizer)trainer.GeneratorOptimizer), (DiscriminatorPrefix, trainer.DiscriminatorOptimizer) })
        {
            OptimizerStateDict stateDict = optimizer.StateDict();
            foreach (var (key, value) in stateDict.Tensors) optimizerTensors[prefix + key] = value;
            foreach (var (key, value) in stateDict.Values) metadata[OptimizerValuePrefix + prefix + key] = value;
        }
        string path = CheckpointStore.PathIn(directory);
        Checkpoint.Save(path, model, optimizerTensors, metadata);
        return path;
    }

    /// <summary>Reads the checkpoint of <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">There is none.</exception>
    /// <exception cref="InvalidDataException">It is not a GAN checkpoint.</exception>
    public static (CheckpointData Data, State State) Read(string directory)
    {
        string path = CheckpointStore.PathIn(directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No checkpoint in {directory} (expected {path}).", path);
        }
        CheckpointData data = Checkpoint.Load(path);
        var m = data.Metadata;
        var meta = new CheckpointMetadata(m, path, "a GAN checkpoint of `nabla train gan`");
        string Get(string key) => meta.Get(key);
        if (meta.Optional("model") is not ModelName)
        {
            throw new InvalidDataException($"{path}: holds {(meta.Optional("model") is { } other ? $"a '{other}' model" : "no named model")}, not a GAN (train one with `nabla train gan`).");
        }
        int Int(string key) => meta.Int(key, min: 0);
        double Double(string key) => meta.Double(key, positive: false);
        GanKind kind;
        try
        {
            kind = GanKinds.Parse(Get("kind"));
        }
        catch (ArgumentException exception)
        {
            throw new InvalidDataException($"{path}: {exception.Message}", exception);
        }
        var recipe = GanRecipe.For(kind) with
        {
            LatentDim = Int("latent_dim"),
            Features = Int("features"),
            NumClasses = Int("num_classes"),
            LearningRate = Double("lr"),
            Beta1 = Double("beta1"),
            Beta2 = Double("beta2"),
            CriticSteps = Int("critic_steps"),
            GradientPenaltyWeight = Double("gp_weight"),
        };
        var history = meta.Json<List<GanEpoch>>("history", CurveJson);
        var settings = new GanSettings
        {
            Kind = kind,
            Epochs = meta.Optional("epochs") is { Length: > 0 } ? Int("epochs") : null,
            BatchSize = Int("batch_size"),
            LearningRate = recipe.LearningRate,
            Features = recipe.Features,
            Seed = meta.Long("seed"),
            Data = Get("data") is { Length: > 0 } d ? d : null,
            Limit = Int("limit"),
        };
        var state = new State(recipe, settings, history, meta.Json<List<double[]>>("curve", CurveJson),
            meta.Long("critic_steps_taken"),
            meta.GeneratorState("rng.noise"), meta.GeneratorState("rng.shuffle"),
            meta.Json<GanPartial>("partial_epoch", CurveJson));
        return (data, state);
    }

    /// <summary>Copies the checkpoint's generator weights into <paramref name="generator"/> (strict).</summary>
    public static void LoadGenerator(CheckpointData data, Module generator) => generator.LoadStateDict(Section(data.Model, GeneratorPrefix), strict: true);

    /// <summary>Copies both networks and both optimizer states into <paramref name="trainer"/>.</summary>
    public static void LoadTrainer(CheckpointData data, GanTrainer trainer)
    {
        LoadGenerator(data, trainer.Generator);
        trainer.Discriminator.LoadStateDict(Section(data.Model, DiscriminatorPrefix), strict: true);
        foreach (var (prefix, optimizer) in new[] { (GeneratorPrefix, (Optimizer)trainer.GeneratorOptimizer), (DiscriminatorPrefix, trainer.DiscriminatorOptimizer) })
        {
            var stateDict = new OptimizerStateDict();
            foreach (var (key, tensor) in Section(data.Optimizer, prefix)) stateDict.Tensors[key] = tensor;
            foreach (var (key, value) in data.Metadata)
            {
                if (key.StartsWith(OptimizerValuePrefix + prefix, StringComparison.Ordinal)) stateDict.Values[key[(OptimizerValuePrefix + prefix).Length..]] = value;
            }
            optimizer.LoadStateDict(stateDict);
        }
    }

    // NaN marks a loss not measured (the generator's in a WGAN-GP epoch without a generator step, the Wasserstein column of the other kinds).
    private static readonly JsonSerializerOptions CurveJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static Dictionary<string, Tensor> Section(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
