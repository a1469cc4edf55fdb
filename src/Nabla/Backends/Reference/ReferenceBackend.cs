using System.Numerics;
using Nabla.Backends.Cpu;

namespace Nabla.Backends.Reference;

/// <summary>
/// The reference backend (<see cref="Device.Reference"/>): every op as the plainest loop that
/// computes it — one element at a time from its defining scalar formula, one thread, Float32
/// computed in double and rounded once, sums and dot products accumulated in double. It shares
/// no kernel code with the CPU backend beyond the ops' scalar definitions, so tests can use it as
/// the oracle for the vectorised, blocked, multi-threaded kernels. It is slow on purpose.
/// </summary>
internal sealed partial class ReferenceBackend : IBackend
{
    /// <summary>The one instance.</summary>
    public static readonly ReferenceBackend Instance = new();

    ReferenceBackend() { }

    public Device Device => Device.Reference;

    public Tensor Allocate(int[] shape, DType dtype, bool zeroed, string op) => zeroed
        ? Tensor.OfStorage(Storage.Allocate(dtype, Shape.CheckedNumel(shape, op), Device.Reference), shape)
        : Tensor.Uninitialized(shape, dtype, op, Device.Reference);

    /// <summary>The storage index of each element of <paramref name="t"/> broadcast to <paramref name="shape"/>, in row-major order.</summary>
    static int[] Positions(Tensor t, int[] shape)
    {
        var strides = t.BroadcastStrides(shape);
        int count = Shape.CheckedNumel(shape, "Reference");
        var positions = new int[count];
        var index = new int[shape.Length];
        int position = t.offset;
        for (int i = 0; i < count; i++)
        {
            positions[i] = position;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                index[d]++;
                position += strides[d];
                if (index[d] < shape[d]) break;
                position -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
        return positions;
    }

    public void Copy(Tensor source, Tensor destination)
    {
        var from = Positions(source, destination.shape);
        var to = Positions(destination, destination.shape);
        Array s = source.storage.Data, d = destination.storage.Data;
        bool integral = !source.DType.IsFloatingPoint() && !destination.DType.IsFloatingPoint();
        for (int i = 0; i < from.Length; i++)
        {
            // Integers go through long (no rounding); anything else through double, truncated toward zero for an integer destination.
            if (integral) WriteLong(d, to[i], ReadLong(s, from[i]));
            else WriteDouble(d, to[i], ReadDouble(s, from[i]));
        }
    }

    public Tensor Unary<TOp>(Tensor x) where TOp : IFloatRow => Map(x, TOp.Scalar);

    public Tensor LeakyRelu(Tensor x, double negativeSlope) => Map(x, v => v > 0 ? v : v * negativeSlope);

    public Tensor Elu(Tensor x, double alpha) => Map(x, v => v > 0 ? v : alpha * (Math.Exp(v) - 1));

    Tensor Map(Tensor x, Func<double, double> f)
    {
        var result = Allocate(x.shape, x.DType, zeroed: false, "Reference");
        var from = Positions(x, x.shape);
        Array s = x.storage.Data, d = result.storage.Data;
        for (int i = 0; i < from.Length; i++) WriteDouble(d, i, f(ReadDouble(s, from[i])));
        return result;
    }

    public Tensor LeakyReluBackward(Tensor g, Tensor x, double negativeSlope)
    {
        var result = Allocate(g.shape, g.DType, zeroed: false, "LeakyReluBackward");
        int[] gp = Positions(g, g.shape), xp = Positions(x, g.shape);
        Array gs = g.storage.Data, xs = x.storage.Data, d = result.storage.Data;
        for (int i = 0; i < gp.Length; i++)
        {
            double gradient = ReadDouble(gs, gp[i]);
            WriteDouble(d, i, ReadDouble(xs, xp[i]) > 0 ? gradient : gradient * negativeSlope);
        }
        return result;
    }

    public Tensor ActivationBackward<TGradient>(Tensor g, Tensor y) where TGradient : IActivationGradient
    {
        var result = Allocate(g.shape, g.DType, zeroed: false, "ActivationBackward");
        int[] gp = Positions(g, g.shape), yp = Positions(y, g.shape);
        Array gs = g.storage.Data, ys = y.storage.Data, d = result.storage.Data;
        for (int i = 0; i < gp.Length; i++) WriteDouble(d, i, TGradient.Scalar(ReadDouble(gs, gp[i]), ReadDouble(ys, yp[i])));
        return result;
    }

    public Tensor Binary<TOp>(Tensor a, Tensor b, int[] shape) where TOp : IArithmeticRow
    {
        var result = Allocate(shape, a.DType, zeroed: false, "Binary");
        switch (a.DType)
        {
            case DType.Float32: BinaryLoop<float, double, TOp>(a, b, result); break;
            case DType.Float64: BinaryLoop<double, double, TOp>(a, b, result); break;
            case DType.Int64: BinaryLoop<long, long, TOp>(a, b, result); break;
            case DType.Int32: BinaryLoop<int, int, TOp>(a, b, result); break;
            default: BinaryLoop<byte, byte, TOp>(a, b, result); break;
        }
        return result;
    }

    /// <summary>d = f(a, b) element by element, computed in <typeparamref name="TCompute"/> (double for floats).</summary>
    static void BinaryLoop<T, TCompute, TOp>(Tensor a, Tensor b, Tensor result)
        where T : unmanaged, INumber<T> where TCompute : unmanaged, INumber<TCompute> where TOp : IArithmeticRow
    {
        int[] ap = Positions(a, result.shape), bp = Positions(b, result.shape);
        T[] x = a.HostData<T>(), y = b.HostData<T>(), d = result.HostData<T>();
        for (int i = 0; i < ap.Length; i++)
            d[i] = T.CreateTruncating(TOp.Scalar(TCompute.CreateTruncating(x[ap[i]]), TCompute.CreateTruncating(y[bp[i]])));
    }

    public Tensor Pow(Tensor a, Tensor b, int[] shape)
    {
        var result = Allocate(shape, a.DType, zeroed: false, "Pow");
        int[] ap = Positions(a, shape), bp = Positions(b, shape);
        Array x = a.storage.Data, y = b.storage.Data, d = result.storage.Data;
        for (int i = 0; i < ap.Length; i++) WriteDouble(d, i, Math.Pow(ReadDouble(x, ap[i]), ReadDouble(y, bp[i])));
        return result;
    }

    public Tensor Compare<TOp>(Tensor a, Tensor b, int[] shape) where TOp : ICompareRow
    {
        var result = Allocate(shape, DType.Bool, zeroed: false, "Compare");
        int[] ap = Positions(a, shape), bp = Positions(b, shape);
        Array x = a.storage.Data, y = b.storage.Data;
        var d = result.HostData<bool>();
        bool floating = a.DType.IsFloatingPoint();
        for (int i = 0; i < ap.Length; i++)
            d[i] = floating ? TOp.Compare(ReadDouble(x, ap[i]), ReadDouble(y, bp[i])) : TOp.Compare(ReadLong(x, ap[i]), ReadLong(y, bp[i]));
        return result;
    }

    public Tensor Where(Tensor condition, Tensor x, Tensor y, int[] shape)
    {
        var result = Allocate(shape, x.DType, zeroed: false, "Where");
        int[] cp = Positions(condition, shape), xp = Positions(x, shape), yp = Positions(y, shape);
        var c = condition.HostData<bool>();
        for (int i = 0; i < cp.Length; i++)
        {
            if (c[cp[i]]) Array.Copy(x.storage.Data, xp[i], result.storage.Data, i, 1);
            else Array.Copy(y.storage.Data, yp[i], result.storage.Data, i, 1);
        }
        return result;
    }

    public Tensor Sum(Tensor data, int outer, int reduce, int inner, int[] resultShape)
    {
        if (data.DType is not (DType.Float32 or DType.Float64 or DType.Int64 or DType.Int32))
            throw new DTypeException($"Sum: cannot accumulate in {data.DType}.");
        var result = Allocate(resultShape, data.DType, zeroed: false, "Sum");
        Array s = data.storage.Data, d = result.storage.Data;
        bool floating = data.DType.IsFloatingPoint();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                double sum = 0;
                long integerSum = 0;
                for (int r = 0; r < reduce; r++)
                {
                    int position = data.offset + (o * reduce + r) * inner + j;
                    if (floating) sum += ReadDouble(s, position);
                    else integerSum += ReadLong(s, position);
                }
                if (floating) WriteDouble(d, o * inner + j, sum);
                else WriteLong(d, o * inner + j, integerSum);
            }
        return result;
    }

