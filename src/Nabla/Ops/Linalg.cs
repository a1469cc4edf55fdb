using Nabla.Backends;

namespace Nabla;

/// <summary>
/// Dense linear algebra on (batches of) square matrices, like <c>torch.linalg</c>. Inputs are
/// [..., n, n] floating tensors; batch dims broadcast. Each op's backward is written with tensor
/// ops next to its forward, so Hessians through them work.
/// </summary>
public static class Linalg
{
    static (Tensor Matrix, int Batch, int N) Square(Tensor a, string op)
    {
        if (a.Rank < 2 || a.Shape[-1] != a.Shape[-2])
            throw new ShapeException($"{op}: expects a square matrix or a batch of them [..., n, n], got shape {a.Shape}.");
        if (!a.DType.IsFloatingPoint())
            throw new DTypeException($"{op}: expects a floating-point tensor, got {a.DType}.");
        int n = a.Shape[-1];
        int batch = 1;
        for (int i = 0; i < a.Rank - 2; i++) batch *= a.Shape[i];
        return (a.Detach().Contiguous(), batch, n);
    }

    /// <summary>The inverse A⁻¹ (<c>torch.linalg.inv</c>); a singular matrix raises an error naming the batch entry.</summary>
    public static Tensor Inv(Tensor a)
    {
        var (m, batch, n) = Square(a, "Linalg.Inv");
        var singular = new bool[batch];
        var result = Backend.Of(m).Inverse(m, batch, n, singular);
        int bad = Array.IndexOf(singular, true);
        if (bad >= 0) throw new ArgumentException($"Linalg.Inv: matrix {bad} of the batch (shape {a.Shape}) is singular and has no inverse.");
        // Y = A⁻¹: ∂L/∂A = −Yᵀ G Yᵀ
        if (Node.ShouldRecord(a)) Node.Record(result, "LinalgInvExBackward0", [a], g => [-result.MT.MatMul(g).MatMul(result.MT)], result);
        return result;
    }

    /// <summary>The determinant (<c>torch.linalg.det</c>), shape [...]. Its gradient det(A)·A⁻ᵀ is undefined (NaN) at singular A.</summary>
    public static Tensor Det(Tensor a)
    {
        var (m, batch, n) = Square(a, "Linalg.Det");
        var result = Backend.Of(m).Det(m, batch, n);
        // ∂det/∂A = det(A)·A⁻ᵀ
        if (Node.ShouldRecord(a))
        {
            Node.Record(result, "LinalgDetBackward0", [a], g =>
            {
                var inverse = Inv(a);
                return [(g * result).Unsqueeze(-1).Unsqueeze(-1) * inverse.MT];
            }, a, result);
        }
        return result;
    }

    /// <summary>
    /// Solves A X = B (<c>torch.linalg.solve</c>). B is [..., n, k], or a vector [..., n] when it has
    /// one dim fewer than A; batch dims broadcast.
    /// </summary>
    public static Tensor Solve(Tensor a, Tensor b)
    {
        Square(a, "Linalg.Solve");
        int n = a.Shape[-1];
        bool vector = b.Rank == 1 || (b.Rank == a.Rank - 1 && b.Shape.ToArray().AsSpan().SequenceEqual(a.Shape.ToArray().AsSpan(0, a.Rank - 1)));
        var rhs = vector ? b.Unsqueeze(-1) : b;
        if (rhs.Rank < 2 || rhs.Shape[-2] != n)
            throw new ShapeException($"Linalg.Solve: A of shape {a.Shape} and B of shape {b.Shape} are incompatible (B needs {n} rows).");
        var dtype = DTypes.Promote(a.DType, b.DType);
        var batchShape = Shape.Broadcast(a.Shape.ToArray()[..^2], rhs.Shape.ToArray()[..^2], "Linalg.Solve");
        int k = rhs.Shape[-1];
        var lu = a.Detach().To(dtype).Expand([.. batchShape, n, n]).Clone();
        var result = rhs.Detach().To(dtype).Expand([.. batchShape, n, k]).Clone();
        int batch = 1;
        foreach (int size in batchShape) batch *= size;
        var singular = new bool[batch];
        Backend.Of(lu).Solve(lu, result, batch, n, k, singular);
        int bad = Array.IndexOf(singular, true);
        if (bad >= 0) throw new ArgumentException($"Linalg.Solve: matrix {bad} of the batch (A of shape {a.Shape}) is singular.");
        if (Node.ShouldRecord(a, b))
        {
            bool needA = a.RequiresGrad, needB = rhs.RequiresGrad;
            var x = result;
            // X = A⁻¹B: B̄ = A⁻ᵀ G, Ā = −B̄ Xᵀ
            Node.Record(result, "LinalgSolveBackward0", [a, rhs], g =>
            {
                var gradB = Solve(a.MT, g);
                return [needA ? -gradB.MatMul(x.MT) : null, needB ? gradB : null];
            }, a, x);
        }
        return vector ? result.Squeeze(-1) : result;
    }

    /// <summary>
    /// Eigen-decomposition of symmetric matrices (<c>torch.linalg.eigh</c>), reading the lower triangle:
    /// eigenvalues ascending [..., n] and orthonormal eigenvectors as columns [..., n, n], each with
    /// its largest-magnitude component positive (PyTorch's signs are arbitrary).
    /// </summary>
    public static (Tensor Eigenvalues, Tensor Eigenvectors) EigH(Tensor a)
    {
        var (m, batch, n) = Square(a, "Linalg.EigH");
        var (values, vectors) = Backend.Of(m).EigH(m, batch, n);
        if (Node.ShouldRecord(a))
        {
            // Two outputs share one backward: eigenvalues' node gets (λ̄, 0), eigenvectors' node gets (0, V̄);
            // each uses Ā = V (diag(λ̄) + ½(VᵀV̄ − V̄ᵀV) ∘ F) Vᵀ, F_ij = 1/(λ_j − λ_i) off the diagonal.
            Tensor Backward(Tensor? gradValues, Tensor? gradVectors)
            {
                var inner = gradValues is null ? Tensor.ZerosLike(vectors) : DiagEmbed(gradValues);
                if (gradVectors is not null)
                {
                    var difference = values.Unsqueeze(-2) - values.Unsqueeze(-1); // [i, j] = λ_j − λ_i
                    var eye = Tensor.Eye(n, dtype: values.DType).To(values.Device);
                    var f = Tensor.Where(eye.Gt(0), Tensor.ZerosLike(difference), 1.0 / Tensor.Where(eye.Gt(0), Tensor.OnesLike(difference), difference));
                    var vtg = vectors.MT.MatMul(gradVectors);
                    inner = inner + (vtg - vtg.MT) * 0.5 * f;
                }
                return vectors.MatMul(inner).MatMul(vectors.MT);
            }
            Node.Record(values, "LinalgEighBackward0", [a], g => [Backward(g, null)], values, vectors);
            Node.Record(vectors, "LinalgEighBackward0", [a], g => [Backward(null, g)], values, vectors);
        }
        return (values, vectors);
    }

    /// <summary>Square matrices with <paramref name="diagonal"/> [..., n] on their diagonal (<c>torch.diag_embed</c>).</summary>
    public static Tensor DiagEmbed(Tensor diagonal)
    {
        int n = diagonal.Shape[-1];
        return diagonal.Unsqueeze(-1) * Tensor.Eye(n, dtype: diagonal.DType).To(diagonal.Device);
    }
}
