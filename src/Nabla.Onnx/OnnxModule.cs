using Nabla.NN;
using Nabla.Onnx.Protobuf;

namespace Nabla.Onnx;

/// <summary>
/// An ONNX model imported by <see cref="Onnx.Load(string)"/>, run node by node with Nabla's tensor ops: it is
/// differentiable (an imported model can be fine-tuned), and its floating-point initializers are its parameters,
/// named as in the model (<c>layer1.0.conv1.weight</c>); integer initializers and batch-norm running statistics are
/// buffers. Every operator was checked at load time; an error while running names the node.
/// Shape: whatever the model declares for its inputs and outputs (<see cref="InputNames"/>, <see cref="OutputNames"/>).
/// </summary>
public sealed class OnnxModule : Module<Tensor, Tensor>
{
    readonly OnnxNode[] nodes;
    readonly OnnxOperators.Operator[] operators;
    readonly ValueInfoProto[] inputs;
    readonly string[] outputs;
    readonly Dictionary<string, string> stateKeys = [];
    // For each node, the values whose last reader it is: freed once it has run, so a call holds only live activations.
    readonly string[][] deadAfter;

    internal OnnxModule(ModelProto model, string source)
    {
        Source = source;
        var graph = model.Graph;
        long opset = DefaultOpset(model, source);
        Opset = opset;
        var initializerNames = new HashSet<string>(graph.Initializer.Select(i => i.Name));
        inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).ToArray();
        outputs = graph.Output.Select(o => o.Name).ToArray();
        foreach (var value in inputs.Concat(graph.Output))
            if (value.Type?.TensorType is { } t && t.ElemType == (int)TensorProto.Types.DataType.Bfloat16)
                throw new InvalidDataException($"Onnx.Load: graph {(inputs.Contains(value) ? "input" : "output")} '{value.Name}' of '{source}' is bfloat16, which Nabla has no dtype for (bfloat16 initializers are widened to float32, graph inputs and outputs are not).");
        if (graph.SparseInitializer.Count > 0) throw new InvalidDataException($"Onnx.Load: '{source}' has sparse initializers, which Nabla does not read.");

        var runningStatistics = new HashSet<string>();
        foreach (var node in graph.Node)
            if (node.OpType == "BatchNormalization")
                foreach (int i in new[] { 3, 4 })
                    if (i < node.Input.Count) runningStatistics.Add(node.Input[i]);
        foreach (var initializer in graph.Initializer)
        {
            var tensor = OnnxTensor.ToTensor(initializer, $"initializer");
            bool learned = tensor.DType.IsFloatingPoint() && !runningStatistics.Contains(initializer.Name);
            stateKeys[initializer.Name] = Register(initializer.Name, tensor, learned);
        }

