using Nabla.NN;

namespace Nabla.Jit;

/// <summary>Runs one <see cref="GraphNode"/> on its input tensors (null for absent optional inputs) at a batch size.</summary>
internal delegate Tensor[] NodeKernel(GraphNode node, Tensor?[] inputs, int batch);

/// <summary>
/// Runs a graph node by node through the public ops: the reference executor that <see cref="Jit.Trace(Module, Func{Tensor[], Tensor[]}, Tensor[], string[], int[])"/>
/// checks a trace with and that <see cref="CompiledModule"/> uses for every op.
/// </summary>
internal static class GraphInterpreter
{
    static readonly Dictionary<string, NodeKernel> Kernels = new()
    {
        [GraphOps.Linear] = (n, x, b) => [Functional.Linear(x[0]!, x[1]!, x[2])],
        [GraphOps.Conv2d] = (n, x, b) => [Conv2d(n, x)],
        [GraphOps.MaxPool2d] = (n, x, b) => [x[0]!.MaxPool2d(Pair(n, "kernel_size"), Pair(n, "stride"), Pair(n, "padding"), Pair(n, "dilation"), n.Attribute<bool>("ceil_mode"))],
        [GraphOps.AvgPool2d] = (n, x, b) => [x[0]!.AvgPool2d(Pair(n, "kernel_size"), Pair(n, "stride"), Pair(n, "padding"), n.Attribute<bool>("ceil_mode"),
            n.Attribute<bool>("count_include_pad"), n.Attribute<int>("divisor_override") is var d and > 0 ? d : null)],
        [GraphOps.AdaptiveAvgPool2d] = (n, x, b) => [x[0]!.AdaptiveAvgPool2d(Pair(n, "output_size"))],
        [GraphOps.AdaptiveMaxPool2d] = (n, x, b) => [x[0]!.AdaptiveMaxPool2d(Pair(n, "output_size"))],
        [GraphOps.ConvTranspose2d] = (n, x, b) => [Tensor.ConvTranspose2d(x[0]!, x[1]!, x[2], Pair(n, "stride"), Pair(n, "padding"), Pair(n, "output_padding"),
            n.Attribute<int>("groups"), Pair(n, "dilation"))],
        [GraphOps.Gather] = (n, x, b) => [x[0]!.Gather(n.Attribute<int>("dim"), x[1]!)],
        [GraphOps.IndexSelect] = (n, x, b) => [x[0]!.IndexSelect(n.Attribute<int>("dim"), x[1]!)],
        [GraphOps.Where] = (n, x, b) => [Tensor.Where(x[0]!, x[1]!, x[2]!)],
        [GraphOps.Eq] = (n, x, b) => [x[0]!.Eq(x[1]!)],
        [GraphOps.Ne] = (n, x, b) => [x[0]!.Ne(x[1]!)],
        [GraphOps.Gt] = (n, x, b) => [x[0]!.Gt(x[1]!)],
        [GraphOps.Ge] = (n, x, b) => [x[0]!.Ge(x[1]!)],
        [GraphOps.Lt] = (n, x, b) => [x[0]!.Lt(x[1]!)],
        [GraphOps.Le] = (n, x, b) => [x[0]!.Le(x[1]!)],
        [GraphOps.ArgMax] = (n, x, b) => [x[0]!.ArgMax(n.Attribute<int>("dim"), n.Attribute<bool>("keep_dim"))],
        [GraphOps.ArgMin] = (n, x, b) => [x[0]!.ArgMin(n.Attribute<int>("dim"), n.Attribute<bool>("keep_dim"))],
        [GraphOps.BatchNorm] = (n, x, b) => [Functional.BatchNorm(x[0]!, x[1], x[2], x[3], x[4], training: false, eps: n.Attribute<double>("eps"))],
        [GraphOps.LayerNorm] = (n, x, b) => [Functional.LayerNorm(x[0]!, n.Attribute<int[]>("normalized_shape"), x[1], x[2], n.Attribute<double>("eps"))],
        [GraphOps.Relu] = (n, x, b) => [x[0]!.Relu()],
        [GraphOps.Sigmoid] = (n, x, b) => [x[0]!.Sigmoid()],
        [GraphOps.Tanh] = (n, x, b) => [x[0]!.Tanh()],
        [GraphOps.Exp] = (n, x, b) => [x[0]!.Exp()],
        [GraphOps.Log] = (n, x, b) => [x[0]!.Log()],
        [GraphOps.Sqrt] = (n, x, b) => [x[0]!.Sqrt()],
        [GraphOps.Neg] = (n, x, b) => [x[0]!.Neg()],
        [GraphOps.Gelu] = (n, x, b) => [x[0]!.Gelu()],
        [GraphOps.LeakyRelu] = (n, x, b) => [x[0]!.LeakyRelu(n.Attribute<double>("negative_slope"))],
        [GraphOps.Add] = (n, x, b) => [x[0]!.Add(x[1]!)],
        [GraphOps.Sub] = (n, x, b) => [x[0]!.Sub(x[1]!)],
        [GraphOps.Mul] = (n, x, b) => [x[0]!.Mul(x[1]!)],
        [GraphOps.Div] = (n, x, b) => [x[0]!.Div(x[1]!)],
        [GraphOps.Pow] = (n, x, b) => [x[0]!.Pow(n.Attribute<double>("exponent"))],
        [GraphOps.MatMul] = (n, x, b) => [x[0]!.MatMul(x[1]!)],
        [GraphOps.Softmax] = (n, x, b) => [x[0]!.Softmax(n.Attribute<int>("dim"))],
        [GraphOps.LogSoftmax] = (n, x, b) => [x[0]!.LogSoftmax(n.Attribute<int>("dim"))],
        [GraphOps.Reshape] = (n, x, b) => [x[0]!.Reshape(Sizes(n, "shape", b))],
        [GraphOps.Permute] = (n, x, b) => [x[0]!.Permute(n.Attribute<int[]>("dims"))],
        [GraphOps.Expand] = (n, x, b) => [x[0]!.Expand(Sizes(n, "shape", b))],
        [GraphOps.Slice] = (n, x, b) => [x[0]!.Slice(n.Attribute<int>("dim"), n.Attribute<int>("start"), n.Attribute<int>("end"), n.Attribute<int>("step"))],
        [GraphOps.Select] = (n, x, b) => [x[0]!.Select(n.Attribute<int>("dim"), n.Attribute<int>("index"))],
        [GraphOps.Cat] = (n, x, b) => [Tensor.Cat([.. x.Select(t => t!)], n.Attribute<int>("dim"))],
        [GraphOps.Sum] = (n, x, b) => [x[0]!.Sum(n.Attribute<int[]>("dims"), n.Attribute<bool>("keep_dim"))],
        [GraphOps.Contiguous] = (n, x, b) => [x[0]!.Clone()],
        [GraphOps.Cast] = (n, x, b) => [x[0]!.To(Enum.Parse<DType>(n.Attribute<string>("dtype")))],
        [GraphOps.Dropout] = (n, x, b) => [Functional.Dropout(x[0]!, n.Attribute<double>("p"), training: true)],
        [GraphOps.Embedding] = (n, x, b) => [Functional.Embedding(x[0]!, x[1]!, n.Attributes.TryGetValue("padding_idx", out var padding) ? (int)padding : null)],
        [GraphOps.ScaledDotProductAttention] = (n, x, b) => [Functional.ScaledDotProductAttention(x[0]!, x[1]!, x[2]!, x[3], n.Attribute<double>("dropout_p"),
            n.Attribute<bool>("is_causal"), n.Attribute<double>("scale"))],
        [GraphOps.RecurrentLayer] = (n, x, b) => Recurrent(n, x),
        [GraphOps.Full] = (n, x, b) => [Tensor.Full(Sizes(n, "shape", b), n.Attribute<double>("value"), Enum.Parse<DType>(n.Attribute<string>("dtype")))],
        [GraphOps.LinearActivation] = (n, x, b) => [FusedKernels.LinearActivation(x[0]!, x[1]!, x[2], n.Attribute<string>("activation"))],
        [GraphOps.Conv2dActivation] = (n, x, b) => [FusedKernels.Activate(Conv2d(n, x), n.Attribute<string>("activation"))],
        [GraphOps.ElementwiseChain] = (n, x, b) => [FusedKernels.ElementwiseChain(x[0]!, n.Attribute<string>("ops"))],
    };

