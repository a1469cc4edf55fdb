using Nabla.NN;

namespace Nabla.Jit;

/// <summary>
/// The hook through which ops reach a trace in progress. Each public op calls <see cref="Record(string, Tensor, ReadOnlySpan{Tensor?})"/>
/// once, next to where it makes its result; outside a trace that is one thread-static read. Composite ops record
/// themselves after their parts: the parts' nodes then feed nothing and dead-code elimination drops them, so a graph
/// keeps the highest-level op that names the computation (<c>Linear</c> rather than <c>Reshape</c>, <c>Addmm</c>).
/// </summary>
internal static class Tracer
{
    [ThreadStatic] static TraceSession? current;

    /// <summary>True while a trace runs on this thread.</summary>
    public static bool IsActive => current != null;

    internal static TraceSession? Current => current;

    internal static TraceSession Begin(Graph graph, IReadOnlyDictionary<Tensor, (string Name, ValueKind Kind)> named)
    {
        if (current != null) throw new TracingException("Jit.Trace: a trace is already running on this thread (tracing inside a traced forward is not supported).");
        return current = new TraceSession(graph, named);
    }

    internal static void End() => current = null;

    /// <summary>Runs <paramref name="action"/> with tracing paused (copies the tracer makes itself are not part of the graph).</summary>
    internal static T Untraced<T>(Func<T> action)
    {
        var saved = current;
        current = null;
        try
        {
            return action();
        }
        finally
        {
            current = saved;
        }
    }

    /// <summary>Records op <paramref name="op"/> reading <paramref name="inputs"/> (null for an absent optional input) and writing <paramref name="result"/>.</summary>
    public static void Record(string op, Tensor result, params ReadOnlySpan<Tensor?> inputs)
    {
        if (current is { } session) session.Record(op, [result], inputs, Empty);
    }

    /// <summary>Records op <paramref name="op"/> with attributes (build the dictionary only under <c>if (Tracer.IsActive)</c>).</summary>
    public static void Record(string op, Tensor result, ReadOnlySpan<Tensor?> inputs, Dictionary<string, object> attributes)
    {
        if (current is { } session) session.Record(op, [result], inputs, attributes);
    }

    /// <summary>Records an op with several outputs.</summary>
    public static void Record(string op, Tensor[] results, ReadOnlySpan<Tensor?> inputs, Dictionary<string, object> attributes)
    {
        if (current is { } session) session.Record(op, results, inputs, attributes);
    }

    /// <summary>An in-place op wrote <paramref name="computed"/> into <paramref name="target"/>: the target now holds that value.</summary>
    public static void Alias(Tensor target, Tensor computed) => current?.Alias(target, computed);

    /// <summary>The forward reads the values of <paramref name="tensor"/> into C# (<c>Item</c>, <c>ToArray</c>): an error if it is traced.</summary>
    public static void OnRead(Tensor tensor, string op) => current?.OnRead(tensor, op);

    internal static readonly Dictionary<string, object> Empty = [];
}

/// <summary>The state of one trace: the graph being built and which tensor holds which graph value.</summary>
internal sealed class TraceSession(Graph graph, IReadOnlyDictionary<Tensor, (string Name, ValueKind Kind)> named)
{
    readonly Dictionary<Tensor, GraphValue> values = new(ReferenceEqualityComparer.Instance);
    readonly List<string> scopes = [];

    public Graph Graph => graph;

    public string Scope => scopes.Count == 0 ? "" : scopes[^1];

    public void EnterScope(string name) => scopes.Add(name);

    public void LeaveScope() { if (scopes.Count > 0) scopes.RemoveAt(scopes.Count - 1); }

    public GraphValue AddInput(string name, Tensor tensor)
    {
        var value = graph.AddInput(name, tensor.Shape.ToArray(), tensor.DType);
        values[tensor] = value;
        return value;
    }

    public GraphValue ValueOf(Tensor tensor)
    {
        if (values.TryGetValue(tensor, out var value)) return value;
        if (named.TryGetValue(tensor, out var entry)) value = graph.AddParameter(entry.Name, tensor, entry.Kind);
        else value = graph.AddConstant(Tracer.Untraced(() => tensor.Detach().Clone()));
        values[tensor] = value;
        return value;
    }

    public bool IsTraced(Tensor tensor) => values.TryGetValue(tensor, out var value) && value.Kind is ValueKind.Input or ValueKind.Intermediate;

    public void Record(string op, Tensor[] results, ReadOnlySpan<Tensor?> inputs, Dictionary<string, object> attributes)
    {
        var inputValues = new GraphValue?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) inputValues[i] = inputs[i] is { } t ? ValueOf(t) : null;
        var outputs = new GraphValue[results.Length];
        for (int i = 0; i < results.Length; i++)
        {
            outputs[i] = graph.NewValue(results[i].Shape.ToArray(), results[i].DType);
            values[results[i]] = outputs[i];
        }
        graph.AddNode(op, attributes.Count == 0 ? Tracer.Empty : attributes, inputValues, outputs, Scope);
    }

    public void Alias(Tensor target, Tensor computed)
    {
        if (values.TryGetValue(computed, out var value)) values[target] = value;
    }

    public void OnRead(Tensor tensor, string op)
    {
        if (!IsTraced(tensor)) return;
        var value = values[tensor];
        var source = value.Producer is { } producer ? $"the output of {producer.Op}{(producer.Scope.Length > 0 ? " in " + producer.Scope : "")}" : $"the input %{value.Name}";
        throw new TracingException(
            $"{op}: the forward reads the value of a traced tensor ({source}, shape {tensor.Shape}) into C#. " +
            "Control flow or sizes that depend on tensor values cannot be recorded in a static graph; keep the computation in tensor ops (Where, masks) or run this part eagerly.");
    }

    /// <summary>Scope names for a module tree: each module's state-dict prefix.</summary>
    public static Dictionary<Module, string> ScopeNames(Module root)
    {
        var names = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, module) in root.NamedModules()) names.TryAdd(module, name);
        return names;
    }
}