    public Tensor Prod(Tensor data, int outer, int reduce, int[] resultShape)
    {
        var result = Allocate(resultShape, data.DType, zeroed: false, "Prod");
        Array s = data.storage.Data, d = result.storage.Data;
        bool floating = data.DType.IsFloatingPoint();
        for (int o = 0; o < outer; o++)
        {
            double product = 1;
            long integerProduct = 1;
            for (int r = 0; r < reduce; r++)
            {
                int position = data.offset + o * reduce + r;
                if (floating) product *= ReadDouble(s, position);
                else integerProduct = unchecked(integerProduct * ReadLong(s, position));
            }
            if (floating) WriteDouble(d, o, product);
            else WriteLong(d, o, integerProduct);
        }
        return result;
    }

    public Tensor ArgExtremum(Tensor data, int outer, int reduce, int[] resultShape, bool max)
    {
        var indices = Allocate(resultShape, DType.Int64, zeroed: false, max ? "Max" : "Min");
        var d = indices.HostData<long>();
        Array s = data.storage.Data;
        for (int o = 0; o < outer; o++)
        {
            int best = 0;
            double bestValue = ReadDouble(s, data.offset + o * reduce);
            for (int r = 1; r < reduce && !double.IsNaN(bestValue); r++)
            {
                double value = ReadDouble(s, data.offset + o * reduce + r);
                if (double.IsNaN(value) || (max ? value > bestValue : value < bestValue)) (best, bestValue) = (r, value);
            }
            d[o] = best;
        }
        return indices;
    }

