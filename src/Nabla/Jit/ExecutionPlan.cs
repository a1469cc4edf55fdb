namespace Nabla.Jit;

/// <summary>
/// How a <see cref="CompiledModule"/> runs its graph at one batch size, planned once and reused by every call at that size:
/// each value the planned kernels write gets a buffer assigned by liveness (a buffer whose last reader has run is handed to
/// the next value of the same dtype that fits), reshapes of contiguous values are views made once, and every step holds its
/// operands, so a steady-state call allocates nothing (no tensor objects, arrays, closures or boxed values). Ops without a
/// planned kernel run through <see cref="GraphInterpreter"/>'s kernels as before (they allocate their results).
/// </summary>
internal sealed partial class ExecutionPlan
{
    readonly Slot[] inputs;
    readonly Slot[] outputs;
    readonly Step[] steps;

    /// <summary>One graph value during a call: its tensor (fixed for planned buffers and constants, set per call otherwise).</summary>
    internal sealed class Slot(GraphValue value)
    {
        public readonly GraphValue Value = value;
        public Tensor? Tensor;

        /// <summary>True when <see cref="Tensor"/> is set at plan time (a planned buffer, a view of one, or a constant).</summary>
        public bool Fixed;

        /// <summary>True when the tensor is the caller's input or a view of it, which the plan must never write.</summary>
        public bool FromInput;
    }

    /// <summary>One node's work in a call.</summary>
    internal abstract class Step
    {
        public abstract void Run();
    }

    public ExecutionPlan(Graph graph, int batch)
    {
        Batch = batch;
        var slots = new Dictionary<GraphValue, Slot>(ReferenceEqualityComparer.Instance);
        Slot SlotOf(GraphValue value) => slots.TryGetValue(value, out var slot) ? slot : slots[value] = new Slot(value);
        inputs = [.. graph.InputList.Select(v => { var s = SlotOf(v); s.FromInput = true; return s; })];
        foreach (var value in graph.ParameterList.Concat(graph.ConstantList))
        {
            var slot = SlotOf(value);
            slot.Tensor = value.Data;
            slot.Fixed = true;
        }

        var graphOutputs = new HashSet<GraphValue>(graph.OutputList, ReferenceEqualityComparer.Instance);
        var buffers = new BufferPlanner(graph, graphOutputs);
        var planned = new List<Step>();
        for (int i = 0; i < graph.NodeList.Count; i++)
        {
            var node = graph.NodeList[i];
            var nodeInputs = node.InputList.Select(v => v is null ? null : SlotOf(v)).ToArray();
            var nodeOutputs = node.OutputList.Select(SlotOf).ToArray();
            var step = PlanStep(node, nodeInputs, nodeOutputs, graphOutputs, buffers, i);
            if (step != null) planned.Add(step);
            buffers.Release(i);
        }
        steps = [.. planned];
        outputs = [.. graph.OutputList.Select(SlotOf)];
        BufferCount = buffers.Allocated;
    }

    /// <summary>The batch size this plan was made for.</summary>
    public int Batch { get; }

    /// <summary>Number of distinct buffers the plan allocated for intermediate values (for tests).</summary>
    public int BufferCount { get; private set; }

    /// <summary>Runs every step on <paramref name="arguments"/> (contiguous, checked by the caller); the results are in <see cref="Output"/>.</summary>
    public void Run(ReadOnlySpan<Tensor> arguments)
    {
        for (int i = 0; i < inputs.Length; i++) inputs[i].Tensor = arguments[i];
        foreach (var step in steps) step.Run();
    }

    /// <summary>Output <paramref name="index"/> of the last <see cref="Run"/> (a planned buffer is overwritten by the next call).</summary>
    public Tensor Output(int index) => Actual(outputs[index], Batch);

    /// <summary>Forgets the tensors of the call that ended (the caller's inputs, interpreted results): the plan keeps only its own buffers.</summary>
    public void EndCall()
    {
        foreach (var slot in inputs) slot.Tensor = null;
        foreach (var step in steps)
            switch (step)
            {
                case InterpretedStep interpreted: interpreted.Clear(); break;
                case AliasStep alias: alias.Clear(); break;
            }
    }

    /// <summary>
    /// Assigns buffers to the values that planned kernels write: a value's buffer is free again after the last step that
    /// reads it (or any view of it); graph outputs keep theirs. Buffers are reused by dtype, the smallest that fits.
    /// </summary>
    sealed class BufferPlanner
    {
        readonly Dictionary<GraphValue, int> lastUse = new(ReferenceEqualityComparer.Instance);
        readonly Dictionary<GraphValue, Storage> owned = new(ReferenceEqualityComparer.Instance);
        readonly List<(int Step, GraphValue Value)> pending = [];
        readonly List<Storage> free = [];
        readonly Dictionary<GraphValue, GraphValue> roots = new(ReferenceEqualityComparer.Instance);
        readonly HashSet<GraphValue> graphOutputs;

        public BufferPlanner(Graph graph, HashSet<GraphValue> graphOutputs)
        {
            this.graphOutputs = graphOutputs;
            for (int i = 0; i < graph.NodeList.Count; i++)
                foreach (var input in graph.NodeList[i].InputList)
                    if (input is { Kind: ValueKind.Intermediate }) lastUse[input] = i;
        }

        public int Allocated { get; private set; }

        /// <summary>A contiguous tensor of <paramref name="shape"/> over a planned buffer for <paramref name="value"/>.</summary>
        public Tensor Allocate(GraphValue value, int[] shape, int step)
        {
            int length = Math.Max(1, Shape.CheckedNumel(shape, "CompiledModule"));
            Storage? chosen = null;
            foreach (var storage in free)
                if (storage.DType == value.DType && storage.Length >= length && (chosen is null || storage.Length < chosen.Length)) chosen = storage;
            if (chosen != null) free.Remove(chosen);
            else
            {
                chosen = Storage.Allocate(value.DType, length);
                chosen.Pinned = true; // the plan owns it: nothing may recycle it
                Allocated++;
            }
            owned[value] = chosen;
            if (!graphOutputs.Contains(value)) pending.Add((lastUse.GetValueOrDefault(value, step), value));
            return Tensor.OfStorage(chosen, shape);
        }

        /// <summary><paramref name="view"/> may share <paramref name="source"/>'s buffer (a view of it): the buffer lives until both are dead.</summary>
        public void Share(GraphValue source, GraphValue view)
        {
            source = roots.GetValueOrDefault(source, source);
            if (!owned.ContainsKey(source)) return;
            roots[view] = source;
            int index = pending.FindIndex(p => ReferenceEquals(p.Value, source));
            if (graphOutputs.Contains(view))
            {
                if (index >= 0) pending.RemoveAt(index); // the output's buffer is never reused
                return;
            }
            if (index < 0) return;
            int last = Math.Max(pending[index].Step, lastUse.GetValueOrDefault(view, pending[index].Step));
            pending[index] = (last, source);
        }

        /// <summary>Frees the buffers whose last reader is step <paramref name="step"/>.</summary>
        public void Release(int step)
        {
            for (int i = pending.Count - 1; i >= 0; i--)
            {
                if (pending[i].Step > step) continue;
                free.Add(owned[pending[i].Value]);
                pending.RemoveAt(i);
            }
        }
    }
}
