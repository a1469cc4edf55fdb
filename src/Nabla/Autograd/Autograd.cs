// The autograd types live in namespace Nabla; see Node.cs.
namespace Nabla;

/// <summary>
/// The autograd entry points (<c>torch.autograd</c>): grad modes, gradients of outputs with
/// respect to chosen inputs, Jacobians, Hessians, and numerical gradient checking.
/// </summary>
public static class Autograd
{
    /// <summary>Stops recording ops until disposed: <c>using (Autograd.NoGrad()) { … }</c>.</summary>
    public static GradMode.Scope NoGrad() => GradMode.Set(false);

    /// <summary>Records ops until disposed, even inside <see cref="NoGrad"/>.</summary>
    public static GradMode.Scope EnableGrad() => GradMode.Set(true);

    /// <summary>Whether ops are being recorded on this thread.</summary>
    public static bool IsGradEnabled => GradMode.IsEnabled;

    /// <summary>
    /// Until disposed, every recorded op checks its output, and backward checks each gradient, for
    /// NaN or ±∞, raising an <see cref="AutogradException"/> that names the first op that made one.
    /// </summary>
    public static GradMode.Scope DetectAnomaly() => GradMode.SetAnomalyDetection(true);

    /// <summary>
    /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>
    /// (<c>torch.autograd.grad</c>), without touching any <c>.Grad</c>. With
    /// <paramref name="createGraph"/> the result is itself differentiable (higher-order derivatives).
    /// </summary>
    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor[]? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false) =>
        Engine.Grad(outputs, inputs, gradOutputs, retainGraph ?? createGraph, createGraph, allowUnused);

    /// <summary>Gradient of one output with respect to one input.</summary>
    public static Tensor Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null, bool createGraph = false) =>
        Grad([output], [input], gradOutput is null ? null : [gradOutput], retainGraph, createGraph)[0]!;

    /// <summary>
    /// The Jacobian of <paramref name="f"/> at <paramref name="x"/>: shape f(x).Shape + x.Shape
    /// (<c>torch.autograd.functional.jacobian</c>), one backward pass per output element.
    /// </summary>
    public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x, bool createGraph = false)
    {
        var input = createGraph ? x : x.Detach().RequiresGrad_();
        if (!input.RequiresGrad) input = x.Detach().RequiresGrad_();
        Tensor y;
        using (EnableGrad()) y = f(input);
        return JacobianOf(y, input, createGraph);
    }

    static Tensor JacobianOf(Tensor y, Tensor input, bool createGraph)
    {
        int outputs = (int)y.NumElements;
        var rows = new Tensor[outputs];
        var flat = y.Reshape(-1);
        for (int i = 0; i < outputs; i++)
        {
            Tensor? row = null;
            if (flat.RequiresGrad)
                using (EnableGrad())
                    row = Grad([flat[i]], [input], retainGraph: true, createGraph: createGraph, allowUnused: true)[0];
            rows[i] = row ?? Tensor.ZerosLike(input);
        }
        var stacked = outputs == 0 ? Tensor.Zeros([0, .. input.Shape], input.DType) : Tensor.Stack(rows);
        return stacked.Reshape([.. y.Shape, .. input.Shape]);
    }

    /// <summary>
    /// The Hessian of a scalar function <paramref name="f"/> at <paramref name="x"/>: shape x.Shape + x.Shape
    /// (<c>torch.autograd.functional.hessian</c>), the Jacobian of the gradient taken with a recorded backward.
    /// </summary>
    public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x)
    {
        var input = x.Detach().RequiresGrad_();
        Tensor gradient;
        using (EnableGrad())
        {
            var y = f(input);
            if (y.NumElements != 1) throw new ShapeException($"Hessian: f must return a single value, got shape {y.Shape}.");
            gradient = Grad([y], [input], createGraph: true, allowUnused: true)[0] ?? Tensor.ZerosLike(input);
        }
        return JacobianOf(gradient, input, createGraph: false).Detach();
    }

    /// <summary>
    /// Compares the analytic gradients of <paramref name="f"/> with central finite differences in
    /// Float64 (<c>torch.autograd.gradcheck</c>). The inputs must be Float64 tensors that require
    /// grad. Returns true, or throws an <see cref="AutogradException"/> describing the first
    /// mismatch (input, element, analytic and numerical values).
    /// </summary>
    public static bool GradCheck(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        foreach (var input in inputs)
            if (input.RequiresGrad && input.DType != DType.Float64)
                throw new DTypeException($"GradCheck: inputs that require grad must be Float64 for accurate finite differences, got {input.DType}.");
        Tensor output;
        using (EnableGrad()) output = f(inputs);
        var outputValues = output.ToArray<double>();
        var differentiable = inputs.Where(t => t.RequiresGrad).ToArray();
        for (int o = 0; o < outputValues.Length; o++)
        {
            // Analytic row: d output[o] / d inputs, one backward with a one-hot gradient.
            var gradOutput = Tensor.ZerosLike(output);
            gradOutput.SetFlat(o, 1);
            Tensor?[] analytic;
            using (EnableGrad())
                analytic = output.RequiresGrad
                    ? Grad([output], differentiable, [gradOutput], retainGraph: true, allowUnused: true)
                    : new Tensor?[differentiable.Length];
            for (int t = 0; t < differentiable.Length; t++)
            {
                var input = differentiable[t];
                var analyticValues = analytic[t]?.ToArray<double>() ?? new double[input.NumElements];
                for (int e = 0; e < input.NumElements; e++)
                {
                    double numeric = Perturbed(f, inputs, input, e, eps, o);
                    double a = analyticValues[e];
                    if (Math.Abs(a - numeric) > atol + rtol * Math.Abs(numeric))
                        throw new AutogradException(
                            $"GradCheck: gradient mismatch for input {Array.IndexOf(inputs, input)} (shape {input.Shape}), element {e}, output element {o}: analytic {a:G10}, numerical {numeric:G10}.");
                }
            }
        }
        return true;
    }

    static double Perturbed(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor input, int element, double eps, int outputElement)
    {
        var contiguous = input.Contiguous();
        int flat = contiguous.StorageOffset + element;
        double original = contiguous.GetFlat(flat);
        double Evaluate(double value)
        {
            var copy = contiguous.Detach().Clone();
            copy.SetFlat(element, value);
            var replaced = inputs.Select(t => ReferenceEquals(t, input) ? copy : t.Detach()).ToArray();
            using (NoGrad()) return f(replaced).Reshape(-1)[outputElement].Item<double>();
        }
        return (Evaluate(original + eps) - Evaluate(original - eps)) / (2 * eps);
    }
}
