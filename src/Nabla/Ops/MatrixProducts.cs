using Nabla.Jit;

namespace Nabla;

// Matrix products: MatMul (PyTorch's 1-D/2-D/batched/broadcast rules), Bmm, Dot, Outer.
public partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch's rules (<c>torch.matmul</c>): 1-D·1-D is a dot product; a 1-D
    /// operand is treated as a row (left) or column (right) vector and that dim removed afterwards;
    /// dims before the last two are batch dims and broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        if (Rank == 0 || other.Rank == 0)
            throw new ShapeException($"MatMul: both arguments need at least 1 dim, got shapes {Shape} and {other.Shape}.");
        if (Rank == 1 && other.Rank == 1)
        {
            if (shape[0] != other.shape[0]) throw new ShapeException($"MatMul: 1-D tensors of sizes {shape[0]} and {other.shape[0]} cannot be multiplied.");
            return Dot(other);
        }
        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(-1) : other;
        var result = BatchedMatMul(a, b, "MatMul");
        if (Rank == 1) result = result.Squeeze(-2);
        if (other.Rank == 1) result = result.Squeeze(-1);
        Tracer.Record(GraphOps.MatMul, result, [this, other]);
        return result;
    }

    /// <summary>Matrix product operator for <see cref="MatMul"/> is not in C#; use <c>a.MatMul(b)</c>. This is <c>torch.mm</c> for 2-D inputs.</summary>
    public Tensor Mm(Tensor other)
    {
        if (Rank != 2 || other.Rank != 2) throw new ShapeException($"Mm: expects 2-D tensors, got shapes {Shape} and {other.Shape}.");
        return BatchedMatMul(this, other, "Mm");
    }

    /// <summary>Batched matrix product of [B, n, k] and [B, k, m] (<c>torch.bmm</c>), no broadcasting.</summary>
    public Tensor Bmm(Tensor other)
    {
        if (Rank != 3 || other.Rank != 3 || shape[0] != other.shape[0])
            throw new ShapeException($"Bmm: expects 3-D tensors with equal batch sizes, got shapes {Shape} and {other.Shape}.");
        return BatchedMatMul(this, other, "Bmm");
    }

    /// <summary>Dot product of two 1-D tensors (<c>torch.dot</c>).</summary>
    public Tensor Dot(Tensor other)
    {
        if (Rank != 1 || other.Rank != 1 || shape[0] != other.shape[0])
            throw new ShapeException($"Dot: expects two 1-D tensors of the same size, got shapes {Shape} and {other.Shape}.");
        return (this * other).Sum();
    }

    /// <summary>Outer product of two 1-D tensors (<c>torch.outer</c>).</summary>
    public Tensor Outer(Tensor other)
    {
        if (Rank != 1 || other.Rank != 1) throw new ShapeException($"Outer: expects two 1-D tensors, got shapes {Shape} and {other.Shape}.");
        return Unsqueeze(1) * other.Unsqueeze(0);
    }

    /// <summary>
    /// x·Wᵀ + b for a 2-D input [n, in], a weight [out, in] and an optional bias [out], all of one floating
    /// dtype: the op behind <c>F.linear</c> (PyTorch's <c>addmm(b, x, W.t())</c>). One GEMM reads W transposed in
    /// its packing and adds the bias as it stores each tile (the backend's <c>Linear</c>); the backward computes
    /// ∂L/∂W = gᵀx straight into W's [out, in] layout (through <see cref="MatMul"/> of a <c>W.T</c> view it would arrive
    /// transposed and need a strided copy), ∂L/∂x = gW and ∂L/∂b = Σₙ g, each a differentiable op, so higher
    /// derivatives work as for MatMul. With an <paramref name="activation"/> (the jit's fused linear node) the GEMM
    /// applies it in the same store; where autograd records, the activation is its own op instead, for its backward.
    /// </summary>
    internal static Tensor Addmm(Tensor x, Tensor weight, Tensor? bias, Backends.Cpu.GemmActivation activation = Backends.Cpu.GemmActivation.None)
    {
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        bool record = Node.ShouldRecord(inputs);
        if (activation != Backends.Cpu.GemmActivation.None && record)
        {
            var linear = Addmm(x, weight, bias);
            return activation switch
            {
                Backends.Cpu.GemmActivation.Relu => linear.Relu(),
                Backends.Cpu.GemmActivation.Sigmoid => linear.Sigmoid(),
                Backends.Cpu.GemmActivation.Tanh => linear.Tanh(),
                _ => linear.Gelu(),
            };
        }
        int n = x.shape[0], outFeatures = weight.shape[0];
        var backend = bias is null ? Backends.Backend.Of("Linear", x, weight) : Backends.Backend.Of("Linear", x, weight, bias);
        var result = backend.Allocate([n, outFeatures], x.DType, zeroed: false, "Linear");
        if (result.Count > 0) backend.Linear(x, weight, bias, activation, result); // the backend only reads storage: no graph node
        if (record)
        {
            bool needX = x.RequiresGrad, needW = weight.RequiresGrad, needB = bias?.RequiresGrad ?? false;
            Node.Record(result, "AddmmBackward0", inputs, g =>
            {
                var gx = needX ? BatchedMatMul(g, weight, "Linear") : null;
                var gw = needW ? BatchedMatMul(g.MT, x, "Linear") : null;
                return bias is null ? [gx, gw] : [gx, gw, needB ? g.Sum(0) : null];
            }, x, weight);
        }
        return result;
    }

    static Tensor BatchedMatMul(Tensor a, Tensor b, string op)
    {
        int n = a.shape[^2], k = a.shape[^1], k2 = b.shape[^2], m = b.shape[^1];
        if (k != k2)
            throw new ShapeException($"{op}: shapes {a.Shape} and {b.Shape} cannot be multiplied ({k} ≠ {k2}).");
        var batch = Shape.Broadcast(a.shape[..^2], b.shape[..^2], op);
        var dtype = DTypes.Promote(a.DType, b.DType);
        if (dtype == DType.Bool) throw new DTypeException($"{op}: not defined for Bool tensors.");
        var computeType = dtype.IsFloatingPoint() ? dtype : DType.Float64;
        var x = a.ToDTypeIfNeeded(computeType).Expand([.. batch, n, k]);
        var y = b.ToDTypeIfNeeded(computeType).Expand([.. batch, k, m]);
        var backend = Backends.Backend.Of(op, x, y);
        var result = backend.Allocate([.. batch, n, m], computeType, zeroed: false, op);
        if (result.Count > 0) backend.MatMul(x, y, result, accumulate: false);
        if (computeType != dtype) result = result.ToDType(dtype);
        if (Node.ShouldRecord(a, b))
        {
            bool needA = a.RequiresGrad, needB = b.RequiresGrad;
            // C = AB: ∂L/∂A = G Bᵀ, ∂L/∂B = Aᵀ G (batch broadcasting is summed away by the engine)
            Node.Record(result, op + "Backward0", [a, b], g => [
                needA ? BatchedMatMul(g, b.MT, op) : null,
                needB ? BatchedMatMul(a.MT, g, op) : null,
            ], a, b);
        }
        return result;
    }
}
