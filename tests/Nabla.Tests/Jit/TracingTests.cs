using Nabla.Jit;
using Nabla.NN;
using Nabla.Tests.TestSupport;
using Nabla.Vision.Models;

namespace Nabla.Tests.Jit;

/// <summary>Jit.Trace: graphs of the zoo and of functions, the symbolic batch, and the errors for forwards that are not one static graph.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class TracingTests
{
    static Tensor Images(int batch, int size = 28, int channels = 1) => Tensor.Randn([batch, channels, size, size], generator: new Generator(7));

    [Fact]
    public void Mlp_trace_has_one_node_per_layer_with_state_dict_names_and_a_symbolic_batch()
    {
        var model = Mlp.Create(generator: new Generator(1));
        model.Eval();
        var graph = Nabla.Jit.Jit.Trace(model, Images(4));
        Assert.Equal([GraphOps.Reshape, GraphOps.Linear, GraphOps.Relu, GraphOps.Linear], graph.Nodes.Select(n => n.Op));
        Assert.Equal([Graph.Batch, 1, 28, 28], graph.Inputs[0].Shape);
        Assert.Equal([Graph.Batch, 10], graph.Outputs[0].Shape);
        Assert.Equal(["1.weight", "1.bias", "3.weight", "3.bias"], graph.Parameters.Select(p => p.Name));
        Assert.Equal([Graph.Batch, 784], graph.Nodes[0].Attribute<int[]>("shape"));
        var dump = graph.ToString();
        Assert.Contains("%input : Float32[N, 1, 28, 28]", dump);
        Assert.Contains("= Linear(%", dump);
        Assert.Contains("%1.weight, %1.bias)  # 1", dump);
        Assert.StartsWith("graph(", dump);
        Assert.Contains("  return (%", dump);
    }

    [Fact]
    public void Traced_function_runs_at_another_batch_size_and_matches_eager()
    {
        var weight = Tensor.Randn([5, 3], generator: new Generator(2));
        Tensor F(Tensor x) => (x.MatMul(weight) * 2 + 1).Tanh().Softmax(-1);
        var graph = Nabla.Jit.Jit.Trace(F, Tensor.Randn([4, 5], generator: new Generator(3)));
        var compiled = new CompiledModule(graph);
        var x = Tensor.Randn([9, 5], generator: new Generator(4));
        Assert.True(compiled.Call(x).AllClose(F(x), 1e-5, 1e-6));
        Assert.Equal(Graph.Batch, graph.Outputs[0].Shape[0]);
    }

    [Fact]
    public void Reading_a_traced_value_into_CSharp_is_an_error_naming_the_op()
    {
        Tensor F(Tensor x) => x.Sum().Item() > 0 ? x.Relu() : x.Sigmoid();
        var error = Assert.Throws<TracingException>(() => Nabla.Jit.Jit.Trace(F, Tensor.Randn([4, 5], generator: new Generator(3))));
        Assert.Contains("ToArray", error.Message);
        Assert.Contains("output of Sum", error.Message);
    }

    [Fact]
    public void A_size_computed_from_the_batch_is_an_error_naming_the_op()
    {
        // Reshape to [N·5] folds the batch into another dimension: not expressible with one symbolic batch dim.
        Tensor F(Tensor x) => x.Reshape(x.Size(0) * 5).Relu();
        var error = Assert.Throws<TracingException>(() => Nabla.Jit.Jit.Trace(F, Tensor.Randn([4, 5], generator: new Generator(3))));
        Assert.Contains("Reshape", error.Message);
        Assert.Contains("[20]", error.Message);
    }

    [Fact]
    public void Control_flow_on_the_batch_size_is_an_error()
    {
        Tensor F(Tensor x) => x.Size(0) % 2 == 0 ? x.Relu() : x.Sigmoid();
        var error = Assert.Throws<TracingException>(() => Nabla.Jit.Jit.Trace(F, Tensor.Randn([4, 5], generator: new Generator(3))));
        Assert.Contains("op 1 is Relu at batch 4 and Sigmoid at batch 5", error.Message);
    }

    [Fact]
    public void An_untraced_computation_of_the_input_is_detected()
    {
        // Tensor.From of the input's values is invisible to tracing: the trace would bake the example in.
        Tensor F(Tensor x) => Tensor.From((float[])x.Data<float>().Clone(), x.Shape.ToArray()) + 1;
        var error = Assert.Throws<TracingException>(() => Nabla.Jit.Jit.Trace(F, Tensor.Randn([4, 5], generator: new Generator(3))));
        Assert.Contains("constant", error.Message);
    }
}
