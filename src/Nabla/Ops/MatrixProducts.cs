using Nabla.Jit;
using Nabla.Backends.Cpu;

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
    /// its packing and adds onto the bias rows; the backward computes ∂L/∂W = gᵀx straight into W's [out, in]
    /// layout (through <see cref="MatMul"/> of a <c>W.T</c> view it would arrive transposed and need a strided copy),
    /// ∂L/∂x = gW and ∂L/∂b = Σₙ g, each a differentiable op, so higher derivatives work as for MatMul.
    /// </summary>
    internal static Tensor Addmm(Tensor x, Tensor weight, Tensor? bias)
    {
        int n = x.shape[0], inFeatures = x.shape[1], outFeatures = weight.shape[0];
        var result = Uninitialized([n, outFeatures], x.DType, "Linear");
        if (result.Count > 0)
        {
            if (bias is not null) result.FillRows(bias);
            if (n <= 2 && x.IsContiguous && weight.IsContiguous) MatrixVector(x, weight, result, accumulate: bias is not null);
            else GemmBatched(x, weight.Detach().MT, result, accumulate: bias is not null); // a view for the kernel, not a graph node
        }
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        if (Node.ShouldRecord(inputs))
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

    /// <summary>
    /// result[i] (+)= W·x[i] for the one or two rows of a batch-1 linear layer: weight rows read in place (<see cref="Gemv"/>),
    /// not packed as the GEMM would on every call.
    /// </summary>
    static unsafe void MatrixVector(Tensor x, Tensor weight, Tensor result, bool accumulate)
    {
        int n = x.shape[0], inFeatures = x.shape[1], outFeatures = weight.shape[0];
        if (x.DType == DType.Float32)
        {
            if (!accumulate) result.Span<float>().Clear();
            fixed (float* xp = &x.Data<float>()[x.offset], wp = &weight.Data<float>()[weight.offset], yp = result.Data<float>())
                for (int i = 0; i < n; i++) Gemv.Accumulate(xp + (long)i * inFeatures, wp, outFeatures, inFeatures, yp + (long)i * outFeatures);
        }
        else
        {
            if (!accumulate) result.Span<double>().Clear();
            fixed (double* xp = &x.Data<double>()[x.offset], wp = &weight.Data<double>()[weight.offset], yp = result.Data<double>())
                for (int i = 0; i < n; i++) Gemv.Accumulate(xp + (long)i * inFeatures, wp, outFeatures, inFeatures, yp + (long)i * outFeatures);
        }
    }

    /// <summary>Copies the 1-D <paramref name="row"/> into every row of this contiguous 2-D tensor.</summary>
    void FillRows(Tensor row)
    {
        int columns = shape[1];
        var source = row.Detach().Contiguous();
        void Fill(int start, int end)
        {
            for (int r = start; r < end; r++)
                Array.Copy(source.storage.Data, source.offset, storage.Data, offset + ((long)r * columns), columns);
        }
        // A large output (a language model's [tokens, vocabulary] logits) is filled by the worker pool.
        if (Count < ParallelElements) Fill(0, shape[0]);
        else WorkerPool.For(shape[0], Math.Max(1, ChunkElements / Math.Max(1, columns)), Fill);
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
        var result = Uninitialized([.. batch, n, m], computeType, op);
        if (result.Count > 0) GemmBatched(x, y, result);
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

    /// <summary>
    /// Runs the GEMM once per batch entry on strided views (transposes cost nothing), into the contiguous
    /// <paramref name="result"/>, or adding to it when <paramref name="accumulate"/>.
    /// </summary>
    static unsafe void GemmBatched(Tensor x, Tensor y, Tensor result, bool accumulate = false)
    {
        int rank = result.Rank;
        int n = result.shape[^2], m = result.shape[^1], k = x.shape[^1];
        int batchCount = result.Count / Math.Max(n * m, 1);
        var batchShape = result.shape[..^2];
        // Offsets of batch entry i in x, y and the result, unravelling i over the batch dims.
        // (A RowLayout over [..batch, 1] would drop the size-1 dim and make the batch dims its row.)
        (int X, int Y, int Result) Offsets(int i)
        {
            int ox = x.offset, oy = y.offset, or = result.offset;
            for (int d = batchShape.Length - 1; d >= 0; d--)
            {
                int index = i % batchShape[d];
                i /= batchShape[d];
                ox += index * x.strides[d];
                oy += index * y.strides[d];
                or += index * result.strides[d];
            }
            return (ox, oy, or);
        }
        if (result.DType == DType.Float32)
        {
            fixed (float* px = x.Data<float>(), py = y.Data<float>(), pr = result.Data<float>())
                for (int i = 0; i < batchCount; i++)
                {
                    var (ox, oy, or) = Offsets(i);
                    Gemm.Sgemm(n, m, k, px + ox, x.strides[^2], x.strides[^1], py + oy, y.strides[^2], y.strides[^1], pr + or, m, accumulate);
                }
        }
        else
        {
            if (!accumulate) result.Span<double>().Clear();
            fixed (double* px = x.Data<double>(), py = y.Data<double>(), pr = result.Data<double>())
                for (int i = 0; i < batchCount; i++)
                {
                    var (ox, oy, or) = Offsets(i);
                    Gemm.Dgemm(n, m, k, px + ox, x.strides[^2], x.strides[^1], py + oy, y.strides[^2], y.strides[^1], pr + or, m, accumulate);
                }
        }
        _ = rank;
    }
}
