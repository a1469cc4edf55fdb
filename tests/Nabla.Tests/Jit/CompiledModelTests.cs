using Nabla.Jit;
using Nabla.NN;
using Nabla.Serialization;
using Nabla.Tests.TestSupport;
using Nabla.Vision.Models;

namespace Nabla.Tests.Jit;

/// <summary>
/// Every zoo model traced and compiled with all passes gives PyTorch's eval logits (the fixtures of ModelZooTests, written by
/// tests/fixtures/make_zoo_fixtures.py), at the fixture's batch and at another one; recurrent layers and Transformer layers match eager.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class CompiledModelTests
{
    static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "fixtures", file);

    [Theory]
    [InlineData("alexnet")]
    [InlineData("vgg11")]
    [InlineData("nin")]
    [InlineData("googlenet")]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("densenet")]
    public void Compiled_zoo_model_gives_pytorch_eval_logits(string name)
    {
        var tensors = StateDict.Load(FixturePath($"safetensors/zoo_{name}.safetensors"));
        var input = tensors["__input"];
        var expected = tensors["__logits"];
        tensors.Remove("__input");
        tensors.Remove("__logits");
        var model = Vision.ModelZooTests.CourseModel(name);
        model.LoadStateDict(tensors);

        var compiled = model.Compile(input);
        var logits = compiled.Call(input);
        Assert.True(model.Training); // Compile traces in eval mode and restores the mode
        AssertClose(expected, logits, name);
        // One sample on its own: the batch dimension is symbolic.
        var single = compiled.Call(input.Narrow(0, 1, 1));
        AssertClose(expected.Narrow(0, 1, 1), single, name + " (batch 1)");
    }

    [Fact]
    public void Compiled_mlp_and_lenet_equal_eager_and_fold_their_epilogues()
    {
        // Batch 16: LeNet's first convolution gives 75 264 values, above the size at which the fused activation is split over the worker pool.
        var x = Tensor.Randn([16, 1, 28, 28], generator: new Generator(5));
        foreach (var model in new[] { Mlp.Create(generator: new Generator(1)), LeNet.Create(generator: new Generator(2)), LeNet.CreateBatchNorm(generator: new Generator(3)) })
        {
            var compiled = model.Compile(x);
            model.Eval();
            Tensor eager;
            using (Autograd.NoGrad()) eager = model.Call(x);
            AssertClose(eager, compiled.Call(x), model.ToString());
            Assert.DoesNotContain(compiled.Graph.Nodes, n => n.Op == GraphOps.BatchNorm);
            Assert.Contains(compiled.Graph.Nodes, n => n.Op is GraphOps.LinearActivation or GraphOps.Conv2dActivation);
        }
    }

    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    [InlineData("RNN")]
    public void Recurrent_layer_with_state_traces_and_matches_eager(string kind)
    {
        Module layer = kind switch
        {
            "LSTM" => new LSTM(6, 8, numLayers: 2),
            "GRU" => new GRU(6, 8, numLayers: 2, bidirectional: true),
            _ => new RNN(6, 8),
        };
        layer.Eval();
        int states = kind switch { "LSTM" => 2, "GRU" => 4, _ => 1 };
        Tensor[] Forward(Tensor[] inputs) => layer switch
        {
            LSTM lstm => Flatten(lstm.Call(inputs[0], (inputs[1], inputs[2]))),
            GRU gru => Flatten(gru.Call(inputs[0], inputs[1])),
            RNN rnn => Flatten(rnn.Call(inputs[0], inputs[1])),
            _ => throw new ArgumentException(kind),
        };
        var x = Tensor.Randn([5, 3, 6], generator: new Generator(6));
        var h = Tensor.Randn([states, 3, 8], generator: new Generator(7));
        Tensor[] examples = kind == "LSTM" ? [x, h, h * 0.5] : [x, h];
        int[] batchDims = kind == "LSTM" ? [1, 1, 1] : [1, 1];
        var graph = Nabla.Jit.Jit.Trace(layer, Forward, examples, batchDims: batchDims);
        Assert.Contains(graph.Nodes, n => n.Op == GraphOps.RecurrentLayer);
        var compiled = new CompiledModule(GraphPasses.OptimizeForInference(graph));
        var x2 = Tensor.Randn([5, 2, 6], generator: new Generator(8));
        var h2 = Tensor.Randn([states, 2, 8], generator: new Generator(9));
        Tensor[] inputs = kind == "LSTM" ? [x2, h2, h2] : [x2, h2];
        var expected = Forward(inputs);
        var actual = compiled.Call(inputs);
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"{kind} output {i}");
    }

    static Tensor[] Flatten((Tensor Output, (Tensor H, Tensor C) State) result) => [result.Output, result.State.H, result.State.C];

    static Tensor[] Flatten((Tensor Output, Tensor State) result) => [result.Output, result.State];

    [Fact]
    public void Transformer_encoder_layer_traces_and_matches_eager()
    {
        var layer = new TransformerEncoderLayer(16, 4, dimFeedforward: 32, dropout: 0.1, batchFirst: true);
        var x = Tensor.Randn([3, 7, 16], generator: new Generator(10));
        var compiled = layer.Compile(x);
        layer.Eval();
        var x2 = Tensor.Randn([2, 7, 16], generator: new Generator(11));
        Tensor eager;
        using (Autograd.NoGrad()) eager = layer.Call(x2);
        AssertClose(eager, compiled.Call(x2), "TransformerEncoderLayer");
        Assert.Contains(compiled.Graph.Nodes, n => n.Op == GraphOps.ScaledDotProductAttention);
    }

    [Fact]
    public void Wrong_input_shape_names_the_graph_input_and_both_shapes()
    {
        var compiled = Mlp.Create(generator: new Generator(1)).Compile(Tensor.Randn([2, 1, 28, 28], generator: new Generator(2)));
        var error = Assert.Throws<ShapeException>(() => compiled.Call(Tensor.Randn([2, 784], generator: new Generator(3))));
        Assert.Contains("%input", error.Message);
        Assert.Contains("Float32[N, 1, 28, 28]", error.Message);
        Assert.Contains("[2, 784]", error.Message);
        error = Assert.Throws<ShapeException>(() => compiled.Call(Tensor.Randn([2, 3, 28, 28], generator: new Generator(3))));
        Assert.Contains("[2, 3, 28, 28]", error.Message);
    }

    [Fact]
    public void Run_into_a_bound_output_allocates_no_managed_memory_in_the_steady_state()
    {
        // Batch 64 reaches the parallel paths (GEMM row split, convolution and pooling over the worker pool), whose workers'
        // allocations the process-wide counter sees too; this collection runs alone, so nothing else allocates meanwhile.
        var cases = new (Module<Tensor, Tensor> Model, int Batch)[]
        {
            (Mlp.Create(generator: new Generator(1)), 1),
            (Mlp.Create(generator: new Generator(1)), 64),
            (LeNet.Create(generator: new Generator(2)), 64),
        };
        foreach (var (model, batch) in cases)
        {
            var x = Tensor.Randn([batch, 1, 28, 28], generator: new Generator(4));
            var compiled = model.Compile(x);
            var output = Tensor.Zeros([batch, 10]);
            // The first call at a batch size makes its plan; 40 calls also take the kernels past tiered compilation's call counting.
            for (int i = 0; i < 40; i++) compiled.Run(x, output);
            long onThisThread = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) compiled.Run(x, output);
            onThisThread = GC.GetAllocatedBytesForCurrentThread() - onThisThread;
            Assert.True(onThisThread == 0, $"{model} at batch {batch}: 5 steady-state calls allocated {onThisThread} bytes on the calling thread");
            // The process-wide counter also sees the worker pool's threads, and anything else the process runs meanwhile (the
            // finalizer of another test's garbage, a runtime thread): the calls must allocate nothing in at least one window.
            long fewest = long.MaxValue;
            for (int attempt = 0; attempt < 10 && fewest > 0; attempt++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < 5; i++) compiled.Run(x, output);
                fewest = Math.Min(fewest, GC.GetTotalAllocatedBytes(precise: true) - before);
            }
            Assert.True(fewest == 0, $"{model} at batch {batch}: 5 steady-state calls allocated {fewest} bytes (all threads)");
            model.Eval();
            using (Autograd.NoGrad()) AssertClose(model.Call(x), output, $"{model} at batch {batch}");
        }
    }

    [Fact]
    public void Run_checks_the_bound_output_and_names_it()
    {
        var x = Tensor.Randn([2, 1, 28, 28], generator: new Generator(2));
        var compiled = Mlp.Create(generator: new Generator(1)).Compile(x);
        var error = Assert.Throws<ShapeException>(() => compiled.Run(x, Tensor.Zeros([3, 10])));
        Assert.Contains("output 0", error.Message);
        Assert.Contains("[2, 10]", error.Message);
        Assert.Contains("[3, 10]", error.Message);
    }

    [Fact]
    public void Reshaped_input_read_by_an_unplanned_op_and_a_strided_input_give_eager_values()
    {
        // The reshape of the input is an alias that planned kernels read with the plan's shapes; Softmax has no planned
        // kernel, so it must see the reshaped tensor. A transposed (non-contiguous) input is copied before the planned kernels.
        Tensor Forward(Tensor t) => t.Reshape(-1, 12).Softmax(-1).Sigmoid().Tanh();
        var example = Tensor.Randn([4, 3, 4], generator: new Generator(12));
        var compiled = new CompiledModule(GraphPasses.OptimizeForInference(Nabla.Jit.Jit.Trace(Forward, example)));
        var x = Tensor.Randn([5, 4, 3], generator: new Generator(13)).Transpose(1, 2);
        for (int call = 0; call < 2; call++) AssertClose(Forward(x), compiled.Call(x), $"call {call}");
        var output = Tensor.Zeros([5, 12]);
        compiled.Run(x.Contiguous(), output);
        AssertClose(Forward(x), output, "Run");
    }

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 + 1e-4 * Math.Abs(e[i]), $"{what}: value {i} is {a[i]}, expected {e[i]}");
    }
}
