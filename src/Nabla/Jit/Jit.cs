using Nabla.NN;

namespace Nabla.Jit;

/// <summary>
/// Static graphs from dynamic code (<c>torch.jit.trace</c>): <see cref="Trace(Module{Tensor, Tensor}, Tensor)"/> runs a forward
/// once (twice, at batch sizes N and N + 1, to find the symbolic batch dimension) and records every op into a <see cref="Graph"/>;
/// <see cref="Compile(Module{Tensor, Tensor}, Tensor)"/> optimises that graph and returns a <see cref="CompiledModule"/> that runs it.
/// </summary>
public static class Jit
{
    /// <summary>
    /// Records <paramref name="module"/>'s forward on <paramref name="example"/> (batch dimension 0) into a graph whose input is
    /// <c>%input</c>, whose parameters and buffers are named by their state-dict keys, and whose batch dimension is symbolic.
    /// The module runs in its current mode (call <c>Eval()</c> first for inference). Dead code is removed.
    /// </summary>
    /// <exception cref="TracingException">The forward reads tensor values into C#, changes with the batch size beyond the batch
    /// dimension, or runs an op that tracing does not see (the traced graph does not reproduce the forward at another batch size).</exception>
    public static Graph Trace(Module<Tensor, Tensor> module, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(example);
        return Trace(module, inputs => [module.Call(inputs[0])], [example], ["input"], [0]);
    }

    /// <summary>Records a function of one tensor (batch dimension 0); tensors it reads besides its input become constants.</summary>
    public static Graph Trace(Func<Tensor, Tensor> function, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(example);
        return Trace(null, inputs => [function(inputs[0])], [example], ["input"], [0]);
    }

    /// <summary>
    /// The general form: records <paramref name="forward"/> over several inputs and outputs (a recurrent layer's input and state).
    /// <paramref name="module"/> (may be null) names the parameters and buffers and the scopes of nodes. <paramref name="batchDims"/>
    /// gives each input's batch dimension, or −1 for an input without one; null means dimension 0 of every input.
    /// </summary>
    public static Graph Trace(Module? module, Func<Tensor[], Tensor[]> forward, Tensor[] examples, string[]? inputNames = null, int[]? batchDims = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(examples);
        inputNames ??= [.. examples.Select((_, i) => examples.Length == 1 ? "input" : "input" + i)];
        batchDims ??= [.. examples.Select(e => e.Rank > 0 ? 0 : -1)];
        if (inputNames.Length != examples.Length || batchDims.Length != examples.Length)
            throw new ArgumentException($"Jit.Trace: {examples.Length} examples but {inputNames.Length} names and {batchDims.Length} batch dims.");
        var batched = Enumerable.Range(0, examples.Length).Where(i => batchDims[i] >= 0).ToArray();
        int batch = batched.Length == 0 ? 0 : examples[batched[0]].Size(batchDims[batched[0]]);
        foreach (int i in batched)
            if (examples[i].Size(batchDims[i]) != batch)
                throw new ShapeException($"Jit.Trace: inputs {inputNames[batched[0]]} {examples[batched[0]].Shape} and {inputNames[i]} {examples[i].Shape} disagree on the batch size.");

        var graph = Record(module, forward, examples, inputNames, out _);
        GraphPasses.EliminateDeadCode(graph);
        if (batched.Length == 0) return graph;
        // A second trace at batch N + 1: sizes that follow the batch become symbolic; anything else that differs is an error.
        Tensor[] grown;
        using (Autograd.NoGrad())
            grown = [.. examples.Select((e, i) => batchDims[i] < 0 ? e : Tensor.Cat([e, e.Narrow(batchDims[i], 0, 1)], batchDims[i]))];
        var second = Record(module, forward, grown, inputNames, out var expected);
        GraphPasses.EliminateDeadCode(second);
        GraphSymbolizer.Symbolize(graph, second, batch, batch + 1);
        Verify(graph, grown, expected);
        return graph;
    }

