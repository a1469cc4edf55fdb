using System.Text.Json;
using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// Every layer and loss against PyTorch 1.13 (tests/fixtures/nn.json, made by make_nn_fixtures.py):
/// output, gradients of inputs and parameters for a random grad_output, and buffers after the step.
/// </summary>
public class PyTorchReferenceTests
{
    static readonly Dictionary<string, JsonElement> Cases =
        Fixture.Load("nn.json").GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Layer_or_loss_matches_pytorch(string name)
    {
        var c = Cases[name];
        var args = c.GetProperty("args");
        var parameters = Fixture.Tensors(c.GetProperty("params"));
        var buffers = Fixture.Tensors(c.GetProperty("buffers"));
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Fixture.Tensor).ToArray();
        var module = Build(c.GetProperty("module").GetString()!, args, buffers);

        var dtype = parameters.Values.Concat(inputs).First(t => t.DType.IsFloatingPoint()).DType;
        if (module is not Loss) module.To(dtype);
        module.Train(c.GetProperty("train").GetBoolean());
        // Names and order must be PyTorch's.
        Assert.Equal(parameters.Keys, module.NamedParameters().Select(p => p.Name));
        Assert.Equal(buffers.Keys, module.NamedBuffers().Select(b => b.Name));
        using (Autograd.NoGrad())
        {
            foreach (var (key, p) in module.NamedParameters()) p.Copy_(parameters[key]);
            foreach (var (key, b) in module.NamedBuffers()) b.Copy_(buffers[key]);
        }

        bool bilinear = module is Bilinear;
        var leaves = inputs.Select((x, i) => x.DType.IsFloatingPoint() && (i == 0 || bilinear) ? x.Clone().RequiresGrad_() : x).ToArray();
        var output = module switch
        {
            Bilinear b => b.Call(leaves[0], leaves[1]),
            Loss loss => loss.Call(leaves[0], leaves[1]),
            Module<Tensor, Tensor> m => m.Call(leaves[0]),
            _ => throw new NotSupportedException(),
        };
        double rtol = dtype == DType.Float32 ? 1e-5 : 1e-9, atol = dtype == DType.Float32 ? 1e-6 : 1e-11;
        Fixture.AssertClose(Fixture.Tensor(c.GetProperty("output")), output, $"{name} output", rtol, atol);

