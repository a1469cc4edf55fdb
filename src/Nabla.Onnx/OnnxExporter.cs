using Google.Protobuf;
using Nabla.Jit;
using Nabla.Onnx.Protobuf;
using DataType = Nabla.Onnx.Protobuf.TensorProto.Types.DataType;

namespace Nabla.Onnx;

/// <summary>
/// Writes a traced <see cref="Graph"/> as an ONNX model (default domain, opset 17): each graph op becomes one ONNX
/// node or a short fixed chain of them; parameters and buffers become initializers named by their state-dict keys;
/// nodes are named by the module path that ran them (<c>features.0/Conv2d_3</c>); the symbolic batch dimension is the
/// dimension parameter <c>batch</c>. An op with no ONNX equivalent is an error naming it and its module.
/// </summary>
internal sealed class OnnxExporter
{
    /// <summary>The opset written; ops are expressed in its forms (Softmax on one axis, ReduceSum's axes as an input …).</summary>
    public const int Opset = 17;

    readonly Graph graph;
    readonly GraphProto proto = new() { Name = "nabla" };
    readonly Dictionary<GraphValue, string> names = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<string> used = [];
    int counter;
    string? batchSize;
    string scope = "";

    OnnxExporter(Graph graph) => this.graph = graph;

    /// <summary>The ONNX model of <paramref name="graph"/>.</summary>
    public static ModelProto Export(Graph graph, string graphName)
    {
        var exporter = new OnnxExporter(graph);
        exporter.proto.Name = graphName;
        exporter.Build();
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Nabla",
            ProducerVersion = typeof(Tensor).Assembly.GetName().Version?.ToString() ?? "",
            Graph = exporter.proto,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    void Build()
    {
        foreach (var input in graph.Inputs) proto.Input.Add(ValueInfo(Name(input), input));
        foreach (var parameter in graph.Parameters.Concat(graph.Constants))
            proto.Initializer.Add(OnnxTensor.FromTensor(parameter.Data!, Name(parameter)));
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            scope = node.Scope;
            Emit(node);
        }
        foreach (var output in graph.Outputs)
        {
            // A graph output must be a node output in ONNX: an input or parameter returned as is goes through Identity.
            string name = Name(output);
            if (output.Kind != ValueKind.Intermediate) name = Add("Identity", [name]);
            proto.Output.Add(ValueInfo(name, output));
        }
    }