    /// <summary>The kernel of <paramref name="node"/>'s op, or an error naming the op.</summary>
    public static NodeKernel KernelOf(GraphNode node) => Kernels.TryGetValue(node.Op, out var kernel) ? kernel
        : throw new NotSupportedException($"Jit: no kernel runs op {node.Op}{(node.Scope.Length > 0 ? " (in " + node.Scope + ")" : "")}.");

    /// <summary>Runs <paramref name="graph"/> on <paramref name="inputs"/>; the batch size is read from the first input with a batch dimension.</summary>
    public static Tensor[] Run(Graph graph, Tensor[] inputs)
    {
        var values = new Dictionary<GraphValue, Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < graph.InputList.Count; i++) values[graph.InputList[i]] = inputs[i];
        foreach (var p in graph.ParameterList) values[p] = p.Data!;
        foreach (var c in graph.ConstantList) values[c] = c.Data!;
        int batch = BatchSize(graph, inputs);
        foreach (var node in graph.NodeList)
        {
            var args = node.InputList.Select(v => v is null ? null : values[v]).ToArray();
            var results = KernelOf(node)(node, args, batch);
            for (int i = 0; i < results.Length; i++) values[node.OutputList[i]] = results[i];
        }
        return [.. graph.OutputList.Select(o => values[o])];
    }

    /// <summary>The batch size of a call: the size at the symbolic dimension of the first input that has one (1 when none does).</summary>
    public static int BatchSize(Graph graph, ReadOnlySpan<Tensor> inputs)
    {
        for (int i = 0; i < graph.InputList.Count; i++)
        {
            int dim = Array.IndexOf(graph.InputList[i].Shape, Graph.Batch);
            if (dim >= 0 && dim < inputs[i].Rank) return inputs[i].Size(dim);
        }
        return 1;
    }

    internal static Tensor Activation(Tensor x, string activation) => activation switch
    {
        GraphOps.Relu => x.Relu(),
        GraphOps.Sigmoid => x.Sigmoid(),
        GraphOps.Tanh => x.Tanh(),
        GraphOps.Neg => x.Neg(),
        GraphOps.Exp => x.Exp(),
        _ => throw new NotSupportedException($"Jit: unknown fused activation {activation}."),
    };

    static Tensor Conv2d(GraphNode n, Tensor?[] x) =>
        Tensor.Conv2d(x[0]!, x[1]!, x[2], Pair(n, "stride"), Pair(n, "padding"), Pair(n, "dilation"), n.Attribute<int>("groups"));

    static Tensor[] Recurrent(GraphNode n, Tensor?[] x)
    {
        var (output, h, c) = Functional.RecurrentLayer(Enum.Parse<RecurrentMode>(n.Attribute<string>("mode")), x[0]!, x[1]!, x[2], x[3]!, x[4]!, x[5], x[6], n.Attribute<bool>("reverse"));
        return c is null ? [output, h] : [output, h, c];
    }

    static Pair2d Pair(GraphNode node, string name)
    {
        var pair = node.Attribute<int[]>(name);
        return new Pair2d(pair[0], pair[1]);
    }

    static int[] Sizes(GraphNode node, string name, int batch)
    {
        var sizes = (int[])node.Attribute<int[]>(name).Clone();
        for (int i = 0; i < sizes.Length; i++) if (sizes[i] == Graph.Batch) sizes[i] = batch;
        return sizes;
    }
}