        var defined = new HashSet<string>(initializerNames);
        foreach (var input in inputs) defined.Add(input.Name);
        var lastUse = new Dictionary<string, int>();
        nodes = new OnnxNode[graph.Node.Count];
        operators = new OnnxOperators.Operator[graph.Node.Count];
        for (int index = 0; index < graph.Node.Count; index++)
        {
            var proto = graph.Node[index];
            var node = new OnnxNode(proto, index, opset);
            if (proto.Domain is not ("" or "ai.onnx"))
                throw new InvalidDataException($"Onnx.Load: {node.Describe()} is in operator domain '{proto.Domain}', which Nabla does not support (only the default ONNX domain).");
            operators[index] = OnnxOperators.Find(proto.OpType)
                ?? throw new InvalidDataException($"Onnx.Load: operator {proto.OpType} (node '{node.Name}') is not supported by Nabla's ONNX import. Supported: {string.Join(", ", OnnxOperators.Supported)}.");
            foreach (var name in proto.Input)
            {
                if (name.Length == 0) continue;
                if (!defined.Contains(name))
                    throw new InvalidDataException($"Onnx.Load: input '{name}' of {node.Describe()} is not a graph input, an initializer or the output of an earlier node (the graph must be sorted).");
                lastUse[name] = index;
            }
            foreach (var name in proto.Output) if (name.Length > 0) defined.Add(name);
            nodes[index] = node;
        }
        foreach (var name in outputs)
        {
            if (!defined.Contains(name)) throw new InvalidDataException($"Onnx.Load: graph output '{name}' is computed by no node.");
            lastUse[name] = int.MaxValue;
        }
        var dead = new List<string>[nodes.Length];
        foreach (var (name, index) in lastUse)
            if (index < nodes.Length && !initializerNames.Contains(name)) (dead[index] ??= []).Add(name);
        deadAfter = dead.Select(d => d?.ToArray() ?? []).ToArray();
    }

    /// <summary>The file (or stream name) the model came from.</summary>
    public string Source { get; }

    /// <summary>The version of the default ONNX operator set the model imports.</summary>
    public long Opset { get; }

    /// <summary>The names of the graph's inputs, in order (initializers excluded).</summary>
    public IReadOnlyList<string> InputNames => inputs.Select(i => i.Name).ToArray();

    /// <summary>The names of the graph's outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames => outputs;

    /// <summary>The operator types of the graph's nodes, in order (e.g. <c>Conv, Relu, MaxPool, …</c>).</summary>
    public IReadOnlyList<string> OperatorTypes => nodes.Select(n => n.OpType).ToArray();

    /// <summary>Runs a model with one input and one output.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (inputs.Length != 1 || outputs.Length != 1)
            throw new ArgumentException($"OnnxModule.Forward: '{Source}' has {inputs.Length} inputs and {outputs.Length} outputs; call Run with all of them.");
        return Run(input)[0];
    }

    /// <summary>Runs the model on its inputs, given in the order of <see cref="InputNames"/>; returns the outputs in the order of <see cref="OutputNames"/>.</summary>
    public Tensor[] Run(params Tensor[] inputValues)
    {
        if (inputValues.Length != inputs.Length)
            throw new ArgumentException($"OnnxModule.Run: '{Source}' takes {inputs.Length} inputs ({string.Join(", ", InputNames)}), got {inputValues.Length}.");
        var named = new Dictionary<string, Tensor>();
        for (int i = 0; i < inputs.Length; i++) named[inputs[i].Name] = inputValues[i];
        var result = Run(named);
        return outputs.Select(o => result[o]).ToArray();
    }

    /// <summary>Runs the model on inputs given by name; returns the outputs by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputValues)
    {
        var values = new Dictionary<string, Tensor>();
        foreach (var input in inputs)
        {
            if (!inputValues.TryGetValue(input.Name, out var value))
                throw new ArgumentException($"OnnxModule.Run: input '{input.Name}' of '{Source}' is missing.");
            CheckInput(input, value);
            values[input.Name] = value;
        }
        var state = NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)).Concat(NamedBuffers()).ToDictionary(p => p.Item1, p => p.Item2);
        foreach (var (initializer, key) in stateKeys) values[initializer] = state[key];

        for (int index = 0; index < nodes.Length; index++)
        {
            var node = nodes[index];
            var proto = node.Proto;
            node.Inputs = proto.Input.Select(name => name.Length == 0 ? null : values[name]).ToArray();
            Tensor?[] produced;
            try { produced = operators[index](node); }
            catch (Exception e) when (!e.Message.StartsWith("Onnx: ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Onnx: {node.Describe()} failed on inputs {string.Join(", ", node.Inputs.Select(t => t is null ? "(none)" : $"{t.DType}{t.Shape}"))}: {e.Message}", e);
            }
            finally { node.Inputs = []; }
            for (int o = 0; o < proto.Output.Count; o++)
            {
                if (proto.Output[o].Length == 0) continue;
                values[proto.Output[o]] = o < produced.Length && produced[o] is { } t ? t
                    : throw node.Error($"output {o} ('{proto.Output[o]}') is not computed by Nabla's {node.OpType}.");
            }
            foreach (var name in deadAfter[index]) values.Remove(name);
        }
        return outputs.ToDictionary(o => o, o => values[o]);
    }

    void CheckInput(ValueInfoProto input, Tensor value)
    {
        if (input.Type?.TensorType is not { } type) return;
        if (type.HasElemType && OnnxTensor.NablaType(type.ElemType, $"input '{input.Name}'") is var dtype && dtype != value.DType)
            throw new DTypeException($"OnnxModule: input '{input.Name}' of '{Source}' must be {dtype} (ONNX {OnnxTensor.DataTypeName(type.ElemType)}), got {value.DType}.");
        if (type.Shape is not { } shape) return;
        var expected = shape.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : d.DimParam.Length > 0 ? d.DimParam : "?").ToArray();
        bool matches = shape.Dim.Count == value.Rank;
        for (int d = 0; matches && d < shape.Dim.Count; d++)
            matches = !shape.Dim[d].HasDimValue || shape.Dim[d].DimValue == value.Size(d);
        if (!matches)
            throw new ShapeException($"OnnxModule: input '{input.Name}' of '{Source}' must have shape [{string.Join(", ", expected)}], got {value.Shape}.");
    }

    static long DefaultOpset(ModelProto model, string source)
    {
        foreach (var import in model.OpsetImport)
            if (import.Domain is "" or "ai.onnx") return import.Version;
        throw new InvalidDataException($"Onnx.Load: '{source}' imports no version of the default ONNX operator set.");
    }

    /// <summary>Places an initializer in the module tree under its dotted name; returns its state-dict key.</summary>
    string Register(string name, Tensor tensor, bool learned)
    {
        var segments = name.Split('.');
        Module scope = this;
        if (segments.All(s => s.Length > 0))
        {
            string prefix = "";
            for (int i = 0; i < segments.Length - 1 && scope is not null; i++)
            {
                var existing = scope.NamedChildren().FirstOrDefault(c => c.Name == segments[i]).Module;
                if (existing is null && (scope.NamedParameters(recurse: false).Any(p => p.Name == segments[i]) || scope.NamedBuffers(recurse: false).Any(b => b.Name == segments[i])))
                {
                    scope = null!;
                    break;
                }
                if (existing is null)
                {
                    existing = new OnnxScope();
                    scope.RegisterModule(segments[i], existing);
                }
                scope = existing;
                prefix += segments[i] + ".";
            }
            if (scope is not null && !Taken(scope, segments[^1]))
            {
                Add(scope, segments[^1], tensor, learned);
                return prefix + segments[^1];
            }
        }
        // Names the tree cannot hold ("a..b", or a name that is also a prefix of another): flat, dots made underscores.
        string flat = name.Replace('.', '_');
        while (Taken(this, flat)) flat += "_";
        Add(this, flat, tensor, learned);
        return flat;
    }

    static bool Taken(Module scope, string name) =>
        scope.NamedParameters(recurse: false).Any(p => p.Name == name) || scope.NamedBuffers(recurse: false).Any(b => b.Name == name)
        || scope.NamedChildren().Any(c => c.Name == name);

    static void Add(Module scope, string name, Tensor tensor, bool learned)
    {
        if (learned) scope.RegisterParameter(name, new Parameter(tensor));
        else scope.RegisterBuffer(name, tensor);
    }
}
