using Nabla.NN;

namespace Nabla.Onnx;

/// <summary>
/// The ONNX operators an imported model can use, each written with Nabla's differentiable tensor ops, so an
/// imported model trains like a native one. One entry per operator of the default domain (opsets 7–17; where an
/// opset moved an attribute to an input, both forms are read). An operator returns its outputs in ONNX's order;
/// null marks an optional output it does not compute (asking for one is an error at load).
/// Families live in the partial files: elementwise here, shapes and indexing, networks, reductions.
/// </summary>
internal static partial class OnnxOperators
{
    /// <summary>The operator named <c>op_type</c> in the default ONNX domain.</summary>
    public delegate Tensor?[] Operator(OnnxNode node);

    static readonly Dictionary<string, Operator> Table = Build();

    /// <summary>The operators Nabla runs, sorted by name.</summary>
    public static IReadOnlyList<string> Supported { get; } = [.. Table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The implementation of <paramref name="opType"/>, or null when Nabla has none.</summary>
    public static Operator? Find(string opType) => Table.GetValueOrDefault(opType);

    static Dictionary<string, Operator> Build()
    {
        var table = new Dictionary<string, Operator>(StringComparer.Ordinal);
        AddElementwise(table);
        AddShapes(table);
        AddNetworks(table);
        AddReductions(table);
        AddRecurrent(table);
        AddMore(table);
        return table;
    }

    static Tensor?[] One(Tensor t) => [t];

    static void Unary(Dictionary<string, Operator> table, string name, Func<Tensor, Tensor> f) => table[name] = n => One(f(n.Input(0)));

    static void AddElementwise(Dictionary<string, Operator> table)
    {
        Unary(table, "Identity", x => x);
        Unary(table, "Relu", x => x.Relu());
        Unary(table, "Sigmoid", x => x.Sigmoid());
        Unary(table, "Tanh", x => x.Tanh());
        Unary(table, "Erf", x => x.Erf());
        Unary(table, "Exp", x => x.Exp());
        Unary(table, "Log", x => x.Log());
        Unary(table, "Sqrt", x => x.Sqrt());
        Unary(table, "Abs", x => x.Abs());
        Unary(table, "Neg", x => x.Neg());
        Unary(table, "Reciprocal", x => x.Reciprocal());
        Unary(table, "Floor", x => x.Floor());
        Unary(table, "Ceil", x => x.Ceil());
        Unary(table, "Round", x => x.Round());
        Unary(table, "Sin", x => x.Sin());
        Unary(table, "Cos", x => x.Cos());
        Unary(table, "Sign", x => x.Sign());
        Unary(table, "Softplus", x => x.Softplus());
        Unary(table, "Softsign", x => x / (x.Abs() + 1));
        Unary(table, "Not", x => x.LogicalNot());
        Unary(table, "IsNaN", x => x.IsNaN());
        table["LeakyRelu"] = n => One(n.Input(0).LeakyRelu(n.Float("alpha", 0.01f)));
        table["Elu"] = n => One(n.Input(0).Elu(n.Float("alpha", 1f)));
        table["Selu"] = n =>
        {
            double alpha = n.Float("alpha", 1.67326319217681884765625f), gamma = n.Float("gamma", 1.05070102214813232421875f);
            return One(n.Input(0).Elu(alpha) * gamma);
        };
        table["HardSigmoid"] = n => One((n.Input(0) * n.Float("alpha", 0.2f) + n.Float("beta", 0.5f)).Clamp(0, 1));
        table["HardSwish"] = n => One(n.Input(0) * (n.Input(0) / 6 + 0.5).Clamp(0, 1));
        table["ThresholdedRelu"] = n => One(Tensor.Where(n.Input(0).Gt(n.Float("alpha", 1f)), n.Input(0), 0));
        table["PRelu"] = n => One(Tensor.Where(n.Input(0).Lt(0), n.Input(0) * n.Input(1), n.Input(0)));
        table["Gelu"] = n => One(n.Input(0).Gelu(n.String("approximate", "none")));
        table["Clip"] = Clip;
        table["Dropout"] = Dropout;

        table["Add"] = n => One(n.Input(0) + n.Input(1));
        table["Sub"] = n => One(n.Input(0) - n.Input(1));
        table["Mul"] = n => One(n.Input(0) * n.Input(1));
        table["Div"] = n => One(n.Input(0).DType.IsFloatingPoint() ? n.Input(0) / n.Input(1) : n.Input(0).Div(n.Input(1), "trunc"));
        // The result keeps the base's type, whatever the exponent's (opset 12+ allows them to differ).
        table["Pow"] = n => One(n.Input(0).Pow(n.Input(1)).To(n.Input(0).DType));
        table["Max"] = n => One(Fold(n, static (a, b) => a.Maximum(b)));
        table["Min"] = n => One(Fold(n, static (a, b) => a.Minimum(b)));
        table["Sum"] = n => One(Fold(n, static (a, b) => a + b));
        table["Mean"] = n => One(Fold(n, static (a, b) => a + b) / n.Inputs.Length);
        table["Equal"] = n => One(n.Input(0).Eq(n.Input(1)));
        table["Greater"] = n => One(n.Input(0).Gt(n.Input(1)));
        table["Less"] = n => One(n.Input(0).Lt(n.Input(1)));
        table["GreaterOrEqual"] = n => One(n.Input(0).Ge(n.Input(1)));
        table["LessOrEqual"] = n => One(n.Input(0).Le(n.Input(1)));
        table["And"] = n => One(n.Input(0).LogicalAnd(n.Input(1)));
        table["Or"] = n => One(n.Input(0).LogicalOr(n.Input(1)));
        table["Xor"] = n => One(n.Input(0).LogicalXor(n.Input(1)));
        table["Where"] = n => One(Tensor.Where(n.Input(0), n.Input(1), n.Input(2)));
        table["Cast"] = n => One(Cast(n, n.Input(0), n.Int("to", 0)));
        table["CastLike"] = n => One(n.Input(0).To(n.Input(1).DType));
    }

    static Tensor Fold(OnnxNode node, Func<Tensor, Tensor, Tensor> combine)
    {
        var result = node.Input(0);
        for (int i = 1; i < node.Inputs.Length; i++) result = combine(result, node.Input(i));
        return result;
    }

    // Cast to float16 or bfloat16 gives Float32 values rounded to that precision (Nabla has neither dtype); the
    // rounding passes the gradient straight through.
    static Tensor Cast(OnnxNode n, Tensor x, long to)
    {
        var type = (Protobuf.TensorProto.Types.DataType)to;
        var dtype = OnnxTensor.NablaType(to, $"attribute 'to' of {n.Describe()}");
        if (type is not (Protobuf.TensorProto.Types.DataType.Float16 or Protobuf.TensorProto.Types.DataType.Bfloat16)) return x.To(dtype);
        var values = x.To(DType.Float32);
        var rounded = values.Detach().ToArray<float>();
        for (int i = 0; i < rounded.Length; i++)
            rounded[i] = type == Protobuf.TensorProto.Types.DataType.Float16 ? (float)(Half)rounded[i] : OnnxTensor.RoundToBFloat16(rounded[i]);
        return values + (Tensor.From(rounded, values.Shape.ToArray()) - values).Detach();
    }

    // Clip: min/max are attributes up to opset 10, optional scalar inputs from opset 11.
    static Tensor?[] Clip(OnnxNode n)
    {
        var x = n.Input(0);
        if (n.Opset < 11)
            return One(x.Clamp(n.Float("min", float.NegativeInfinity), n.Float("max", float.PositiveInfinity)));
        var min = n.OptionalInput(1);
        var max = n.OptionalInput(2);
        if (min is not null) x = x.Maximum(min.To(x.DType));
        if (max is not null) x = x.Minimum(max.To(x.DType));
        return One(x);
    }

    // Inference: Dropout passes its input through and its optional mask says every element was kept. In training
    // mode the draw is random, so only ratio 0 (keep everything) gives values another runtime can reproduce.
    static Tensor?[] Dropout(OnnxNode n)
    {
        var x = n.Input(0);
        bool training = n.OptionalInput(2) is { } flag && flag.Item<bool>();
        double ratio = n.Opset < 12 ? n.Float("ratio", 0.5f) : n.OptionalInput(1)?.Item() ?? 0.5;
        if (training && ratio != 0)
            throw n.Error($"training_mode = true with ratio {ratio} is not supported: an imported model runs Dropout as at inference.");
        return [x, Tensor.Full(x.Shape, true)];
    }
}
