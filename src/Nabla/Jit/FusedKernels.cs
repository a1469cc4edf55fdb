using Nabla.Backends;
using Nabla.NN;

namespace Nabla.Jit;

/// <summary>
/// The fused graph nodes: a GEMM whose bias and activation are applied to its output while it is still in cache (no
/// second tensor), and chains of unary elementwise ops run in one pass over memory by the backend's
/// <see cref="IBackend.UnaryChain"/> (on the CPU block by block, each block going through every op while it sits in L1,
/// large tensors split over the worker pool as the eager elementwise ops are: a single-threaded pass left the other core
/// idle, which made the compiled LeNet slower than eager).
/// </summary>
internal static class FusedKernels
{
    /// <summary>
    /// activation(x Wᵀ + b): a 2-D float input goes through one GEMM whose store adds the bias and applies the activation
    /// (<see cref="Tensor.Addmm"/>); any other input through Linear, then the activation in place on its output.
    /// </summary>
    public static Tensor LinearActivation(Tensor input, Tensor weight, Tensor? bias, string activation)
    {
        var epilogue = EpilogueOf(activation);
        bool oneDType = input.DType is DType.Float32 or DType.Float64 && weight.DType == input.DType && (bias is null || bias.DType == input.DType);
        if (epilogue == Backends.Cpu.GemmActivation.None || !oneDType || input.Rank != 2 || weight.Rank != 2 || input.Size(1) != weight.Size(1)
            || bias is not null && (bias.Rank != 1 || bias.Size(0) != weight.Size(0)))
            return Activate(Functional.Linear(input, weight, bias), activation);
        return Tensor.Addmm(input, weight, bias, epilogue);
    }

    /// <summary>The GEMM store epilogue that applies the graph op <paramref name="activation"/>; None where the GEMM has none for it.</summary>
    internal static Backends.Cpu.GemmActivation EpilogueOf(string activation) => activation switch
    {
        GraphOps.Relu => Backends.Cpu.GemmActivation.Relu,
        GraphOps.Sigmoid => Backends.Cpu.GemmActivation.Sigmoid,
        GraphOps.Tanh => Backends.Cpu.GemmActivation.Tanh,
        _ => Backends.Cpu.GemmActivation.None,
    };

    /// <summary>The unary ops named in <paramref name="ops"/> (joined by ',') applied one after the other in one pass.</summary>
    public static Tensor ElementwiseChain(Tensor input, string ops)
    {
        var names = ops.Split(',');
        if (!input.DType.IsFloatingPoint() || input.DType != DType.Float32 && input.DType != DType.Float64)
        {
            var x = input;
            foreach (var name in names) x = GraphInterpreter.Activation(x, name);
            return x;
        }
        var source = input.Contiguous();
        var result = Tensor.Uninitialized(input.Shape.ToArray(), input.DType, "ElementwiseChain", input.Device);
        ApplyChain(source, result, names);
        return result;
    }

    /// <summary>activation(<paramref name="result"/>), written into it when it is a contiguous float tensor that nothing else reads.</summary>
    public static Tensor Activate(Tensor result, string activation)
    {
        if (!result.IsContiguous || result.DType is not (DType.Float32 or DType.Float64)) return GraphInterpreter.Activation(result, activation);
        ApplyChain(result, result, [activation]);
        return result;
    }

    /// <summary>destination = opₖ(… op₁(source)) over two contiguous tensors of the same size, on their device's backend.</summary>
    internal static void ApplyChain(Tensor source, Tensor destination, string[] ops) => ApplyChain(source, destination, ChainOps(ops));

    /// <summary>
    /// destination = opₖ(… op₁(source)) for ops already named by the backend (<see cref="ChainOps"/>, once per compiled plan):
    /// on the CPU this allocates nothing, as a compiled call must not.
    /// </summary>
    internal static void ApplyChain(Tensor source, Tensor destination, ChainOp[] ops) => Backend.Of(destination).UnaryChain(source, destination, ops);

    /// <summary>The backend's names for fusable graph ops.</summary>
    internal static ChainOp[] ChainOps(string[] ops) => Array.ConvertAll(ops, ChainOpNamed);

    /// <summary>The backend's name for a fusable graph op.</summary>
    static ChainOp ChainOpNamed(string op) => op switch
    {
        GraphOps.Relu => ChainOp.Relu,
        GraphOps.Sigmoid => ChainOp.Sigmoid,
        GraphOps.Tanh => ChainOp.Tanh,
        GraphOps.Neg => ChainOp.Neg,
        GraphOps.Exp => ChainOp.Exp,
        _ => throw new NotSupportedException($"Jit: {op} cannot be fused."),
    };
}
