using Nabla.Jit;
using Nabla.NN;
using Nabla.Tests.TestSupport;

namespace Nabla.Tests.Jit;

/// <summary>Each graph pass on its own: what it rewrites, what it leaves, and that the graph still computes the same values.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class GraphPassTests
{
    static Tensor Input(params int[] shape) => Tensor.Randn(shape, generator: new Generator(21));

    static Tensor Run(Graph graph, Tensor x) => new CompiledModule(graph).Call(x);

    static string[] Ops(Graph graph) => [.. graph.Nodes.Select(n => n.Op)];

    [Fact]
    public void Dead_code_elimination_drops_nodes_and_constants_no_output_needs()
    {
        var graph = new Graph();
        var x = graph.AddInput("input", [Graph.Batch, 4], DType.Float32);
        var dead = graph.NewValue([Graph.Batch, 4], DType.Float32);
        var scale = graph.AddConstant(Tensor.Full([4], 3.0));
        var scaled = graph.NewValue([Graph.Batch, 4], DType.Float32);
        var live = graph.NewValue([Graph.Batch, 4], DType.Float32);
        graph.AddNode(GraphOps.Mul, Tracer.Empty, [x, scale], [scaled]);
        graph.AddNode(GraphOps.Exp, Tracer.Empty, [scaled], [dead]);
        graph.AddNode(GraphOps.Relu, Tracer.Empty, [x], [live]);
        graph.OutputList.Add(live);

        GraphPasses.EliminateDeadCode(graph);

        Assert.Equal([GraphOps.Relu], Ops(graph));
        Assert.Empty(graph.Constants);
        var input = Input(3, 4);
        Assert.True(Run(graph, input).Equal(input.Relu()));
    }

    [Fact]
    public void Common_subexpressions_are_computed_once()
    {
        static Tensor F(Tensor x) => x.Exp() * x.Exp() + x.Sigmoid();
        var graph = Nabla.Jit.Jit.Trace(F, Input(2, 5));
        Assert.Equal(2, Ops(graph).Count(op => op == GraphOps.Exp));

        GraphPasses.EliminateCommonSubexpressions(graph);
        GraphPasses.EliminateDeadCode(graph);

        Assert.Equal(1, Ops(graph).Count(op => op == GraphOps.Exp));
        var mul = graph.Nodes.Single(n => n.Op == GraphOps.Mul);
        Assert.Same(mul.Inputs[0], mul.Inputs[1]);
        var x = Input(3, 5);
        Assert.True(Run(graph, x).AllClose(F(x), 1e-6, 1e-7));
    }

    [Fact]
    public void Freeze_copies_the_weights_and_constant_folding_computes_through_them()
    {
        var linear = new Linear(5, 3);
        // x·(2W)ᵀ: the transpose and the scaling of the weight depend on constants only once frozen.
        Tensor[] Forward(Tensor[] inputs) => [inputs[0].MatMul((linear.Weight * 2).T)];
        var graph = Nabla.Jit.Jit.Trace(linear, Forward, [Input(4, 5)]);
        Assert.Equal([GraphOps.Mul, GraphOps.Permute, GraphOps.MatMul], Ops(graph));
        Assert.Equal(["weight"], graph.Parameters.Select(p => p.Name));

        GraphPasses.Freeze(graph);
        GraphPasses.FoldConstants(graph);
        GraphPasses.EliminateDeadCode(graph);

        Assert.Equal([GraphOps.MatMul], Ops(graph));
        Assert.Empty(graph.Parameters);
        var x = Input(6, 5);
        var expected = Forward([x])[0];
        using (Autograd.NoGrad()) linear.Weight.Fill_(0); // the frozen graph keeps its own copy
        Assert.True(Run(graph, x).AllClose(expected, 1e-5, 1e-6));
    }

    [Fact]
    public void Batch_norm_folds_into_the_convolution_and_the_linear_layer_before_it()
    {
        var conv = new Sequential(new Conv2d(3, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 6), new BatchNorm1d(6));
        // Non-trivial running statistics and affine parameters, as after training.
        using (Autograd.NoGrad())
            foreach (var (name, buffer) in conv.NamedBuffers())
                if (name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.Copy_(Tensor.Randn(buffer.Shape.ToArray(), generator: new Generator(3)));
                else if (name.EndsWith("running_var", StringComparison.Ordinal)) buffer.Copy_(Tensor.Rand(buffer.Shape.ToArray(), generator: new Generator(4)) + 0.5);
        conv.Eval();
        var graph = Nabla.Jit.Jit.Trace(conv, Input(2, 3, 5, 5));
        Assert.Equal(2, Ops(graph).Count(op => op == GraphOps.BatchNorm));

        GraphPasses.Freeze(graph);
        GraphPasses.FoldBatchNorms(graph);

        Assert.DoesNotContain(GraphOps.BatchNorm, Ops(graph));
        Assert.Equal([GraphOps.Conv2d, GraphOps.Relu, GraphOps.Reshape, GraphOps.Linear], Ops(graph));
        var x = Input(3, 3, 5, 5);
        Tensor eager;
        using (Autograd.NoGrad()) eager = conv.Call(x);
        Assert.True(Run(graph, x).AllClose(eager, 1e-4, 1e-5));
    }

    [Fact]
    public void Bias_and_activation_fuse_into_the_linear_and_convolution_epilogue()
    {
        var model = new Sequential(new Conv2d(2, 3, 3), new Sigmoid(), new Flatten(), new Linear(3 * 2 * 2, 4), new ReLU(), new Linear(4, 2), new Tanh());
        model.Eval();
        var graph = Nabla.Jit.Jit.Trace(model, Input(2, 2, 4, 4));

        GraphPasses.FuseEpilogues(graph);

        Assert.Equal([GraphOps.Conv2dActivation, GraphOps.Reshape, GraphOps.LinearActivation, GraphOps.LinearActivation], Ops(graph));
        Assert.Equal(["Sigmoid", "Relu", "Tanh"], graph.Nodes.Where(n => n.Attributes.ContainsKey("activation")).Select(n => n.Attribute<string>("activation")));
        var x = Input(5, 2, 4, 4);
        Tensor eager;
        using (Autograd.NoGrad()) eager = model.Call(x);
        Assert.True(Run(graph, x).AllClose(eager, 1e-5, 1e-6));
    }

    [Fact]
    public void An_activation_whose_input_is_also_read_elsewhere_is_not_fused()
    {
        var linear = new Linear(3, 3);
        Tensor[] Forward(Tensor[] inputs) { var y = linear.Call(inputs[0]); return [y.Relu() + y]; }
        var graph = Nabla.Jit.Jit.Trace(linear, Forward, [Input(2, 3)]);
        GraphPasses.FuseEpilogues(graph);
        Assert.Equal([GraphOps.Linear, GraphOps.Relu, GraphOps.Add], Ops(graph));
    }

    [Fact]
    public void Chains_of_elementwise_ops_fuse_into_one_pass()
    {
        static Tensor F(Tensor x)
        {
            var y = x.Neg().Exp().Sigmoid(); // a chain of three
            var z = y.Tanh();                // y is read twice: the second chain starts after it
            return (z.Relu() + y).Sigmoid().Tanh();
        }
        var graph = Nabla.Jit.Jit.Trace(F, Input(4, 30000)); // more than one 4096-element block

        GraphPasses.FuseElementwise(graph);

        var chains = graph.Nodes.Where(n => n.Op == GraphOps.ElementwiseChain).Select(n => n.Attribute<string>("ops")).ToArray();
        Assert.Equal(["Neg,Exp,Sigmoid", "Tanh,Relu", "Sigmoid,Tanh"], chains);
        Assert.Equal([GraphOps.ElementwiseChain, GraphOps.ElementwiseChain, GraphOps.Add, GraphOps.ElementwiseChain], Ops(graph));
        foreach (var x in new[] { Input(1, 30000), Input(3, 30000) }) // on the calling thread; split over the worker pool (90 000 values)
            Assert.True(Run(graph, x).AllClose(F(x), 1e-6, 1e-6));
    }

    [Fact]
    public void Compiled_module_returns_a_fresh_output_each_call()
    {
        var model = new Sequential(new Linear(8, 8), new ReLU(), new Linear(8, 8), new ReLU(), new Linear(8, 2));
        var compiled = model.Compile(Input(2, 8));
        var (a, b) = (Input(3, 8), Tensor.Randn([3, 8], generator: new Generator(99)));
        var first = compiled.Call(a);
        var kept = first.Clone();
        var second = compiled.Call(b);
        Assert.True(first.Equal(kept)); // the second call did not write into the first call's output
        model.Eval();
        using (Autograd.NoGrad()) Assert.True(second.AllClose(model.Call(b), 1e-5, 1e-6));
        Assert.Equal([3, 2], second.Shape.ToArray());
    }

    [Fact]
    public void Memory_planning_assigns_buffers_by_liveness()
    {
        // LeNet: seven values written by planned kernels (two convolutions, two poolings, three linear layers; the flatten is a
        // view). Each buffer is free again after its last reader, so two buffers take turns: a layer reads one and writes the other.
        var model = Nabla.Vision.Models.LeNet.Create(generator: new Generator(1));
        var x = Input(8, 1, 28, 28);
        var compiled = model.Compile(x);
        var first = compiled.Call(x);
        Assert.Equal(2, compiled.PlannedBuffers(8));
        Assert.Null(compiled.PlannedBuffers(3));
        Assert.True(first.Equal(compiled.Call(x))); // the plan is reused: same values on the next call
    }
}
