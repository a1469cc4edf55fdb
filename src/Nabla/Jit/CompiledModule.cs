namespace Nabla.Jit;

/// <summary>
/// An optimised static graph ready to run (<c>torch.jit.freeze</c> + <c>optimize_for_inference</c>): made by
/// <see cref="Jit.Compile(NN.Module{Tensor, Tensor}, Tensor)"/> or <c>module.Compile(example)</c>. A call checks its input
/// against the graph's input (rank and every size but the batch), then runs the nodes in order through a slot table
/// planned once, without autograd. The weights are a frozen copy: retrain the module, then compile again.
/// Shape: the traced module's, with any batch size.
/// </summary>
public sealed class CompiledModule
{
    readonly Step[] steps;
    readonly Tensor?[] slots;
    readonly int[] inputSlots;
    readonly int[] outputSlots;
    readonly int[] released;

    readonly record struct Step(GraphNode Node, NodeKernel Kernel, int[] Inputs, int[] Outputs, int[] Release);

    /// <summary>Plans the execution of <paramref name="graph"/>: one slot per value, constants filled once.</summary>
    public CompiledModule(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Graph = graph;
        var index = new Dictionary<GraphValue, int>(ReferenceEqualityComparer.Instance);
        int Slot(GraphValue value) => index.TryGetValue(value, out var slot) ? slot : index[value] = index.Count;
        inputSlots = [.. graph.InputList.Select(Slot)];
        foreach (var value in graph.ParameterList.Concat(graph.ConstantList)) Slot(value);
        // Liveness: after the step that reads an intermediate last, its slot is cleared and its buffer goes back to the pool
        // (when no live value shares it), so the next node, or the next call, reuses it. Inputs stay in their slots to the
        // end of the call: views of them must never hand the caller's buffer to the pool.
        var lastUse = new Dictionary<GraphValue, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < graph.NodeList.Count; i++)
            foreach (var input in graph.NodeList[i].InputList)
                if (input is { Kind: ValueKind.Intermediate }) lastUse[input] = i;
        var outputs = new HashSet<GraphValue>(graph.OutputList, ReferenceEqualityComparer.Instance);
        steps = new Step[graph.NodeList.Count];
        for (int i = 0; i < steps.Length; i++)
        {
            var node = graph.NodeList[i];
            var release = node.InputList.Where(v => v != null && lastUse.TryGetValue(v, out int last) && last == i && !outputs.Contains(v)).Select(v => Slot(v!)).Distinct().ToArray();
            steps[i] = new Step(node, GraphInterpreter.KernelOf(node), [.. node.InputList.Select(v => v is null ? -1 : Slot(v))], [.. node.OutputList.Select(Slot)], release);
        }
        outputSlots = [.. graph.OutputList.Select(Slot)];
        slots = new Tensor?[index.Count];
        foreach (var value in graph.ParameterList.Concat(graph.ConstantList)) slots[index[value]] = value.Data;
        released = [.. inputSlots];
    }

    /// <summary>The optimised graph this module runs.</summary>
    public Graph Graph { get; }

    /// <summary>Runs the graph on one input and returns its first output.</summary>
    /// <exception cref="ShapeException">The input's rank, dtype or a non-batch size differs from the traced graph's input.</exception>
    public Tensor Call(Tensor input) => Call([input])[0];

    /// <summary>Runs the graph on its inputs (in the order of <see cref="Graph.Inputs"/>) and returns all its outputs.</summary>
    public Tensor[] Call(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != inputSlots.Length)
            throw new ArgumentException($"CompiledModule: the graph takes {inputSlots.Length} inputs, got {inputs.Length}.");
        for (int i = 0; i < inputs.Length; i++) CheckInput(Graph.InputList[i], inputs[i]);
        int batch = GraphInterpreter.BatchSize(Graph, inputs);
        lock (steps)
        {
            for (int i = 0; i < inputs.Length; i++) slots[inputSlots[i]] = inputs[i];
            using (Autograd.NoGrad())
            {
                var arguments = new Tensor?[8];
                foreach (var step in steps)
                {
                    if (arguments.Length != step.Inputs.Length) arguments = new Tensor?[step.Inputs.Length];
                    for (int j = 0; j < step.Inputs.Length; j++) arguments[j] = step.Inputs[j] < 0 ? null : slots[step.Inputs[j]];
                    var results = step.Kernel(step.Node, arguments, batch);
                    for (int j = 0; j < results.Length; j++) slots[step.Outputs[j]] = results[j];
                    foreach (int slot in step.Release) Release(slot);
                }
            }
            var outputs = new Tensor[outputSlots.Length];
            for (int i = 0; i < outputs.Length; i++) outputs[i] = slots[outputSlots[i]]!;
            foreach (int slot in released) slots[slot] = null;
            foreach (int slot in outputSlots) if (Graph.OutputList.Count > 0 && !IsData(slot)) slots[slot] = null;
            return outputs;
        }
    }

    /// <summary>Clears a dead value's slot and recycles its buffer unless a live value (a view, an input, a constant) shares it.</summary>
    void Release(int slot)
    {
        var tensor = slots[slot];
        slots[slot] = null;
        if (tensor is null) return;
        foreach (var other in slots)
            if (other != null && ReferenceEquals(other.storage, tensor.storage)) return;
        tensor.storage.Recycle();
    }

    bool IsData(int slot) => slot >= inputSlots.Length && slot < inputSlots.Length + Graph.ParameterList.Count + Graph.ConstantList.Count;

    static void CheckInput(GraphValue expected, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        bool fits = input.Rank == expected.Shape.Length && input.DType == expected.DType;
        for (int d = 0; fits && d < input.Rank; d++) fits = expected.Shape[d] == Graph.Batch || expected.Shape[d] == input.Size(d);
        if (!fits)
            throw new ShapeException($"CompiledModule: input %{expected.Name} expects {expected.TypeString()} (N: any batch size), got {input.DType}{input.Shape}.");
    }

    /// <summary>This compiled graph as a <see cref="NN.Module{TInput, TOutput}"/> of one input and one output (for loops written for modules).</summary>
    public NN.Module<Tensor, Tensor> AsModule() => new CompiledForward(this);

    /// <summary>The graph dump of the compiled graph.</summary>
    public override string ToString() => Graph.ToString();
}
