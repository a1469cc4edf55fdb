using System.Numerics;
using Nabla.Backends.Cpu;

namespace Nabla.Backends.Reference;

// An optimizer step: the optimizer's rule is its one definition (written once beside its formula, on vectors), so the
// reference runs that rule itself, over the whole tensor on one thread.
internal sealed partial class ReferenceBackend
{
    public void OptimizerUpdate<T, TUpdate>(in TUpdate update, Tensor parameter, Tensor grad, Tensor? a, Tensor? b, Tensor? c)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TUpdate : struct, IVectorUpdate<T> =>
        OptimizerKernels.Run(update, parameter.HostSpan<T>(), grad.HostSpan<T>(), State<T>(a), State<T>(b), State<T>(c));

    static Span<T> State<T>(Tensor? t) => t is null ? default : t.HostSpan<T>();
}