    public Tensor CumSum(Tensor source, int outer, int n, int inner)
    {
        var result = Allocate(source.shape, source.DType, zeroed: false, "CumSum");
        Array s = source.storage.Data, d = result.storage.Data;
        bool floating = source.DType.IsFloatingPoint();
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                double sum = 0;
                long integerSum = 0;
                for (int k = 0; k < n; k++)
                {
                    int position = (o * n + k) * inner + j;
                    if (floating) WriteDouble(d, position, sum += ReadDouble(s, source.offset + position));
                    else WriteLong(d, position, integerSum += ReadLong(s, source.offset + position));
                }
            }
        return result;
    }

    public Tensor Softmax(Tensor rows, int n, bool log)
    {
        var output = Allocate(rows.shape, rows.DType, zeroed: false, log ? "LogSoftmax" : "Softmax");
        Array s = rows.storage.Data, d = output.storage.Data;
        for (int r = 0; r < output.Count / Math.Max(n, 1); r++)
        {
            int first = rows.offset + r * n;
            // softmax xᵢ = e^(xᵢ − m) / Σ e^(xⱼ − m) with m the row's max (0 for an all −∞ row, which then gives NaN, as PyTorch)
            double m = double.NegativeInfinity;
            for (int i = 0; i < n; i++) m = Math.Max(m, ReadDouble(s, first + i));
            if (double.IsNegativeInfinity(m)) m = 0;
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Exp(ReadDouble(s, first + i) - m);
            for (int i = 0; i < n; i++)
            {
                double shifted = ReadDouble(s, first + i) - m;
                WriteDouble(d, r * n + i, log ? shifted - Math.Log(sum) : Math.Exp(shifted) / sum);
            }
        }
        return output;
    }

    public long? Gather(Tensor source, int dim, Tensor index, Tensor result)
    {
        var positions = Positions(index, index.shape);
        var idx = index.HostData<long>();
        int size = source.shape[dim];
        var at = new int[index.Rank];
        for (int i = 0; i < positions.Length; i++, Next(at, index.shape))
        {
            long k = idx[positions[i]];
            if (k < 0) k += size;
            if (k < 0 || k >= size) return idx[positions[i]];
            int from = source.offset + (int)k * source.strides[dim];
            for (int a = 0; a < at.Length; a++) if (a != dim) from += at[a] * source.strides[a];
            Array.Copy(source.storage.Data, from, result.storage.Data, result.offset + i, 1);
        }
        return null;
    }

    public long? IndexSelect(Tensor source, int dim, Tensor index, Tensor result)
    {
        var picks = index.HostData<long>();
        for (int i = 0; i < index.Count; i++)
            if (picks[index.offset + i] < 0) return picks[index.offset + i]; // out of range for index_select, unlike gather
        return Gather(source, dim, Tensor.IndexAlong(index, dim, result.shape), result);
    }

    public long? Scatter(Tensor target, int dim, Tensor index, Tensor values, bool accumulate)
    {
        int[] positions = Positions(index, index.shape), valuePositions = Positions(values, index.shape);
        var idx = index.HostData<long>();
        int size = target.shape[dim];
        var at = new int[index.Rank];
        Array t = target.storage.Data, v = values.storage.Data;
        bool floating = target.DType.IsFloatingPoint();
        for (int i = 0; i < positions.Length; i++, Next(at, index.shape))
        {
            long k = idx[positions[i]];
            if (k < 0) k += size;
            if (k < 0 || k >= size) return idx[positions[i]];
            int to = target.offset + (int)k * target.strides[dim];
            for (int a = 0; a < at.Length; a++) if (a != dim) to += at[a] * target.strides[a];
            if (!accumulate) Array.Copy(v, valuePositions[i], t, to, 1);
            else if (floating) WriteDouble(t, to, ReadDouble(t, to) + ReadDouble(v, valuePositions[i]));
            else WriteLong(t, to, ReadLong(t, to) + ReadLong(v, valuePositions[i]));
        }
        return null;
    }

    /// <summary>Steps a row-major multi-index over <paramref name="shape"/>.</summary>
    static void Next(int[] index, int[] shape)
    {
        for (int d = index.Length - 1; d >= 0; d--)
        {
            if (++index[d] < shape[d]) return;
            index[d] = 0;
        }
    }

    public void MatMul(Tensor x, Tensor y, Tensor result, bool accumulate)
    {
        int n = result.shape[^2], m = result.shape[^1], k = x.shape[^1];
        var batchShape = result.shape[..^2];
        // One [..batch] position per batch entry of each operand (its [n, k] or [k, m] matrix's corner).
        int[] xBatch = Positions(Corner(x), batchShape), yBatch = Positions(Corner(y), batchShape), rBatch = Positions(Corner(result), batchShape);
        Array xs = x.storage.Data, ys = y.storage.Data, rs = result.storage.Data;
        for (int b = 0; b < rBatch.Length; b++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++)
                {
                    int target = rBatch[b] + i * result.strides[^2] + j * result.strides[^1];
                    double sum = accumulate ? ReadDouble(rs, target) : 0;
                    for (int p = 0; p < k; p++)
                        sum += ReadDouble(xs, xBatch[b] + i * x.strides[^2] + p * x.strides[^1]) * ReadDouble(ys, yBatch[b] + p * y.strides[^2] + j * y.strides[^1]);
                    WriteDouble(rs, target, sum);
                }

        // The batch dims of t as a tensor view (the last two dims dropped), for Positions.
        static Tensor Corner(Tensor t) => Tensor.View(t.storage, t.shape[..^2], t.strides[..^2], t.offset);
    }

    public void Linear(Tensor x, Tensor weight, Tensor? bias, GemmActivation activation, Tensor result)
    {
        int n = result.shape[0], m = result.shape[1], k = x.shape[1];
        Array xs = x.storage.Data, ws = weight.storage.Data, rs = result.storage.Data;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double sum = bias is null ? 0 : ReadDouble(bias.storage.Data, bias.offset + j * bias.strides[0]);
                for (int p = 0; p < k; p++)
                    sum += ReadDouble(xs, x.offset + i * x.strides[0] + p * x.strides[1]) * ReadDouble(ws, weight.offset + j * weight.strides[0] + p * weight.strides[1]);
                double value = activation switch
                {
                    GemmActivation.Relu => sum > 0 || double.IsNaN(sum) ? sum : 0,
                    GemmActivation.Sigmoid => 1 / (1 + Math.Exp(-sum)),
                    GemmActivation.Tanh => Math.Tanh(sum),
                    GemmActivation.Gelu => sum * 0.5 * (1 + RowOps.ErrorFunction(sum / Math.Sqrt(2))),
                    _ => sum,
                };
                WriteDouble(rs, result.offset + i * result.strides[0] + j * result.strides[1], value);
            }
    }

    static double ReadDouble(Array data, int i) => data switch
    {
        float[] a => a[i],
        double[] a => a[i],
        long[] a => a[i],
        int[] a => a[i],
        byte[] a => a[i],
        bool[] a => a[i] ? 1 : 0,
        _ => throw new NotSupportedException(data.GetType().Name),
    };

    static long ReadLong(Array data, int i) => data switch
    {
        long[] a => a[i],
        int[] a => a[i],
        byte[] a => a[i],
        bool[] a => a[i] ? 1 : 0,
        _ => (long)ReadDouble(data, i),
    };

    static void WriteDouble(Array data, int i, double value)
    {
        switch (data)
        {
            case float[] a: a[i] = (float)value; break;
            case double[] a: a[i] = value; break;
            case bool[] a: a[i] = value != 0; break;
            default: WriteLong(data, i, (long)Math.Truncate(value)); break;
        }
    }

    static void WriteLong(Array data, int i, long value)
    {
        switch (data)
        {
            case long[] a: a[i] = value; break;
            case int[] a: a[i] = unchecked((int)value); break;
            case byte[] a: a[i] = unchecked((byte)value); break;
            case bool[] a: a[i] = value != 0; break;
            case float[] a: a[i] = value; break;
            case double[] a: a[i] = value; break;
        }
    }
}
