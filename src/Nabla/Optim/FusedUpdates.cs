using System.Numerics;
using Nabla.Backends.Cpu;

namespace Nabla.Optim;

/// <summary>
/// Chooses the fused kernels of <see cref="OptimizerKernels"/> when every tensor of an update is
/// contiguous, of the same floating dtype and size; otherwise the optimizer runs its tensor-op
/// formulation. Both give bit-identical results (the kernels round exactly as the tensor ops do).
/// Scalars are converted to the element type here, as the tensor ops convert C# numbers.
/// </summary>
internal static class FusedUpdates
{
    /// <summary>True when the parameter and the other tensors (null entries ignored) can go through a fused kernel.</summary>
    static bool Eligible(Tensor parameter, params ReadOnlySpan<Tensor?> tensors)
    {
        if (parameter.DType is not (DType.Float32 or DType.Float64) || !parameter.IsContiguous) return false;
        foreach (var t in tensors)
            if (t is not null && (t.DType != parameter.DType || !t.IsContiguous || !t.Shape.Equals(parameter.Shape))) return false;
        return true;
    }

    static Span<T> SpanOf<T>(Tensor? t, int begin, int end) => t is null ? default : t.Span<T>()[begin..end];

    /// <summary>From this many elements on, a parameter's update runs on the pool's threads, a slice each.</summary>
    const int ParallelElements = 1 << 16;

    /// <summary>
    /// The update of every element, in slices on the pool's threads for a large parameter (a smaller one runs inline:
    /// WorkerPool.For needs two slices of ParallelElements / 2): each element's update reads only its own position,
    /// so the split changes no result.
    /// </summary>
    static void RunSlices<T, TUpdate>(TUpdate update, Tensor parameter, Tensor grad, Tensor? a, Tensor? b, Tensor? c)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TUpdate : struct, IVectorUpdate<T> =>
        WorkerPool.For(parameter.Count, ParallelElements / 2, (begin, end) => OptimizerKernels.Run(update, parameter.Span<T>()[begin..end],
            grad.Span<T>()[begin..end], SpanOf<T>(a, begin, end), SpanOf<T>(b, begin, end), SpanOf<T>(c, begin, end)));

    /// <summary>Runs the kernel for the parameter's dtype (built by <paramref name="float32"/> or <paramref name="float64"/>) and bumps the versions of the tensors written.</summary>
    static bool Run<TFloat, TDouble>(Tensor parameter, Tensor grad, Tensor? a, Tensor? b, Tensor? c, Func<TFloat> float32, Func<TDouble> float64)
        where TFloat : struct, IVectorUpdate<float>
        where TDouble : struct, IVectorUpdate<double>
    {
        if (!Eligible(parameter, grad, a, b, c)) return false;
        if (parameter.DType == DType.Float32) RunSlices<float, TFloat>(float32(), parameter, grad, a, b, c);
        else RunSlices<double, TDouble>(float64(), parameter, grad, a, b, c);
        parameter.BumpVersion();
        a?.BumpVersion();
        b?.BumpVersion();
        c?.BumpVersion();
        return true;
    }

    static T Of<T>(double value) where T : IFloatingPointIeee754<T> => T.CreateChecked(value);

    /// <summary>An SGD step, fused if possible; false when the caller must use tensor ops.</summary>
    public static bool TrySgd(Tensor parameter, Tensor grad, Tensor? buffer, bool firstStep, double lr, double momentum, double dampening,
                              double weightDecay, bool nesterov, bool maximize)
    {
        return Run(parameter, grad, buffer, null, null, Make<float>, Make<double>);

        OptimizerKernels.Sgd<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            new(Of<T>(-lr), Of<T>(momentum), Of<T>(1 - dampening), Of<T>(weightDecay),
                HasMomentum: buffer is not null, firstStep, nesterov, maximize, HasWeightDecay: weightDecay != 0);
    }

    /// <summary>An Adam or AdamW step, fused if possible; false when the caller must use tensor ops.</summary>
    public static bool TryAdam(Tensor parameter, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq,
                               double beta1, double beta2, double biasCorrection2Sqrt, double eps, double stepSize,
                               double lr, double weightDecay, bool decoupled, bool maximize)
    {
        return Run(parameter, grad, expAvg, expAvgSq, maxExpAvgSq, Make<float>, Make<double>);

        OptimizerKernels.Adam<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            new(Of<T>(beta1), Of<T>(1 - beta1), Of<T>(beta2), Of<T>(1 - beta2), Of<T>(biasCorrection2Sqrt), Of<T>(eps),
                Of<T>(-stepSize), Of<T>(weightDecay), Of<T>(1 - lr * weightDecay),
                decoupled, HasWeightDecay: weightDecay != 0, Amsgrad: maxExpAvgSq is not null, maximize);
    }

    /// <summary>An Adagrad step with the decayed rate <paramref name="clr"/>, fused if possible.</summary>
    public static bool TryAdagrad(Tensor parameter, Tensor grad, Tensor sum, double clr, double eps, double weightDecay, bool maximize)
    {
        return Run(parameter, grad, sum, null, null, Make<float>, Make<double>);

        OptimizerKernels.Adagrad<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            new(Of<T>(-clr), Of<T>(eps), Of<T>(weightDecay), HasWeightDecay: weightDecay != 0, maximize);
    }

    /// <summary>An RMSprop step, fused if possible.</summary>
    public static bool TryRMSprop(Tensor parameter, Tensor grad, Tensor squareAvg, Tensor? gradAvg, Tensor? buffer,
                                  double lr, double alpha, double eps, double momentum, double weightDecay, bool maximize)
    {
        return Run(parameter, grad, squareAvg, gradAvg, buffer, Make<float>, Make<double>);

        OptimizerKernels.RMSprop<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            new(Of<T>(-lr), Of<T>(alpha), Of<T>(1 - alpha), Of<T>(eps), Of<T>(momentum), Of<T>(weightDecay),
                Centered: gradAvg is not null, HasMomentum: buffer is not null, HasWeightDecay: weightDecay != 0, maximize);
    }

    /// <summary>An Adadelta step, fused if possible.</summary>
    public static bool TryAdadelta(Tensor parameter, Tensor grad, Tensor squareAvg, Tensor accDelta,
                                   double lr, double rho, double eps, double weightDecay, bool maximize)
    {
        return Run(parameter, grad, squareAvg, accDelta, null, Make<float>, Make<double>);

        OptimizerKernels.Adadelta<T> Make<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            new(Of<T>(-lr), Of<T>(rho), Of<T>(1 - rho), Of<T>(eps), Of<T>(weightDecay), HasWeightDecay: weightDecay != 0, maximize);
    }
}
