using System.Globalization;
using System.Text;

namespace Nabla.NN;

/// <summary>
/// A model's layer table, as torchinfo's <c>summary(model, input_size)</c> and the course's
/// "print each layer's output shape" loop: one row per module call (leaf modules and modules that
/// own parameters, in call order) with its output shape, its own parameter count and its
/// multiply-accumulates, plus totals. Build one with <see cref="Summary"/>.
/// MACs count the whole input batch: convolution = output elements · (Cin/groups) · kh · kw
/// (Cout·Hout·Wout·Cin/groups·kh·kw per sample), transposed convolution = input elements ·
/// (Cout/groups) · kh · kw, linear = output rows · in · out; bias additions and other layers count 0.
/// Each row also gives its output's <see cref="NN.ReceptiveField"/> (the input pixels one output sees, and the jump between
/// neighbouring outputs): the summary follows each tensor from the layer that made it to the layers that read it; a tensor made
/// by operations outside the layers (a residual addition, a concatenation) takes the field of the layer that ran last, the deeper path.
/// </summary>
public sealed class ModelSummary
{
    /// <summary>One module call.</summary>
    /// <param name="Name">Module path in the model (<c>features.0</c>).</param>
    /// <param name="Type">Module type (<c>Conv2d</c>).</param>
    /// <param name="OutputShape">Shape of the output, or null when it is not one tensor.</param>
    /// <param name="Parameters">Elements in the module's own parameters (counted on its first call only).</param>
    /// <param name="MultiplyAccumulates">Multiply-accumulates of this call.</param>
    /// <param name="ReceptiveField">Receptive field and jump of the output in input pixels; null when the output has no spatial dims.</param>
    public sealed record Row(string Name, string Type, int[]? OutputShape, long Parameters, long MultiplyAccumulates, ReceptiveField? ReceptiveField = null);

    /// <summary>The rows, in call order.</summary>
    public IReadOnlyList<Row> Rows { get; }

    /// <summary>Elements in all of the model's parameters.</summary>
    public long TotalParameters { get; }

    /// <summary>Elements in the parameters that require gradients.</summary>
    public long TrainableParameters { get; }

    /// <summary>Multiply-accumulates of one forward pass on the given input shape.</summary>
    public long TotalMultiplyAccumulates { get; }

    /// <summary>Shape of the model's output.</summary>
    public int[] OutputShape { get; }

    ModelSummary(List<Row> rows, long total, long trainable, int[] outputShape)
    {
        Rows = rows;
        TotalParameters = total;
        TrainableParameters = trainable;
        TotalMultiplyAccumulates = rows.Sum(r => r.MultiplyAccumulates);
        OutputShape = outputShape;
    }

    /// <summary>
    /// Runs <paramref name="model"/> once (in eval mode, without gradients, on zeros of
    /// <paramref name="inputShape"/>, batch dimension included) with forward hooks on every module,
    /// and returns the table; the model's training mode is restored afterwards.
    /// </summary>
    public static ModelSummary Summary(Module<Tensor, Tensor> model, params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        var rows = new List<Row>();
        var input = Tensor.Zeros(inputShape);
        var fields = new Dictionary<Tensor, ReceptiveField>(ReferenceEqualityComparer.Instance) { [input] = ReceptiveField.Pixel(Math.Max(0, inputShape.Length - 2)) };
        ReceptiveField last = fields[input];
        var counted = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var handles = new List<RemovableHandle>();
        foreach (var (name, module) in model.NamedModules())
        {
            if (ReferenceEquals(module, model)) continue;
            bool leaf = !module.Children().Any();
            long own = module.Parameters(recurse: false).Sum(p => p.Shape.NumElements);
            if (!leaf && own == 0) continue;
            handles.Add(module.RegisterForwardHook((m, layerInput, output) =>
            {
                long parameters = counted.Add(m) ? own : 0;
                var inputField = layerInput is Tensor t && fields.TryGetValue(t, out var known) ? known : last;
                var field = ReceptiveField.Next(m, inputField, layerInput as Tensor, output as Tensor);
                if (field is not null && output is Tensor produced)
                {
                    fields[produced] = field;
                    last = field;
                }
                rows.Add(new Row(name, m.GetType().Name, (output as Tensor)?.Shape.ToArray(), parameters,
                    MultiplyAccumulates(m, layerInput as Tensor, output as Tensor), field));
            }));
        }
        bool training = model.Training;
        try
        {
            model.Eval();
            Tensor output;
            using (Autograd.NoGrad()) output = model.Call(input);
            var parameters = model.Parameters().Distinct(ReferenceEqualityComparer.Instance).Cast<Parameter>().ToList();
            return new ModelSummary(rows, parameters.Sum(p => p.Shape.NumElements),
                parameters.Where(p => p.RequiresGrad).Sum(p => p.Shape.NumElements), output.Shape.ToArray());
        }
        finally
        {
            foreach (var handle in handles) handle.Remove();
            model.Train(training);
        }
    }