        output.Backward(Fixture.Tensor(c.GetProperty("grad_output")));
        var parameterByName = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (key, expected) in Fixture.Tensors(c.GetProperty("grads")))
        {
            var actual = key.StartsWith("input") ? leaves[int.Parse(key[5..])].Grad : parameterByName[key].Grad;
            Fixture.AssertClose(expected, actual, $"{name} grad of {key}", rtol, atol);
        }
        var bufferByName = module.NamedBuffers().ToDictionary(b => b.Name, b => b.Buffer);
        foreach (var (key, expected) in Fixture.Tensors(c.GetProperty("buffers_after")))
            Fixture.AssertClose(expected, bufferByName[key], $"{name} buffer {key} after forward", rtol, atol);
    }

    static Module Build(string module, JsonElement args, Dictionary<string, Tensor> buffers)
    {
        int Int(string key, int fallback = 0) => args.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        double Double(string key, double fallback) => args.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool Bool(string key, bool fallback) => args.TryGetProperty(key, out var v) ? v.GetBoolean() : fallback;
        int[] Ints(string key) => [.. args.GetProperty(key).EnumerateArray().Select(e => e.GetInt32())];
        double? Momentum() => !args.TryGetProperty("momentum", out var v) ? 0.1 : v.ValueKind == JsonValueKind.Null ? null : v.GetDouble();
        int? Padding() => args.TryGetProperty("paddingIdx", out var v) ? v.GetInt32() : null;
        Tensor? Buffer(string key) => buffers.GetValueOrDefault(key);
        var reduction = (args.TryGetProperty("reduction", out var r) ? r.GetString() : "mean") switch
        {
            "none" => Reduction.None,
            "sum" => Reduction.Sum,
            "batchmean" => Reduction.BatchMean,
            _ => Reduction.Mean,
        };
        return module switch
        {
            "Linear" => new Linear(Int("inFeatures"), Int("outFeatures"), Bool("bias", true)),
            "Bilinear" => new Bilinear(Int("in1Features"), Int("in2Features"), Int("outFeatures"), Bool("bias", true)),
            "BatchNorm1d" => new BatchNorm1d(Int("numFeatures"), Double("eps", 1e-5), Momentum(), Bool("affine", true), Bool("trackRunningStats", true)),
            "BatchNorm2d" => new BatchNorm2d(Int("numFeatures"), Double("eps", 1e-5), Momentum(), Bool("affine", true), Bool("trackRunningStats", true)),
            "LayerNorm" => new LayerNorm(Ints("normalizedShape"), Double("eps", 1e-5), Bool("elementwiseAffine", true)),
            "Embedding" => new Embedding(Int("numEmbeddings"), Int("embeddingDim"), Padding()),
            "ReLU" => new ReLU(),
            "LeakyReLU" => new LeakyReLU(Double("negativeSlope", 0.01)),
            "ELU" => new ELU(Double("alpha", 1)),
            "GELU" => new GELU(args.TryGetProperty("approximate", out var a) ? a.GetString()! : "none"),
            "Sigmoid" => new Sigmoid(),
            "Tanh" => new Tanh(),
            "Softmax" => new Softmax(Int("dim")),
            "LogSoftmax" => new LogSoftmax(Int("dim")),
            "Flatten" => new Flatten(),
            "Unflatten" => new Unflatten(Int("dim"), Ints("unflattenedSize")),
            "MSELoss" => new MSELoss(reduction),
            "L1Loss" => new L1Loss(reduction),
            "HuberLoss" => new HuberLoss(Double("delta", 1), reduction),
            "SmoothL1Loss" => new SmoothL1Loss(Double("beta", 1), reduction),
            "CrossEntropyLoss" => new CrossEntropyLoss(Buffer("weight"), Int("ignoreIndex", -100), reduction, Double("labelSmoothing", 0)),
            "NLLLoss" => new NLLLoss(Buffer("weight"), Int("ignoreIndex", -100), reduction),
            "BCELoss" => new BCELoss(Buffer("weight"), reduction),
            "BCEWithLogitsLoss" => new BCEWithLogitsLoss(Buffer("weight"), reduction, Buffer("pos_weight")),
            "KLDivLoss" => new KLDivLoss(reduction, Bool("logTarget", false)),
            _ => throw new NotSupportedException($"no builder for {module}"),
        };
    }
}

/// <summary>Whole models print and name their state exactly as PyTorch does for the same architecture.</summary>
public class PyTorchReprTests
{
    static readonly Dictionary<string, System.Text.Json.JsonElement> Models =
        Fixture.Load("nn.json").GetProperty("reprs").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    public static TheoryData<string> ModelNames => [.. Models.Keys];

    sealed class Net : Module<Tensor, Tensor>
    {
        public Sequential Features = new(new Linear(4, 8), new BatchNorm1d(8), new ReLU(), new Dropout(0.25));
        public Embedding Embedding = new(10, 4, paddingIdx: 0);
        public LayerNorm Norm = new(8);
        public Linear Classifier = new(8, 3, bias: false);

        public override Tensor Forward(Tensor input) => Classifier.Call(Norm.Call(Features.Call(input)));
    }

    static Module Build(string name) => name switch
    {
        "mlp" => new Sequential(new Linear(784, 256), new ReLU(), new Dropout(0.2), new Linear(256, 10), new LogSoftmax(1)),
        "activations" => new Sequential(new LeakyReLU(0.2), new ELU(), new GELU("tanh"), new Sigmoid(), new Tanh(),
            new Softmax(-1), new Identity(), new Flatten(), new Unflatten(1, 2, 4)),
        "net" => new Net(),
        "norms" => new ModuleList(new BatchNorm2d(16, eps: 1e-3, momentum: null), new BatchNorm1d(4, affine: false, trackRunningStats: false),
            new LayerNorm([3, 4], elementwiseAffine: false), new Bilinear(2, 3, 4)),
        _ => throw new NotSupportedException(name),
    };

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Model_prints_and_names_state_like_pytorch(string name)
    {
        var model = Build(name);
        var expected = Models[name];
        Assert.Equal(expected.GetProperty("repr").GetString(), model.ToString());
        Assert.Equal(expected.GetProperty("state_dict_keys").EnumerateArray().Select(e => e.GetString()!), model.StateDict().Keys);
    }
}
