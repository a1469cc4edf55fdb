using System.Numerics;
using Nabla.Backends.Cpu;

namespace Nabla.Optim;

/// <summary>
/// Chooses the fused kernels of <see cref="OptimizerKernels"/> when every tensor of an update is
/// contiguous, of the same floating dtype and size; otherwise the optimizer runs its tensor-op
/// formulation. Both give bit-identical results (the kernels round exactly as the tensor ops do).
/// </summary>
internal static class FusedUpdates
{
    /// <summary>True when <paramref name="tensors"/> (null entries ignored) can go through a fused kernel.</summary>
    static bool Eligible(Tensor parameter, params ReadOnlySpan<Tensor?> tensors)
    {
        if (parameter.DType is not (DType.Float32 or DType.Float64) || !parameter.IsContiguous) return false;
        foreach (var t in tensors)
            if (t is not null && (t.DType != parameter.DType || !t.IsContiguous || t.NumElements != parameter.NumElements)) return false;
        return true;
    }

    /// <summary>Runs an SGD step fused if possible; returns false when the caller must use tensor ops.</summary>
    public static bool TrySgd(Tensor parameter, Tensor grad, Tensor? buffer, bool firstStep, double lr, double momentum, double dampening,
                              double weightDecay, bool nesterov, bool maximize)
    {
        if (!Eligible(parameter, grad, buffer)) return false;
        if (parameter.DType == DType.Float32) Sgd<float>(); else Sgd<double>();
        parameter.BumpVersion();
        buffer?.BumpVersion();
        return true;

        void Sgd<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var s = new SgdScalars<T>(T.CreateChecked(-lr), T.CreateChecked(momentum), T.CreateChecked(1 - dampening), T.CreateChecked(weightDecay),
                                      HasMomentum: momentum != 0, firstStep, nesterov, maximize, HasWeightDecay: weightDecay != 0);
            OptimizerKernels.Sgd(parameter.Span<T>(), grad.Span<T>(), buffer is null ? default : buffer.Span<T>(), s);
        }
    }

    /// <summary>Runs an Adam/AdamW step fused if possible; returns false when the caller must use tensor ops.</summary>
    public static bool TryAdam(Tensor parameter, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq,
                               double beta1, double beta2, double biasCorrection2Sqrt, double eps, double stepSize,
                               double lr, double weightDecay, bool decoupled, bool maximize)
    {
        if (!Eligible(parameter, grad, expAvg, expAvgSq, maxExpAvgSq)) return false;
        if (parameter.DType == DType.Float32) Adam<float>(); else Adam<double>();
        parameter.BumpVersion();
        expAvg.BumpVersion();
        expAvgSq.BumpVersion();
        maxExpAvgSq?.BumpVersion();
        return true;

        void Adam<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var s = new AdamScalars<T>(T.CreateChecked(beta1), T.CreateChecked(1 - beta1), T.CreateChecked(beta2), T.CreateChecked(1 - beta2),
                                       T.CreateChecked(biasCorrection2Sqrt), T.CreateChecked(eps), T.CreateChecked(-stepSize),
                                       T.CreateChecked(weightDecay), T.CreateChecked(1 - lr * weightDecay),
                                       decoupled, HasWeightDecay: weightDecay != 0, Amsgrad: maxExpAvgSq is not null, maximize);
            OptimizerKernels.Adam(parameter.Span<T>(), grad.Span<T>(), expAvg.Span<T>(), expAvgSq.Span<T>(),
                                  maxExpAvgSq is null ? default : maxExpAvgSq.Span<T>(), s);
        }
    }
}
