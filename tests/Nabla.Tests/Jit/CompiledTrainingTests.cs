using Nabla.Jit;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Tests.TestSupport;
using Nabla.Vision.Models;

namespace Nabla.Tests.Jit;

/// <summary>Training through a compiled graph: loss and gradients equal eager mode's for the MLP and LeNet, through optimizer steps.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class CompiledTrainingTests
{
    [Theory]
    [InlineData("mlp")]
    [InlineData("lenet")]
    public void Compiled_training_gives_eager_loss_and_gradients_through_sgd_steps(string name)
    {
        // Two copies of one model: one trains eagerly, the other through its compiled graph, each with its own optimizer.
        Module<Tensor, Tensor> Create() => name == "mlp" ? Mlp.Create(generator: new Generator(1)) : LeNet.Create(generator: new Generator(1));
        var eager = Create();
        var model = Create();
        model.LoadStateDict(eager.StateDict()); // the initialisers also draw from the global generator
        var compiled = model.CompileForTraining(Tensor.Randn([4, 1, 28, 28], generator: new Generator(2)));
        Assert.Contains(compiled.Graph.Nodes, n => n.Op is GraphOps.LinearActivation or GraphOps.Conv2dActivation);
        Assert.Equal(model.Parameters().Count(), compiled.Parameters().Count());
        var eagerOptimizer = new SGD(eager.Parameters(), lr: 0.1, momentum: 0.9);
        var compiledOptimizer = new SGD(compiled.Parameters(), lr: 0.1, momentum: 0.9);
        for (int step = 0; step < 3; step++)
        {
            // Batch 6, not the trace's 4: the batch dimension is symbolic.
            var x = Tensor.Randn([6, 1, 28, 28], generator: new Generator(10 + step));
            var labels = Tensor.From(new long[] { 0, 3, 9, 1, 1, 7 });
            var eagerLoss = Functional.CrossEntropy(eager.Call(x), labels);
            var compiledLoss = Functional.CrossEntropy(compiled.Call(x), labels);
            Assert.True(Math.Abs(eagerLoss.Item<float>() - compiledLoss.Item<float>()) <= 1e-5, $"step {step}: loss {compiledLoss.Item<float>()}, eager {eagerLoss.Item<float>()}");
            eagerOptimizer.ZeroGrad();
            compiledOptimizer.ZeroGrad();
            eagerLoss.Backward();
            compiledLoss.Backward();
            foreach (var ((key, expected), actual) in eager.NamedParameters().Zip(model.Parameters()))
                Assert.True(expected.Grad!.AllClose(actual.Grad!, 1e-5, 1e-6), $"step {step}: gradient of {key} differs from eager");
            eagerOptimizer.Step();
            compiledOptimizer.Step();
        }
    }

    [Fact]
    public void Fused_regions_pass_a_float64_gradient_check()
    {
        // Each activation is fused into the product before it; the gradient flows through the in-place activation's node.
        var model = new Sequential(new Linear(5, 4), new Sigmoid(), new Linear(4, 3), new Tanh(), new Linear(3, 2), new ReLU());
        model.Double();
        var compiled = model.CompileForTraining(Tensor.Randn([2, 5], dtype: DType.Float64, generator: new Generator(6)));
        Assert.Equal(3, compiled.Graph.Nodes.Count(n => n.Op == GraphOps.LinearActivation));
        var x = Tensor.Randn([3, 5], dtype: DType.Float64, generator: new Generator(7));
        x.RequiresGrad = true;
        Assert.True(Autograd.GradCheck(t => compiled.Call(t[0]), [x]));
    }

    [Fact]
    public void Training_graph_of_a_batch_norm_model_is_an_error_naming_it()
    {
        var error = Assert.Throws<NotSupportedException>(() => LeNet.CreateBatchNorm(generator: new Generator(3)).CompileForTraining(Tensor.Randn([2, 1, 28, 28], generator: new Generator(4))));
        Assert.Contains("BatchNorm2d '1'", error.Message);
    }

    [Fact]
    public void Compiled_training_module_refuses_evaluation_mode()
    {
        var compiled = Mlp.Create(generator: new Generator(1)).CompileForTraining(Tensor.Randn([2, 1, 28, 28], generator: new Generator(4)));
        compiled.Eval();
        Assert.Throws<InvalidOperationException>(() => compiled.Call(Tensor.Randn([2, 1, 28, 28], generator: new Generator(5))));
    }
}
