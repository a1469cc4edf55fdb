namespace Nabla.Backends.Cpu;

// The linear-algebra entry points: LinearAlgebra's LU, determinant, inverse and symmetric eigen-solver, unchanged.
internal sealed partial class CpuBackend
{
    public Tensor Inverse(Tensor a, int batch, int n, bool[] singular)
    {
        var result = Allocate(a.shape, a.DType, zeroed: false, "Linalg.Inv");
        if (a.DType == DType.Float32) LinearAlgebra.Inverse<float>(a.HostSpan<float>(), result.HostSpan<float>(), batch, n, singular);
        else LinearAlgebra.Inverse<double>(a.HostSpan<double>(), result.HostSpan<double>(), batch, n, singular);
        return result;
    }

    public Tensor Det(Tensor a, int batch, int n)
    {
        var lu = Allocate(a.shape, a.DType, zeroed: false, "Linalg.Det");
        Copy(a, lu);
        var pivots = new int[batch * n];
        var singular = new bool[batch];
        var result = Allocate(a.shape[..^2], a.DType, zeroed: false, "Linalg.Det");
        if (a.DType == DType.Float32)
        {
            LinearAlgebra.LuFactor<float>(lu.HostSpan<float>(), batch, n, pivots, singular);
            LinearAlgebra.Determinant<float>(lu.HostSpan<float>(), pivots, result.HostSpan<float>(), batch, n);
        }
        else
        {
            LinearAlgebra.LuFactor<double>(lu.HostSpan<double>(), batch, n, pivots, singular);
            LinearAlgebra.Determinant<double>(lu.HostSpan<double>(), pivots, result.HostSpan<double>(), batch, n);
        }
        return result;
    }

    public void Solve(Tensor a, Tensor b, int batch, int n, int k, bool[] singular)
    {
        var pivots = new int[batch * n];
        if (a.DType == DType.Float32)
        {
            LinearAlgebra.LuFactor<float>(a.HostSpan<float>(), batch, n, pivots, singular);
            LinearAlgebra.LuSolve<float>(a.HostSpan<float>(), pivots, b.HostSpan<float>(), batch, n, k);
        }
        else
        {
            LinearAlgebra.LuFactor<double>(a.HostSpan<double>(), batch, n, pivots, singular);
            LinearAlgebra.LuSolve<double>(a.HostSpan<double>(), pivots, b.HostSpan<double>(), batch, n, k);
        }
    }

    public (Tensor Values, Tensor Vectors) EigH(Tensor a, int batch, int n)
    {
        var values = Allocate(a.shape[..^1], a.DType, zeroed: false, "Linalg.EigH");
        var vectors = Allocate(a.shape, a.DType, zeroed: false, "Linalg.EigH");
        if (a.DType == DType.Float32) LinearAlgebra.EigH<float>(a.HostSpan<float>(), values.HostSpan<float>(), vectors.HostSpan<float>(), batch, n);
        else LinearAlgebra.EigH<double>(a.HostSpan<double>(), values.HostSpan<double>(), vectors.HostSpan<double>(), batch, n);
        return (values, vectors);
    }
}
