namespace Nabla.Jit;

/// <summary>
/// Finds the symbolic batch dimension by comparing two traces of the same forward at batch sizes b₁ and b₂: a size or
/// shape attribute that is b₁ in the first and b₂ in the second becomes <see cref="Graph.Batch"/>. Any other difference
/// (another op, another wiring, another size) means the forward is not one static graph, and the error names the op.
/// </summary>
internal static class GraphSymbolizer
{
    public static void Symbolize(Graph first, Graph second, int b1, int b2)
    {
        var map = new Dictionary<GraphValue, GraphValue>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < first.InputList.Count; i++)
        {
            map[first.InputList[i]] = second.InputList[i];
            first.InputList[i].Shape = Merge(first.InputList[i].Shape, second.InputList[i].Shape, b1, b2, () => $"input %{first.InputList[i].Name}");
        }
        var parameters = second.ParameterList.ToDictionary(p => p.Name);
        foreach (var p in first.ParameterList)
            map[p] = parameters.TryGetValue(p.Name, out var q) ? q : throw Differs($"parameter {p.Name} is read at batch {b1} but not at batch {b2}");
        if (first.ConstantList.Count != second.ConstantList.Count)
            throw Differs($"the forward makes {first.ConstantList.Count} constant tensors at batch {b1} and {second.ConstantList.Count} at batch {b2}");
        var fills = new List<GraphNode>();
        for (int i = 0; i < first.ConstantList.Count; i++)
        {
            var (c1, c2) = (first.ConstantList[i], second.ConstantList[i]);
            map[c1] = c2;
            if (c1.Shape.AsSpan().SequenceEqual(c2.Shape) && c1.DType == c2.DType)
            {
                if (!SameValues(c1.Data!, c2.Data!))
                    throw Differs($"a constant of shape {c1.Data!.Shape} read by {Readers(first, c1)} has other values at batch {b2}: it was computed from the input by an op that tracing does not record");
                continue;
            }
            // A constant sized by the batch (a zero initial state): it becomes a Full node if it holds one value.
            var shape = Merge(c1.Shape, c2.Shape, b1, b2, () => $"a constant read by {Readers(first, c1)}");
            if (OneValue(c1.Data!) is not double fill || OneValue(c2.Data!) != fill)
                throw Differs($"a constant of shape {c1.Data!.Shape} read by {Readers(first, c1)} follows the batch size: it was computed from the input by an op that tracing does not record");
            c1.Kind = ValueKind.Intermediate;
            c1.Data = null;
            c1.Shape = shape;
            var node = new GraphNode(GraphOps.Full, new Dictionary<string, object> { ["shape"] = shape.ToArray(), ["value"] = fill, ["dtype"] = c1.DType.ToString() }, [], [c1], "");
            c1.Producer = node;
            fills.Add(node);
        }
        first.ConstantList.RemoveAll(c => c.Kind == ValueKind.Intermediate);

        if (first.NodeList.Count != second.NodeList.Count)
            throw Differs($"the forward runs {first.NodeList.Count} ops at batch {b1} and {second.NodeList.Count} at batch {b2} (control flow that depends on the batch size or on tensor values)");
        for (int n = 0; n < first.NodeList.Count; n++)
        {
            var (x, y) = (first.NodeList[n], second.NodeList[n]);
            string where = $"{x.Op}{(x.Scope.Length > 0 ? " in " + x.Scope : "")} (op {n + 1})";
            if (x.Op != y.Op) throw Differs($"op {n + 1} is {x.Op} at batch {b1} and {y.Op} at batch {b2}");
            if (x.InputList.Length != y.InputList.Length || x.OutputList.Length != y.OutputList.Length)
                throw Differs($"{where} has other inputs or outputs at batch {b2}");
            for (int i = 0; i < x.InputList.Length; i++)
            {
                var (u, v) = (x.InputList[i], y.InputList[i]);
                if (u is null != v is null || u != null && !ReferenceEquals(map.GetValueOrDefault(u), v))
                    throw Differs($"input {i} of {where} comes from another value at batch {b2}");
            }
            for (int i = 0; i < x.OutputList.Length; i++)
            {
                map[x.OutputList[i]] = y.OutputList[i];
                x.OutputList[i].Shape = Merge(x.OutputList[i].Shape, y.OutputList[i].Shape, b1, b2, () => $"the output of {where}");
            }
            var attributes = new Dictionary<string, object>(x.Attributes);
            foreach (var (key, value) in x.Attributes)
            {
                if (!y.Attributes.TryGetValue(key, out var other)) throw Differs($"{where} has no attribute {key} at batch {b2}");
                if (value is int[] ints && other is int[] otherInts)
                    attributes[key] = Merge(ints, otherInts, b1, b2, () => $"attribute {key} of {where}");
                else if (!Equals(value, other))
                    throw Differs($"attribute {key} of {where} is {GraphNode.FormatAttribute(value)} at batch {b1} and {GraphNode.FormatAttribute(other)} at batch {b2}");
            }
            x.Attributes = attributes;
        }
        for (int i = 0; i < first.OutputList.Count; i++)
            if (!ReferenceEquals(map.GetValueOrDefault(first.OutputList[i]), second.OutputList[i]))
                throw Differs($"output {i} comes from another value at batch {b2}");
        first.NodeList.InsertRange(0, fills);
    }

    static int[] Merge(int[] a, int[] b, int b1, int b2, Func<string> what)
    {
        if (a.Length != b.Length)
            throw Differs($"{what()} has shape {Shape.Format(a)} at batch {b1} and {Shape.Format(b)} at batch {b2}");
        var merged = (int[])a.Clone();
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i]) continue;
            if (a[i] == b1 && b[i] == b2) merged[i] = Graph.Batch;
            else throw Differs($"{what()} has shape {Shape.Format(a)} at batch {b1} and {Shape.Format(b)} at batch {b2}: a size that is computed from the batch size (only the batch dimension itself can be symbolic)");
        }
        return merged;
    }

    static string Readers(Graph graph, GraphValue value)
    {
        var users = graph.Users(value).Select(n => n.Op + (n.Scope.Length > 0 ? " in " + n.Scope : "")).Distinct().ToList();
        return users.Count == 0 ? "the output" : string.Join(", ", users);
    }

    static bool SameValues(Tensor a, Tensor b) => a.DType.IsFloatingPoint() ? a.AllClose(b, 0, 0, equalNaN: true) : a.Eq(b).All().Item<bool>();

    static double? OneValue(Tensor t)
    {
        var values = t.ToArray<double>();
        if (values.Length == 0) return 0;
        foreach (var v in values) if (!v.Equals(values[0])) return null;
        return values[0];
    }

    static TracingException Differs(string what) =>
        new($"Jit.Trace: the forward is not one static graph: {what}. Traces at two batch sizes must run the same ops on the same sizes, apart from the batch dimension.");
}
