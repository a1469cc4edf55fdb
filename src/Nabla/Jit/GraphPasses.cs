namespace Nabla.Jit;

/// <summary>
/// Graph-to-graph rewrites, each usable on its own (they change the graph in place and return it):
/// dead-code and common-subexpression elimination, <see cref="Freeze"/> plus constant folding, batch-norm folding
/// into the preceding convolution or linear layer, fused bias + activation epilogues, and elementwise-chain fusion.
/// <see cref="OptimizeForInference"/> runs them all in order.
/// </summary>
public static class GraphPasses
{
    static readonly HashSet<string> FusibleUnary = [GraphOps.Relu, GraphOps.Sigmoid, GraphOps.Tanh, GraphOps.Neg, GraphOps.Exp];
    static readonly HashSet<string> EpilogueActivations = [GraphOps.Relu, GraphOps.Sigmoid, GraphOps.Tanh];

    /// <summary>Every pass, in order: Freeze, constant folding, batch-norm folding, CSE, epilogue and elementwise fusion, DCE.</summary>
    public static Graph OptimizeForInference(Graph graph)
    {
        Freeze(graph);
        FoldConstants(graph);
        FoldBatchNorms(graph);
        EliminateCommonSubexpressions(graph);
        FuseEpilogues(graph);
        FuseElementwise(graph);
        return EliminateDeadCode(graph);
    }

    /// <summary>Removes nodes whose outputs no output depends on, then parameters and constants no node reads.</summary>
    public static Graph EliminateDeadCode(Graph graph)
    {
        var live = new HashSet<GraphValue>(graph.OutputList, ReferenceEqualityComparer.Instance);
        var kept = new List<GraphNode>();
        for (int i = graph.NodeList.Count - 1; i >= 0; i--)
        {
            var node = graph.NodeList[i];
            if (!node.OutputList.Any(live.Contains)) continue;
            kept.Add(node);
            foreach (var input in node.InputList) if (input != null) live.Add(input);
        }
        kept.Reverse();
        graph.NodeList.Clear();
        graph.NodeList.AddRange(kept);
        graph.PruneUnusedData();
        return graph;
    }