    static long MultiplyAccumulates(Module module, Tensor? input, Tensor? output)
    {
        if (output is null) return 0;
        switch (module)
        {
            case ConvTranspose2d conv when input is not null:
                // Each input element scatters into (Cout/groups)·kh·kw outputs; weight is [Cin, Cout/groups, kh, kw].
                return input.Shape.NumElements * (conv.Weight.Shape.NumElements / conv.Weight.Size(0));
            case ConvNd conv:
                // Each output element sums (Cin/groups)·kh·kw products; weight is [Cout, Cin/groups, kh, kw].
                return output.Shape.NumElements * (conv.Weight.Shape.NumElements / conv.Weight.Size(0));
            case Linear linear:
                return output.Shape.NumElements * linear.InFeatures;
            default:
                return 0;
        }
    }

    /// <summary>The table, one row per call, then the totals.</summary>
    public override string ToString()
    {
        var culture = CultureInfo.InvariantCulture;
        string Shape(int[]? shape) => shape is null ? "-" : "[" + string.Join(", ", shape) + "]";
        var cells = Rows.Select(r => (Layer: $"{r.Name} ({r.Type})", Shape: Shape(r.OutputShape),
            Params: r.Parameters.ToString("N0", culture), Macs: r.MultiplyAccumulates.ToString("N0", culture),
            Field: r.ReceptiveField?.FormatSize() ?? "-", Jump: r.ReceptiveField?.FormatJump() ?? "-")).ToList();
        int layerWidth = Math.Max(14, cells.Count == 0 ? 0 : cells.Max(c => c.Layer.Length)) + 2;
        int shapeWidth = Math.Max(12, cells.Count == 0 ? 0 : cells.Max(c => c.Shape.Length)) + 2;
        int paramsWidth = Math.Max(7, cells.Count == 0 ? 0 : cells.Max(c => c.Params.Length)) + 2;
        int macsWidth = Math.Max(4, cells.Count == 0 ? 0 : cells.Max(c => c.Macs.Length));
        int fieldWidth = Math.Max(2, cells.Count == 0 ? 0 : cells.Max(c => c.Field.Length)) + 2;
        int jumpWidth = Math.Max(4, cells.Count == 0 ? 0 : cells.Max(c => c.Jump.Length)) + 2;
        int width = layerWidth + shapeWidth + paramsWidth + macsWidth + fieldWidth + jumpWidth;
        var text = new StringBuilder();
        text.AppendLine(new string('=', width));
        text.Append("Layer (type)".PadRight(layerWidth)).Append("Output Shape".PadRight(shapeWidth))
            .Append("Param #".PadLeft(paramsWidth - 2)).Append("  ").Append("MACs".PadLeft(macsWidth))
            .Append("RF".PadLeft(fieldWidth)).AppendLine("Jump".PadLeft(jumpWidth));
        text.AppendLine(new string('=', width));
        foreach (var c in cells)
            text.Append(c.Layer.PadRight(layerWidth)).Append(c.Shape.PadRight(shapeWidth))
                .Append(c.Params.PadLeft(paramsWidth - 2)).Append("  ").Append(c.Macs.PadLeft(macsWidth))
                .Append(c.Field.PadLeft(fieldWidth)).AppendLine(c.Jump.PadLeft(jumpWidth));
        text.AppendLine(new string('=', width));
        text.AppendLine(culture, $"Total params: {TotalParameters:N0}");
        text.AppendLine(culture, $"Trainable params: {TrainableParameters:N0}");
        text.AppendLine(culture, $"Non-trainable params: {TotalParameters - TrainableParameters:N0}");
        text.AppendLine(culture, $"Total MACs: {TotalMultiplyAccumulates:N0}");
        text.Append(new string('=', width));
        return text.ToString();
    }
}
