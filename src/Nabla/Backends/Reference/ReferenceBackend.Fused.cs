using Nabla.Backends.Cpu;

namespace Nabla.Backends.Reference;

// Dropout and a compiled graph's elementwise chains, element by element in double. The dropout decision is the op's
// definition, the counter hash of (seed, element) (CounterHash.Bits, its scalar form).
internal sealed partial class ReferenceBackend
{
    public Tensor Dropout(Tensor x, double p, ulong seed)
    {
        var result = Allocate(x.shape, x.DType, zeroed: false, "Dropout");
        uint key = CounterHash.Key(seed);
        var from = Positions(x, x.shape);
        Array s = x.storage.Data, d = result.storage.Data;
        for (int n = 0; n < from.Length; n++)
        {
            // u = the element's 24 hash bits read as a fraction in [0, 1); kept when u ≥ p, then scaled by 1/(1 − p). x·0 keeps NaN.
            double u = CounterHash.Bits(key, (uint)n) / (double)(1 << 24);
            WriteDouble(d, n, ReadDouble(s, from[n]) * (u >= p ? 1 / (1 - p) : 0));
        }
        return result;
    }

    public void UnaryChain(Tensor source, Tensor destination, ChainOp[] ops)
    {
        int[] from = Positions(source, source.shape), to = Positions(destination, destination.shape);
        Array s = source.storage.Data, d = destination.storage.Data;
        for (int i = 0; i < from.Length; i++)
        {
            double v = ReadDouble(s, from[i]);
            foreach (var op in ops)
                v = op switch
                {
                    ChainOp.Relu => double.IsNaN(v) ? v : Math.Max(v, 0),
                    ChainOp.Sigmoid => 1 / (1 + Math.Exp(-v)),
                    ChainOp.Tanh => Math.Tanh(v),
                    ChainOp.Neg => -v,
                    _ => Math.Exp(v),
                };
            WriteDouble(d, to[i], v);
        }
    }

    /// <summary>The elements of <paramref name="t"/> in row-major order, as doubles.</summary>
    static double[] Doubles(Tensor t)
    {
        var from = Positions(t, t.shape);
        var values = new double[from.Length];
        for (int i = 0; i < from.Length; i++) values[i] = ReadDouble(t.storage.Data, from[i]);
        return values;
    }

    /// <summary>A new contiguous tensor of <paramref name="shape"/> and <paramref name="dtype"/> holding <paramref name="values"/>, each rounded once.</summary>
    Tensor FromDoubles(double[] values, int[] shape, DType dtype, string op)
    {
        var result = Allocate(shape, dtype, zeroed: false, op);
        for (int i = 0; i < values.Length; i++) WriteDouble(result.storage.Data, i, values[i]);
        return result;
    }
}
