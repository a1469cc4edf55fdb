namespace Nabla.Jit;

/// <summary>
/// An optimised static graph ready to run (<c>torch.jit.freeze</c> + <c>optimize_for_inference</c>): made by
/// <see cref="Jit.Compile(NN.Module{Tensor, Tensor}, Tensor)"/> or <c>module.Compile(example)</c>. A call checks its input
/// against the graph's input (rank and every size but the batch), then runs the nodes in order without autograd, through an
/// execution plan made once per batch size (buffers assigned by liveness and reused across nodes and calls). The weights are
/// a frozen copy: retrain the module, then compile again.
/// <para>Two ways to call it, as OnnxRuntime offers: <see cref="Call(Tensor)"/> returns tensors the caller owns (a copy of the
/// planned outputs), and <see cref="Run(Tensor, Tensor)"/> writes into tensors the caller allocated once, so that a
/// steady-state call allocates no managed memory at all (for the ops with planned kernels: linear, convolution, pooling,
/// reshapes and unary elementwise chains over float tensors; other ops still allocate their results).</para>
/// Shape: the traced module's, with any batch size.
/// </summary>
public sealed class CompiledModule
{
    /// <summary>Plans kept at once (one per batch size seen; the oldest is dropped beyond this).</summary>
    const int MaxPlans = 4;

    readonly List<ExecutionPlan> plans = [];

    /// <summary>Checks that <paramref name="graph"/> can run (every op has a kernel); plans are made at the first call of each batch size.</summary>
    public CompiledModule(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Graph = graph;
        foreach (var node in graph.NodeList) GraphInterpreter.KernelOf(node);
    }

    /// <summary>The optimised graph this module runs.</summary>
    public Graph Graph { get; }

    /// <summary>Runs the graph on one input and returns its first output (a new tensor the caller owns).</summary>
    /// <exception cref="ShapeException">The input's rank, dtype or a non-batch size differs from the traced graph's input.</exception>
    public Tensor Call(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckArity(1);
        lock (plans)
        {
            var plan = Execute(new ReadOnlySpan<Tensor>(ref input));
            var result = Owned(plan.Output(0));
            plan.EndCall();
            return result;
        }
    }

    /// <summary>Runs the graph on its inputs (in the order of <see cref="Graph.Inputs"/>) and returns all its outputs (new tensors the caller owns).</summary>
    public Tensor[] Call(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckArity(inputs.Length);
        lock (plans)
        {
            var plan = Execute(inputs);
            var outputs = new Tensor[Graph.OutputList.Count];
            for (int i = 0; i < outputs.Length; i++) outputs[i] = Owned(plan.Output(i));
            plan.EndCall();
            return outputs;
        }
    }

    /// <summary>
    /// Runs the graph on <paramref name="input"/> and writes its first output into <paramref name="output"/>, which the caller
    /// allocated with the output's shape at this batch size and its dtype (OnnxRuntime's bound outputs). In the steady state
    /// (second and later calls at a batch size) this allocates no managed memory.
    /// </summary>
    /// <exception cref="ShapeException">The input does not fit the graph's input, or <paramref name="output"/> has another shape or dtype than the output.</exception>
    public void Run(Tensor input, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        Run(new ReadOnlySpan<Tensor>(ref input), new ReadOnlySpan<Tensor>(ref output));
    }

    /// <summary>Runs the graph on <paramref name="inputs"/> and writes its outputs into <paramref name="outputs"/> (see <see cref="Run(Tensor, Tensor)"/>).</summary>
    public void Run(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor> outputs)
    {
        CheckArity(inputs.Length);
        if (outputs.Length != Graph.OutputList.Count)
            throw new ArgumentException($"CompiledModule.Run: the graph has {Graph.OutputList.Count} outputs, got {outputs.Length} output tensors.");
        for (int i = 0; i < inputs.Length; i++) CheckInput(Graph.InputList[i], inputs[i]);
        int batch = GraphInterpreter.BatchSize(Graph, inputs);
        for (int i = 0; i < outputs.Length; i++)
        {
            var expected = Graph.OutputList[i];
            if (!Fits(expected, outputs[i], batch))
                throw new ShapeException($"CompiledModule.Run: output {i} (%{expected.Name}) is {expected.DType}{Shape.Format(expected.ConcreteShape(batch))} at batch {batch}, got a tensor {outputs[i].DType}{outputs[i].Shape}.");
        }
        lock (plans)
        {
            var plan = Execute(inputs);
            for (int i = 0; i < outputs.Length; i++) CopyInto(plan.Output(i), outputs[i]);
            plan.EndCall();
        }
    }

    /// <summary>Checks the inputs, finds (or makes) the plan of their batch size and runs it; the outputs stay in the plan until <see cref="ExecutionPlan.EndCall"/>.</summary>
    ExecutionPlan Execute(ReadOnlySpan<Tensor> inputs)
    {
        for (int i = 0; i < inputs.Length; i++) CheckInput(Graph.InputList[i], inputs[i]);
        int batch = GraphInterpreter.BatchSize(Graph, inputs);
        ExecutionPlan? plan = null;
        foreach (var candidate in plans) if (candidate.Batch == batch) plan = candidate;
        if (plan is null)
        {
            if (plans.Count == MaxPlans) plans.RemoveAt(0);
            plans.Add(plan = new ExecutionPlan(Graph, batch));
        }
        bool contiguous = true;
        foreach (var input in inputs) contiguous &= input.IsContiguous;
        if (contiguous) plan.Run(inputs);
        else
        {
            // Planned kernels read inputs as flat buffers: a strided input is copied first (this allocates).
            var copies = new Tensor[inputs.Length];
            for (int i = 0; i < copies.Length; i++) copies[i] = inputs[i].Contiguous();
            plan.Run(copies);
        }
        return plan;
    }

    /// <summary>The plan that ran at <paramref name="batch"/>, if any (for tests of the memory plan).</summary>
    internal int? PlannedBuffers(int batch) => plans.Find(p => p.Batch == batch)?.BufferCount;

    /// <summary>A tensor the caller owns: planned buffers are overwritten by the next call, so they are copied out.</summary>
    static Tensor Owned(Tensor result) => result.storage.Pinned ? result.Clone() : result;

    /// <summary>destination = source (same shape), by a span copy when both are contiguous and of one dtype (no allocation).</summary>
    static void CopyInto(Tensor source, Tensor destination)
    {
        if (source.IsContiguous && destination.IsContiguous && source.DType == destination.DType)
        {
            switch (source.DType)
            {
                case DType.Float32: source.HostSpan<float>().CopyTo(destination.HostSpan<float>()); return;
                case DType.Float64: source.HostSpan<double>().CopyTo(destination.HostSpan<double>()); return;
                case DType.Int64: source.HostSpan<long>().CopyTo(destination.HostSpan<long>()); return;
            }
        }
        using (Autograd.NoGrad()) destination.Copy_(source);
    }

    void CheckArity(int count)
    {
        if (count != Graph.InputList.Count)
            throw new ArgumentException($"CompiledModule: the graph takes {Graph.InputList.Count} inputs, got {count}.");
    }

    static bool Fits(GraphValue expected, Tensor tensor, int batch)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType != expected.DType || tensor.Rank != expected.Shape.Length) return false;
        for (int d = 0; d < tensor.Rank; d++)
            if (tensor.Size(d) != (expected.Shape[d] == Graph.Batch ? batch : expected.Shape[d])) return false;
        return true;
    }

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
