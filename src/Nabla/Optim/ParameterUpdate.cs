using System.Numerics;
using Nabla.Backends;
using Nabla.Backends.Cpu;

namespace Nabla.Optim;

/// <summary>
/// Applies an optimizer's rule (its <see cref="IVectorUpdate{T}"/>, written once beside its formula) to one
/// parameter: picks the rule built for the parameter's dtype, runs it over every element in one pass
/// (<see cref="IBackend.OptimizerUpdate"/>), and bumps the versions of the tensors written. A non-contiguous
/// tensor goes through a contiguous copy that is written back, so every layout gets the same rule and the
/// same roundings.
/// </summary>
internal static class ParameterUpdate
{
    /// <summary>A hyper-parameter in the element type, converted as the tensor ops convert C# numbers.</summary>
    public static T Scalar<T>(double value) where T : IFloatingPointIeee754<T> => T.CreateChecked(value);

    /// <summary>
    /// Updates <paramref name="parameter"/> from <paramref name="grad"/> and the state buffers <paramref name="a"/>,
    /// <paramref name="b"/>, <paramref name="c"/> (null when the rule has no such buffer) with the rule that
    /// <paramref name="float32"/> or <paramref name="float64"/> builds.
    /// </summary>
    public static void Apply<TFloat, TDouble>(Tensor parameter, Tensor grad, Tensor? a, Tensor? b, Tensor? c,
                                              Func<TFloat> float32, Func<TDouble> float64)
        where TFloat : struct, IVectorUpdate<float>
        where TDouble : struct, IVectorUpdate<double>
    {
        var dtype = parameter.DType;
        var (p, g, ca, cb, cc) = (Dense(parameter, dtype)!, Dense(grad, dtype)!, Dense(a, dtype), Dense(b, dtype), Dense(c, dtype));
        var backend = Backend.Of("Optimizer.Step", p, g);
        if (dtype == DType.Float32) backend.OptimizerUpdate<float, TFloat>(float32(), p, g, ca, cb, cc);
        else backend.OptimizerUpdate<double, TDouble>(float64(), p, g, ca, cb, cc);
        WriteBack(parameter, p);
        WriteBack(a, ca);
        WriteBack(b, cb);
        WriteBack(c, cc);
    }

    /// <summary>The tensor itself when contiguous and of <paramref name="dtype"/>, else such a copy.</summary>
    static Tensor? Dense(Tensor? t, DType dtype) => t?.To(dtype).Contiguous();

    /// <summary>Copies the updated values back when the rule ran on a copy; marks the tensor written either way.</summary>
    static void WriteBack(Tensor? original, Tensor? updated)
    {
        if (original is null) return;
        if (ReferenceEquals(original, updated)) original.BumpVersion();
        else original.Copy_(updated!);
    }
}
