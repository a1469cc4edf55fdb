using Nabla.Backends.Cpu;
using Nabla.NN;

namespace Nabla.Jit;

/// <summary>
/// A module's training forward as a static graph (<see cref="Jit.CompileForTraining"/>): traced in training mode, with the
/// parameters left live (not frozen: the optimizer's updates are what the next call reads), common subexpressions merged and
/// each Linear or Conv2d followed by ReLU, sigmoid or tanh fused into one region. A call runs the graph with autograd on:
/// a fused region computes the product and applies its activation in place on the product's buffer (no second tensor), and
/// records eager mode's backward for it — the product's node (which reads only the input and weights, so the overwritten
/// pre-activation is never needed) and the activation's, computed from the output by the same fused gradient kernel as eager.
/// The other nodes run the eager ops, which record their own backward. Loss and gradients therefore equal eager mode's.
/// <para>The parameters are the traced module's (registered as the child <c>module</c>): optimise <c>Parameters()</c> of
/// either. Batch norm in training mode (batch statistics, running-average updates) is not traced for training: compiling a
/// model with one is an error that names it.</para>
/// Shape: the traced module's, with any batch size.
/// </summary>
public sealed class CompiledTrainingModule : Module<Tensor, Tensor>
{
    internal CompiledTrainingModule(Module<Tensor, Tensor> module, Graph graph)
    {
        Graph = graph;
        RegisterModule("module", module);
        foreach (var node in graph.NodeList)
            if (node.Op is not (GraphOps.LinearActivation or GraphOps.Conv2dActivation)) GraphInterpreter.KernelOf(node);
    }

    /// <summary>The graph a call runs (parameters are the module's live tensors).</summary>
    public Graph Graph { get; }

    /// <summary>Runs the graph on <paramref name="input"/> with autograd, in training mode.</summary>
    /// <exception cref="InvalidOperationException">The module is in evaluation mode: this graph was traced for training (compile for inference with <c>Compile</c>).</exception>
    /// <exception cref="ShapeException">The input's rank, dtype or a non-batch size differs from the traced graph's input.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Training)
            throw new InvalidOperationException("CompiledTrainingModule: the graph was traced in training mode (dropout on); for evaluation compile the module with Compile(), or call the module itself.");
        var expected = Graph.InputList[0];
        bool fits = input.Rank == expected.Shape.Length && input.DType == expected.DType;
        for (int d = 0; fits && d < input.Rank; d++) fits = expected.Shape[d] == Graph.Batch || expected.Shape[d] == input.Size(d);
        if (!fits)
            throw new ShapeException($"CompiledTrainingModule: input %{expected.Name} expects {expected.TypeString()} (N: any batch size), got {input.DType}{input.Shape}.");

        var values = new Dictionary<GraphValue, Tensor>(ReferenceEqualityComparer.Instance) { [expected] = input };
        foreach (var p in Graph.ParameterList) values[p] = p.Data!;
        foreach (var c in Graph.ConstantList) values[c] = c.Data!;
        int batch = GraphInterpreter.BatchSize(Graph, [input]);
        foreach (var node in Graph.NodeList)
        {
            var arguments = node.InputList.Select(v => v is null ? null : values[v]).ToArray();
            var results = node.Op switch
            {
                GraphOps.LinearActivation => [ActivateInPlace(Functional.Linear(arguments[0]!, arguments[1]!, arguments[2]), node.Attribute<string>("activation"))],
                GraphOps.Conv2dActivation => [ActivateInPlace(Tensor.Conv2d(arguments[0]!, arguments[1]!, arguments[2], Pair(node, "stride"), Pair(node, "padding"),
                    Pair(node, "dilation"), node.Attribute<int>("groups")), node.Attribute<string>("activation"))],
                _ => GraphInterpreter.KernelOf(node)(node, arguments, batch),
            };
            for (int i = 0; i < results.Length; i++) values[node.OutputList[i]] = results[i];
        }
        return values[Graph.OutputList[0]];
    }

    /// <summary>
    /// activation(<paramref name="product"/>) written over the product's own buffer, as a new tensor whose backward is the
    /// activation's (from the output, eager's fused kernel) chained to the product's node. The product's backward reads only
    /// its inputs, so overwriting its values is safe.
    /// </summary>
    static Tensor ActivateInPlace(Tensor product, string activation)
    {
        if (!product.IsContiguous || product.DType is not (DType.Float32 or DType.Float64)) return GraphInterpreter.Activation(product, activation);
        FusedKernels.ApplyChain(product, product, [activation]);
        var result = Tensor.OfStrided(product.storage, product.shape, product.strides, product.offset);
        if (Node.ShouldRecord(product))
        {
            Node.Record(result, activation + "Backward0", [product], g => [activation switch
            {
                GraphOps.Relu => GradMode.IsEnabled ? g * result.Gt(0).To(g.DType) : Tensor.FusedGradient<ActivationGradients.Relu>(g, result),
                GraphOps.Sigmoid => GradMode.IsEnabled ? g * result * (1 - result) : Tensor.FusedGradient<ActivationGradients.Sigmoid>(g, result),
                _ => GradMode.IsEnabled ? g * (1 - result * result) : Tensor.FusedGradient<ActivationGradients.Tanh>(g, result),
            }], result);
        }
        return result;
    }

    static Pair2d Pair(GraphNode node, string name)
    {
        var pair = node.Attribute<int[]>(name);
        return new Pair2d(pair[0], pair[1]);
    }
}