    /// <summary>Merges nodes that compute the same op with the same attributes on the same inputs (Dropout, being random, is never merged).</summary>
    public static Graph EliminateCommonSubexpressions(Graph graph)
    {
        var seen = new Dictionary<string, GraphNode>();
        var ids = new Dictionary<GraphValue, int>(ReferenceEqualityComparer.Instance);
        int Id(GraphValue v) => ids.TryGetValue(v, out var id) ? id : ids[v] = ids.Count;
        foreach (var node in graph.NodeList.ToList())
        {
            if (node.Op == GraphOps.Dropout) continue;
            var key = node.Op + "|" + string.Join(",", node.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + GraphNode.FormatAttribute(a.Value)))
                + "|" + string.Join(",", node.InputList.Select(i => i is null ? "-" : Id(i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (seen.TryGetValue(key, out var earlier))
            {
                for (int i = 0; i < node.OutputList.Length; i++) graph.ReplaceUses(node.OutputList[i], earlier.OutputList[i]);
                graph.NodeList.Remove(node);
            }
            else seen[key] = node;
        }
        return graph;
    }

    /// <summary>
    /// Turns parameters and buffers into constants holding a copy of their current values (<c>torch.jit.freeze</c>): the graph
    /// no longer follows the module, and constant folding may compute through the weights.
    /// </summary>
    public static Graph Freeze(Graph graph)
    {
        foreach (var p in graph.ParameterList)
        {
            p.Kind = ValueKind.Constant;
            p.Data = p.Data!.Detach().Clone();
            graph.ConstantList.Add(p);
        }
        graph.ParameterList.Clear();
        return graph;
    }

    /// <summary>Computes once every node whose inputs are all constants (not Dropout, not sized by the batch) and makes its outputs constants.</summary>
    public static Graph FoldConstants(Graph graph)
    {
        foreach (var node in graph.NodeList.ToList())
        {
            if (node.Op is GraphOps.Dropout || node.OutputList.Any(o => o.HasBatchDim)) continue;
            if (!node.InputList.All(i => i is null || i.Kind == ValueKind.Constant)) continue;
            Tensor[] results;
            using (Autograd.NoGrad()) results = GraphInterpreter.KernelOf(node)(node, [.. node.InputList.Select(i => i?.Data)], 1);
            for (int i = 0; i < results.Length; i++)
            {
                var value = node.OutputList[i];
                value.Kind = ValueKind.Constant;
                value.Data = results[i].Contiguous();
                value.Producer = null;
                value.Name = "c" + value.Name;
                graph.ConstantList.Add(value);
            }
            graph.NodeList.Remove(node);
        }
        return graph;
    }

    /// <summary>
    /// Folds an inference BatchNorm into the Conv2d or Linear before it when the weights are constants (after <see cref="Freeze"/>)
    /// and the BatchNorm is that op's only reader: W' = W·s, b' = (b − μ)·s + β with s = γ/√(σ² + ε), per output channel.
    /// </summary>
    public static Graph FoldBatchNorms(Graph graph)
    {
        var uses = UseCounts(graph);
        foreach (var bn in graph.NodeList.ToList())
        {
            if (bn.Op != GraphOps.BatchNorm || bn.InputList[0]?.Producer is not { Op: GraphOps.Conv2d or GraphOps.Linear } producer) continue;
            var produced = producer.OutputList[0];
            if (uses.GetValueOrDefault(produced) != 1 || graph.OutputList.Contains(produced)) continue;
            bool constant = bn.InputList.Skip(1).All(v => v is null || v.Kind == ValueKind.Constant)
                && producer.InputList.Skip(1).All(v => v is null || v.Kind == ValueKind.Constant);
            if (!constant || bn.InputList[1] is null || bn.InputList[2] is null) continue;
            var weight = producer.InputList[1]!.Data!;
            Tensor foldedWeight, foldedBias;
            using (Autograd.NoGrad())
            {
                var mean = bn.InputList[1]!.Data!;
                var variance = bn.InputList[2]!.Data!;
                var gamma = bn.InputList[3]?.Data ?? Tensor.OnesLike(mean);
                var beta = bn.InputList[4]?.Data ?? Tensor.ZerosLike(mean);
                var scale = gamma / (variance + bn.Attribute<double>("eps")).Sqrt();
                int[] channelShape = [.. Enumerable.Repeat(1, weight.Rank)];
                channelShape[0] = weight.Size(0);
                foldedWeight = (weight * scale.Reshape(channelShape).To(weight.DType)).Contiguous();
                var bias = producer.InputList[2]?.Data ?? Tensor.ZerosLike(mean);
                foldedBias = ((bias - mean) * scale + beta).To(weight.DType).Contiguous();
            }
            producer.InputList[1] = graph.AddConstant(foldedWeight);
            var biasValue = graph.AddConstant(foldedBias);
            if (producer.InputList.Length > 2) producer.InputList[2] = biasValue;
            else producer.InputList = [.. producer.InputList, biasValue];
            graph.ReplaceUses(bn.OutputList[0], produced);
            produced.Shape = bn.OutputList[0].Shape;
            graph.NodeList.Remove(bn);
        }
        graph.PruneUnusedData();
        return graph;
    }

    /// <summary>Fuses Linear or Conv2d followed by ReLU, sigmoid or tanh (its only reader) into one node whose kernel applies the activation to the product in place.</summary>
    public static Graph FuseEpilogues(Graph graph)
    {
        var uses = UseCounts(graph);
        foreach (var act in graph.NodeList.ToList())
        {
            if (!EpilogueActivations.Contains(act.Op) || act.InputList[0]?.Producer is not { Op: GraphOps.Linear or GraphOps.Conv2d } producer) continue;
            var produced = producer.OutputList[0];
            if (uses.GetValueOrDefault(produced) != 1 || graph.OutputList.Contains(produced)) continue;
            var attributes = new Dictionary<string, object>(producer.Attributes) { ["activation"] = act.Op };
            producer.Op = producer.Op == GraphOps.Linear ? GraphOps.LinearActivation : GraphOps.Conv2dActivation;
            producer.Attributes = attributes;
            producer.OutputList[0] = act.OutputList[0];
            act.OutputList[0].Producer = producer;
            graph.NodeList.Remove(act);
        }
        return graph;
    }

    /// <summary>Fuses chains of two or more unary elementwise ops (ReLU, sigmoid, tanh, neg, exp), each the only reader of the last, into one <see cref="GraphOps.ElementwiseChain"/>.</summary>
    public static Graph FuseElementwise(Graph graph)
    {
        var uses = UseCounts(graph);
        foreach (var node in graph.NodeList.ToList())
        {
            if (!FusibleUnary.Contains(node.Op) || !graph.NodeList.Contains(node)) continue;
            // Start a chain only at its head: a node whose input is not itself a fusible single-use link.
            if (node.InputList[0]?.Producer is { } before && FusibleUnary.Contains(before.Op) && Fusible(graph, uses, before.OutputList[0])) continue;
            var chain = new List<GraphNode> { node };
            while (Fusible(graph, uses, chain[^1].OutputList[0]) && graph.Users(chain[^1].OutputList[0]).Single() is var next && FusibleUnary.Contains(next.Op))
                chain.Add(next);
            if (chain.Count < 2) continue;
            var fused = new GraphNode(GraphOps.ElementwiseChain, new Dictionary<string, object> { ["ops"] = string.Join(",", chain.Select(c => c.Op)) },
                [node.InputList[0]], [chain[^1].OutputList[0]], node.Scope);
            chain[^1].OutputList[0].Producer = fused;
            graph.NodeList[graph.NodeList.IndexOf(chain[^1])] = fused;
            foreach (var link in chain.Take(chain.Count - 1)) graph.NodeList.Remove(link);
        }
        return graph;
    }

    static bool Fusible(Graph graph, Dictionary<GraphValue, int> uses, GraphValue value) =>
        uses.GetValueOrDefault(value) == 1 && !graph.OutputList.Contains(value);

    static Dictionary<GraphValue, int> UseCounts(Graph graph)
    {
        var uses = new Dictionary<GraphValue, int>(ReferenceEqualityComparer.Instance);
        foreach (var node in graph.NodeList)
            foreach (var input in node.InputList)
                if (input != null) uses[input] = uses.GetValueOrDefault(input) + 1;
        return uses;
    }
}