    static ValueInfoProto ValueInfo(string name, GraphValue value)
    {
        var shape = new TensorShapeProto();
        foreach (int size in value.Shape)
            shape.Dim.Add(size == Graph.Batch ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = size });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)OnnxTensor.OnnxType(value.DType), Shape = shape } },
        };
    }

    string Name(GraphValue value)
    {
        if (names.TryGetValue(value, out var name)) return name;
        name = value.Kind switch
        {
            ValueKind.Input or ValueKind.Parameter or ValueKind.Buffer => value.Name,
            ValueKind.Constant => "constant_" + value.Name,
            _ => "t" + value.Name,
        };
        while (!used.Add(name)) name += "_";
        names[value] = name;
        return name;
    }

    string Fresh(string hint)
    {
        string name;
        do name = $"{hint}_{counter++}"; while (!used.Add(name));
        return name;
    }

    /// <summary>Adds a node of <paramref name="op"/>; returns its (first) output's name.</summary>
    string Add(string op, string[] inputs, string[]? outputs = null, params AttributeProto[] attributes)
    {
        outputs ??= [Fresh(op.ToLowerInvariant())];
        var node = new NodeProto { OpType = op, Name = scope.Length == 0 ? $"{op}_{proto.Node.Count}" : $"{scope}/{op}_{proto.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        proto.Node.Add(node);
        return outputs[0];
    }

    string Constant(Tensor value, string hint = "const")
    {
        string name = Fresh(hint);
        proto.Initializer.Add(OnnxTensor.FromTensor(value, name));
        return name;
    }

    string Longs(params long[] values) => Constant(Tensor.From(values), "shape");

    string Scalar(double value, DType dtype) => Constant(Tensor.Full([], value, dtype), "scalar");

    static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    static AttributeProto Ints(string name, IEnumerable<int> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values.Select(v => (long)v));
        return attribute;
    }

    static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>The batch size of this call as an int64 [1] tensor, read from the first input with a batch dimension.</summary>
    string BatchSize()
    {
        if (batchSize is not null) return batchSize;
        foreach (var input in graph.Inputs)
        {
            int dim = Array.IndexOf(input.Shape, Graph.Batch);
            if (dim < 0) continue;
            return batchSize = Add("Shape", [Name(input)], null, Int("start", dim), Int("end", dim + 1));
        }
        throw new NotSupportedException("Onnx.Export: a shape depends on the batch size, but no graph input has a batch dimension.");
    }

    /// <summary>A shape as an int64 tensor: a constant, or one assembled around the call's batch size.</summary>
    string ShapeTensor(int[] shape)
    {
        int batch = Array.IndexOf(shape, Graph.Batch);
        if (batch < 0) return Longs([.. shape.Select(s => (long)s)]);
        var parts = new List<string>();
        if (batch > 0) parts.Add(Longs([.. shape[..batch].Select(s => (long)s)]));
        parts.Add(BatchSize());
        if (batch + 1 < shape.Length)
        {
            if (Array.IndexOf(shape, Graph.Batch, batch + 1) >= 0)
                throw new NotSupportedException($"Onnx.Export: shape [{string.Join(", ", shape)}] holds the batch size twice.");
            parts.Add(Longs([.. shape[(batch + 1)..].Select(s => (long)s)]));
        }
        return parts.Count == 1 ? parts[0] : Add("Concat", [.. parts], null, Int("axis", 0));
    }

    NotSupportedException NoEquivalent(GraphNode node, string why) =>
        new($"Onnx.Export: op {node.Op}{(node.Scope.Length > 0 ? $" (module '{node.Scope}')" : "")} has no ONNX equivalent: {why}.");

    void Emit(GraphNode node)
    {
        string In(int i) => node.Inputs[i] is { } v ? Name(v) : "";
        var outputs = node.Outputs.Select(Name).ToArray();
        string Out = outputs[0];
        switch (node.Op)
        {
            case GraphOps.Linear:
                Linear(node, In(0), In(1), node.Inputs[2] is null ? null : In(2), Out);
                break;
            case GraphOps.Conv2d:
                Conv(node, In(0), In(1), node.Inputs[2] is null ? null : In(2), Out);
                break;
            case GraphOps.LinearActivation:
                Activation(node.Attribute<string>("activation"), Linear(node, In(0), In(1), node.Inputs[2] is null ? null : In(2), null), Out, node);
                break;
            case GraphOps.Conv2dActivation:
                Activation(node.Attribute<string>("activation"), Conv(node, In(0), In(1), node.Inputs[2] is null ? null : In(2), null), Out, node);
                break;
            case GraphOps.ElementwiseChain:
                {
                    var ops = node.Attribute<string>("ops").Split(',');
                    string value = In(0);
                    for (int i = 0; i < ops.Length; i++) value = Activation(ops[i], value, i == ops.Length - 1 ? Out : null, node);
                    break;
                }
            case GraphOps.MaxPool2d:
                Add("MaxPool", [In(0)], [Out], Ints("kernel_shape", node.Attribute<int[]>("kernel_size")), Ints("strides", node.Attribute<int[]>("stride")),
                    Ints("pads", Pads(node.Attribute<int[]>("padding"))), Ints("dilations", node.Attribute<int[]>("dilation")), Int("ceil_mode", node.Attribute<bool>("ceil_mode") ? 1 : 0));
                break;
            case GraphOps.AvgPool2d:
                if (node.Attributes.TryGetValue("divisor_override", out var divisor) && divisor is int d && d != 0)
                    throw NoEquivalent(node, "divisor_override");
                Add("AveragePool", [In(0)], [Out], Ints("kernel_shape", node.Attribute<int[]>("kernel_size")), Ints("strides", node.Attribute<int[]>("stride")),
                    Ints("pads", Pads(node.Attribute<int[]>("padding"))), Int("ceil_mode", node.Attribute<bool>("ceil_mode") ? 1 : 0),
                    Int("count_include_pad", node.Attribute<bool>("count_include_pad") ? 1 : 0));
                break;
            case GraphOps.AdaptiveAvgPool2d:
                AdaptivePool(node, "AveragePool", "GlobalAveragePool", In(0), Out);
                break;
            case GraphOps.AdaptiveMaxPool2d:
                AdaptivePool(node, "MaxPool", "GlobalMaxPool", In(0), Out);
                break;
            case GraphOps.BatchNorm:
                {
                    int channels = node.Inputs[0]!.Shape[1];
                    var dtype = node.Inputs[0]!.DType;
                    string weight = node.Inputs[3] is null ? Constant(Tensor.Ones([channels], dtype), "ones") : In(3);
                    string bias = node.Inputs[4] is null ? Constant(Tensor.Zeros([channels], dtype), "zeros") : In(4);
                    Add("BatchNormalization", [In(0), weight, bias, In(1), In(2)], [Out], Float("epsilon", node.Attribute<double>("eps")));
                    break;
                }
            case GraphOps.LayerNorm:
                {
                    var normalized = node.Attribute<int[]>("normalized_shape");
                    var dtype = node.Inputs[0]!.DType;
                    string weight = node.Inputs[1] is null ? Constant(Tensor.Ones(normalized, dtype), "ones") : In(1);
                    var inputs = new List<string> { In(0), weight };
                    if (node.Inputs[2] is not null) inputs.Add(In(2));
                    Add("LayerNormalization", [.. inputs], [Out], Int("axis", -normalized.Length), Float("epsilon", node.Attribute<double>("eps")));
                    break;
                }
            case GraphOps.LocalResponseNorm:
                Add("LRN", [In(0)], [Out], Int("size", node.Attribute<int>("size")), Float("alpha", node.Attribute<double>("alpha")),
                    Float("beta", node.Attribute<double>("beta")), Float("bias", node.Attribute<double>("k")));
                break;
            case GraphOps.Relu or GraphOps.Sigmoid or GraphOps.Tanh or GraphOps.Exp or GraphOps.Log or GraphOps.Sqrt or GraphOps.Neg or GraphOps.Gelu:
                Activation(node.Op, In(0), Out, node);
                break;
            case GraphOps.LeakyRelu:
                Add("LeakyRelu", [In(0)], [Out], Float("alpha", node.Attribute<double>("negative_slope")));
                break;
            case GraphOps.Add or GraphOps.Sub or GraphOps.Mul or GraphOps.Div:
                {
                    // Nabla promotes the operands to the result's dtype (a C# number, Int64 or Float64 in the graph, takes the tensor's); ONNX wants them equal.
                    var dtype = node.Outputs[0].DType;
                    string b = CastTo(node, 1, dtype);
                    if (node.Attributes.TryGetValue("alpha", out var alpha) && alpha is double a && a != 1)
                        b = Add("Mul", [b, Scalar(a, dtype)]);
                    Add(node.Op, [CastTo(node, 0, dtype), b], [Out]);
                    break;
                }
            case GraphOps.Pow:
                Add("Pow", [In(0), Scalar(node.Attribute<double>("exponent"), node.Inputs[0]!.DType)], [Out]);
                break;
            case GraphOps.MatMul:
                Add("MatMul", [In(0), In(1)], [Out]);
                break;
            case GraphOps.Softmax:
                Add("Softmax", [In(0)], [Out], Int("axis", node.Attribute<int>("dim")));
                break;
            case GraphOps.LogSoftmax:
                Add("LogSoftmax", [In(0)], [Out], Int("axis", node.Attribute<int>("dim")));
                break;
            case GraphOps.Reshape:
                Add("Reshape", [In(0), ShapeTensor(node.Attribute<int[]>("shape"))], [Out]);
                break;
            case GraphOps.Permute:
                Add("Transpose", [In(0)], [Out], Ints("perm", node.Attribute<int[]>("dims")));
                break;
            case GraphOps.Expand:
                Add("Expand", [In(0), ShapeTensor(node.Attribute<int[]>("shape"))], [Out]);
                break;
            case GraphOps.Slice:
                {
                    int dim = node.Attribute<int>("dim");
                    long end = node.Attribute<int>("end");
                    // A slice that runs to the end of the batch dimension: the end is the batch, whatever its size.
                    if (node.Inputs[0]!.Shape[dim] == Graph.Batch) end = long.MaxValue;
                    Add("Slice", [In(0), Longs(node.Attribute<int>("start")), Longs(end), Longs(dim), Longs(node.Attribute<int>("step"))], [Out]);
                    break;
                }
            case GraphOps.Select:
                Add("Gather", [In(0), Constant(Tensor.From((long)node.Attribute<int>("index")), "index")], [Out], Int("axis", node.Attribute<int>("dim")));
                break;
            case GraphOps.Cat:
                Add("Concat", [.. node.Inputs.Select((_, i) => In(i))], [Out], Int("axis", node.Attribute<int>("dim")));
                break;
            case GraphOps.Stack:
                {
                    int dim = node.Attribute<int>("dim");
                    var parts = node.Inputs.Select((_, i) => Add("Unsqueeze", [In(i), Longs(dim)])).ToArray();
                    Add("Concat", parts, [Out], Int("axis", dim));
                    break;
                }
            case GraphOps.Sum:
                Add("ReduceSum", [In(0), Longs([.. node.Attribute<int[]>("dims").Select(x => (long)x)])], [Out], Int("keepdims", node.Attribute<bool>("keep_dim") ? 1 : 0));
                break;
            case GraphOps.Mean:
                Add("ReduceMean", [In(0)], [Out], Ints("axes", node.Attribute<int[]>("dims")), Int("keepdims", node.Attribute<bool>("keep_dim") ? 1 : 0));
                break;
            case GraphOps.Contiguous:
                Add("Identity", [In(0)], [Out]);
                break;
            case GraphOps.Cast:
                Add("Cast", [In(0)], [Out], Int("to", (long)OnnxTensor.OnnxType(Enum.Parse<DType>(node.Attribute<string>("dtype")))));
                break;
            case GraphOps.ConvTranspose2d:
                {
                    var inputs = node.Inputs[2] is null ? new[] { In(0), In(1) } : [In(0), In(1), In(2)];
                    Add("ConvTranspose", inputs, [Out], Ints("kernel_shape", node.Inputs[1]!.Shape[2..]), Ints("strides", node.Attribute<int[]>("stride")),
                        Ints("pads", Pads(node.Attribute<int[]>("padding"))), Ints("output_padding", node.Attribute<int[]>("output_padding")),
                        Ints("dilations", node.Attribute<int[]>("dilation")), Int("group", node.Attribute<int>("groups")));
                    break;
                }
            case GraphOps.Gather:
                Add("GatherElements", [In(0), In(1)], [Out], Int("axis", node.Attribute<int>("dim")));
                break;
            case GraphOps.IndexSelect:
                Add("Gather", [In(0), In(1)], [Out], Int("axis", node.Attribute<int>("dim")));
                break;
            case GraphOps.Where:
                {
                    // Nabla promotes x and y to one dtype (a C# number takes the tensor's); ONNX's Where wants them equal already.
                    var dtype = node.Outputs[0].DType;
                    Add("Where", [In(0), CastTo(node, 1, dtype), CastTo(node, 2, dtype)], [Out]);
                    break;
                }
            case GraphOps.Eq or GraphOps.Ne or GraphOps.Gt or GraphOps.Ge or GraphOps.Lt or GraphOps.Le:
                {
                    // The second operand is brought to the first's dtype (a compared C# number is Float64 in the graph).
                    var dtype = node.Inputs[0]!.DType;
                    string[] operands = [In(0), CastTo(node, 1, dtype)];
                    switch (node.Op)
                    {
                        case GraphOps.Eq: Add("Equal", operands, [Out]); break;
                        case GraphOps.Ne: Add("Not", [Add("Equal", operands)], [Out]); break;
                        case GraphOps.Gt: Add("Greater", operands, [Out]); break;
                        case GraphOps.Ge: Add("GreaterOrEqual", operands, [Out]); break;
                        case GraphOps.Lt: Add("Less", operands, [Out]); break;
                        default: Add("LessOrEqual", operands, [Out]); break;
                    }
                    break;
                }
            case GraphOps.ArgMax or GraphOps.ArgMin:
                Add(node.Op, [In(0)], [Out], Int("axis", node.Attribute<int>("dim")), Int("keepdims", node.Attribute<bool>("keep_dim") ? 1 : 0));
                break;
            case GraphOps.Dropout:
                throw NoEquivalent(node, "Dropout in training mode (export runs the module in evaluation mode; call Eval() on modules that apply dropout themselves)");
            case GraphOps.Embedding:
                Add("Gather", [In(1), In(0)], [Out], Int("axis", 0));
                break;
            case GraphOps.Full:
                {
                    var dtype = Enum.Parse<DType>(node.Attribute<string>("dtype"));
                    var value = OnnxTensor.FromTensor(Tensor.Full([1], node.Attribute<double>("value"), dtype), "value");
                    Add("ConstantOfShape", [ShapeTensor(node.Attribute<int[]>("shape"))], [Out],
                        new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });
                    break;
                }
            case GraphOps.ScaledDotProductAttention:
                Attention(node, In(0), In(1), In(2), node.Inputs[3] is null ? null : In(3), Out);
                break;
            case GraphOps.RecurrentLayer:
                Recurrent(node, outputs);
                break;
            default:
                throw NoEquivalent(node, "Nabla's ONNX export has no mapping for it");
        }
    }

    static int[] Pads(int[] padding) => [.. padding, .. padding];

    /// <summary>Input <paramref name="index"/> of <paramref name="node"/>, cast to <paramref name="dtype"/> when it has another.</summary>
    string CastTo(GraphNode node, int index, DType dtype)
    {
        var value = node.Inputs[index]!;
        string name = Name(value);
        return value.DType == dtype ? name : Add("Cast", [name], null, Int("to", (long)OnnxTensor.OnnxType(dtype)));
    }

    string Linear(GraphNode node, string input, string weight, string? bias, string? output)
    {
        // Gemm for a batch of vectors, MatMul with the transposed weight for higher ranks.
        if (node.Inputs[0]!.Shape.Length == 2)
            return Add("Gemm", bias is null ? [input, weight] : [input, weight, bias], output is null ? null : [output], Int("transB", 1));
        string product = Add("MatMul", [input, Add("Transpose", [weight], null, Ints("perm", [1, 0]))], bias is null && output is not null ? [output] : null);
        return bias is null ? product : Add("Add", [product, bias], output is null ? null : [output]);
    }

    string Conv(GraphNode node, string input, string weight, string? bias, string? output)
    {
        var kernel = node.Inputs[1]!.Shape[2..];
        return Add("Conv", bias is null ? [input, weight] : [input, weight, bias], output is null ? null : [output],
            Ints("kernel_shape", kernel), Ints("strides", node.Attribute<int[]>("stride")), Ints("pads", Pads(node.Attribute<int[]>("padding"))),
            Ints("dilations", node.Attribute<int[]>("dilation")), Int("group", node.Attribute<int>("groups")));
    }

    string Activation(string op, string input, string? output, GraphNode node)
    {
        string[]? outputs = output is null ? null : [output];
        switch (op)
        {
            case "Relu" or "Sigmoid" or "Tanh" or "Exp" or "Log" or "Sqrt" or "Neg":
                return Add(op, [input], outputs);
            case "Gelu":
                {
                    // Opset 17 has no Gelu: 0.5·x·(1 + erf(x / √2)).
                    var dtype = node.Inputs[0]!.DType;
                    string erf = Add("Erf", [Add("Div", [input, Scalar(Math.Sqrt(2), dtype)])]);
                    string half = Add("Mul", [input, Scalar(0.5, dtype)]);
                    return Add("Mul", [half, Add("Add", [erf, Scalar(1, dtype)])], outputs);
                }
            default:
                throw NoEquivalent(node, $"activation '{op}'");
        }
    }

    void AdaptivePool(GraphNode node, string pool, string global, string input, string output)
    {
        var size = node.Attribute<int[]>("output_size");
        var shape = node.Inputs[0]!.Shape;
        int height = shape[^2], width = shape[^1];
        if (size[0] == 1 && size[1] == 1)
        {
            Add(global, [input], [output]);
            return;
        }
        if (height % size[0] != 0 || width % size[1] != 0)
            throw NoEquivalent(node, $"adaptive pooling of {height}×{width} to {size[0]}×{size[1]} uses windows of different sizes");
        int[] kernel = [height / size[0], width / size[1]];
        Add(pool, [input], [output], Ints("kernel_shape", kernel), Ints("strides", kernel));
    }

    // softmax(Q·Kᵀ·scale + mask)·V, with a causal mask as a constant −∞ upper triangle.
    void Attention(GraphNode node, string query, string key, string value, string? mask, string output)
    {
        if (node.Attributes.TryGetValue("dropout_p", out var p) && p is double dropout && dropout != 0)
            throw NoEquivalent(node, "attention dropout in training mode");
        var queryShape = node.Inputs[0]!.Shape;
        var keyShape = node.Inputs[1]!.Shape;
        var dtype = node.Inputs[0]!.DType;
        double scale = node.Attribute<double>("scale");
        if (scale == 0) scale = 1 / Math.Sqrt(queryShape[^1]);
        int rank = keyShape.Length;
        var perm = Enumerable.Range(0, rank).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        string scores = Add("Mul", [Add("MatMul", [query, Add("Transpose", [key], null, Ints("perm", perm))]), Scalar(scale, dtype)]);
        if (node.Attribute<bool>("is_causal"))
        {
            int length = queryShape[^2], source = keyShape[^2];
            if (length == Graph.Batch || source == Graph.Batch) throw NoEquivalent(node, "a causal mask over the batch dimension");
            var causal = new float[length * source];
            for (int i = 0; i < length; i++) for (int j = i + 1; j < source; j++) causal[i * source + j] = float.NegativeInfinity;
            scores = Add("Add", [scores, Constant(Tensor.From(causal, length, source).To(dtype), "causal_mask")]);
        }
        if (mask is not null)
        {
            // A boolean mask marks the positions that take part; a float mask is added.
            scores = node.Inputs[3]!.DType == DType.Bool
                ? Add("Where", [mask, scores, Scalar(double.NegativeInfinity, dtype)])
                : Add("Add", [scores, mask]);
        }
        Add("MatMul", [Add("Softmax", [scores], null, Int("axis", -1)), value], [output]);
    }

    // Nabla's recurrent layer (one direction, [T, N, I], PyTorch's gate order) as ONNX's RNN / GRU / LSTM: the weights'
    // gates reordered in the graph (PyTorch i,f,g,o → ONNX i,o,f,c; r,z,n → z,r,h), a direction axis added and removed.
    void Recurrent(GraphNode node, string[] outputs)
    {
        string mode = node.Attribute<string>("mode");
        bool lstm = mode == "LSTM";
        string In(int i) => node.Inputs[i] is { } v ? Name(v) : "";
        int hidden = node.Inputs[1]!.Shape[^1];
        int[] order = mode switch
        {
            "LSTM" => [0, 3, 1, 2],
            "GRU" => [1, 0, 2],
            _ => [0],
        };
        string Reorder(string weight)
        {
            string reordered = order.Length == 1 ? weight : Add("Concat",
                [.. order.Select(g => Add("Slice", [weight, Longs((long)g * hidden), Longs((long)(g + 1) * hidden), Longs(0)]))], null, Int("axis", 0));
            return Add("Unsqueeze", [reordered, Longs(0)]);
        }
        // Inputs: input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh.
        string w = Reorder(In(3));
        string r = Reorder(In(4));
        string bias = "";
        if (node.Inputs[5] is not null || node.Inputs[6] is not null)
        {
            int gates = order.Length * hidden;
            string Part(int i) => node.Inputs[i] is null ? Constant(Tensor.Zeros([gates], node.Inputs[0]!.DType), "zeros") : In(i);
            string Flat(string b) => Add("Squeeze", [Reorder(b), Longs(0)]);
            bias = Add("Unsqueeze", [Add("Concat", [Flat(Part(5)), Flat(Part(6))], null, Int("axis", 0)), Longs(0)]);
        }
        var inputs = new List<string> { In(0), w, r, bias, "", Add("Unsqueeze", [In(1), Longs(0)]) };
        if (lstm) inputs.Add(Add("Unsqueeze", [In(2), Longs(0)]));
        var attributes = new List<AttributeProto> { Int("hidden_size", hidden), String("direction", node.Attribute<bool>("reverse") ? "reverse" : "forward") };
        string op = mode switch { "LSTM" => "LSTM", "GRU" => "GRU", _ => "RNN" };
        if (mode == "GRU") attributes.Add(Int("linear_before_reset", 1)); // PyTorch applies the reset gate after the hidden product
        if (mode == "RNNRelu")
        {
            var activations = new AttributeProto { Name = "activations", Type = AttributeProto.Types.AttributeType.Strings };
            activations.Strings.Add(ByteString.CopyFromUtf8("Relu"));
            attributes.Add(activations);
        }
        var onnxOutputs = new[] { Fresh("y"), Fresh("y_h") }.Concat(lstm ? [Fresh("y_c")] : []).ToArray();
        Add(op, [.. inputs], onnxOutputs, [.. attributes]);
        // Y is [T, 1, N, H]; Y_h and Y_c are [1, N, H].
        Add("Squeeze", [onnxOutputs[0], Longs(1)], [outputs[0]]);
        Add("Squeeze", [onnxOutputs[1], Longs(0)], [outputs[1]]);
        if (lstm) Add("Squeeze", [onnxOutputs[2], Longs(0)], [outputs[2]]);
    }
}