    /// <summary>Traces <paramref name="module"/> in evaluation mode and compiles it for inference with every pass (<see cref="CompiledModule"/>).</summary>
    public static CompiledModule Compile(this Module<Tensor, Tensor> module, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(module);
        bool training = module.Training;
        module.Eval();
        try
        {
            var graph = Trace(module, example);
            return new CompiledModule(GraphPasses.OptimizeForInference(graph));
        }
        finally
        {
            module.Train(training);
        }
    }

    /// <summary>
    /// Traces <paramref name="module"/> in training mode and compiles it for training (<see cref="CompiledTrainingModule"/>):
    /// parameters stay live, common subexpressions are merged, Linear/Conv2d + activation become fused regions.
    /// </summary>
    /// <exception cref="NotSupportedException">The forward has an op that is not compiled for training (batch norm in training mode), named with its module.</exception>
    public static CompiledTrainingModule CompileForTraining(this Module<Tensor, Tensor> module, Tensor example)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var (name, child) in module.NamedModules())
            if (child is BatchNorm)
                throw new NotSupportedException($"Jit.CompileForTraining: {child.GetType().Name} '{name}' normalises with batch statistics and updates its running averages in training mode, which the static graph does not run; train this model eagerly.");
        bool training = module.Training;
        module.Train();
        try
        {
            var graph = Trace(module, example);
            GraphPasses.EliminateCommonSubexpressions(graph);
            GraphPasses.FuseEpilogues(graph);
            GraphPasses.EliminateDeadCode(graph);
            return new CompiledTrainingModule(module, graph);
        }
        finally
        {
            module.Train(training);
        }
    }

    static Graph Record(Module? module, Func<Tensor[], Tensor[]> forward, Tensor[] examples, string[] names, out Tensor[] outputs)
    {
        var named = new Dictionary<Tensor, (string, ValueKind)>(ReferenceEqualityComparer.Instance);
        var handles = new List<RemovableHandle>();
        var graph = new Graph();
        if (module != null)
        {
            foreach (var (name, parameter) in module.NamedParameters()) named.TryAdd(parameter, (name, ValueKind.Parameter));
            foreach (var (name, buffer) in module.NamedBuffers()) named.TryAdd(buffer, (name, ValueKind.Buffer));
        }
        var session = Tracer.Begin(graph, named);
        try
        {
            if (module != null)
                foreach (var (name, child) in module.NamedModules())
                {
                    if (name.Length == 0) continue;
                    var scope = name;
                    handles.Add(child.RegisterForwardPreHook((_, _) => session.EnterScope(scope)));
                    handles.Add(child.RegisterForwardHook((_, _, _) => session.LeaveScope()));
                }
            for (int i = 0; i < examples.Length; i++) session.AddInput(names[i], examples[i]);
            using (Autograd.NoGrad()) outputs = forward(examples);
            foreach (var output in outputs) graph.OutputList.Add(session.ValueOf(output));
        }
        finally
        {
            Tracer.End();
            foreach (var handle in handles) handle.Remove();
        }
        return graph;
    }

    /// <summary>Runs the graph on the second trace's inputs: an op that tracing missed shows as a different result.</summary>
    static void Verify(Graph graph, Tensor[] inputs, Tensor[] expected)
    {
        Tensor[] actual;
        using (Autograd.NoGrad()) actual = GraphInterpreter.Run(graph, inputs);
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = actual[i].Shape == expected[i].Shape
                && (!expected[i].DType.IsFloatingPoint() ? actual[i].Eq(expected[i]).All().Item<bool>() : actual[i].AllClose(expected[i], 1e-4, 1e-5, equalNaN: true));
            if (!same)
                throw new TracingException(
                    $"Jit.Trace: the traced graph does not reproduce output {i} of the forward at batch size {inputs[0].Size(0)} (traced {actual[i].Shape}, eager {expected[i].Shape}). " +
                    "The forward runs an op that tracing does not record (an in-place write into a traced tensor, a tensor made from C# values of the input, or random numbers drawn outside Dropout).");
        }
    }
}
