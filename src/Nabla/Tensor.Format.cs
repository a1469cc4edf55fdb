using System.Globalization;
using System.Text;

namespace Nabla;

// ToString() in PyTorch's format: tensor([[1.0000, 2.0000], …], dtype=torch.float64, requires_grad=True)
public partial class Tensor
{
    const int SummarizeThreshold = 1000, EdgeItems = 3;

    /// <summary>Prints like PyTorch: values (elided with "..." past 1000 elements), then dtype when not
    /// Float32/Int64/Bool defaults, and requires_grad or grad_fn when set.</summary>
    public override string ToString()
    {
        var values = ToArray<double>();
        bool summarize = values.Length > SummarizeThreshold;
        var formatter = new ValueFormatter(this, values, summarize);
        var text = new StringBuilder("tensor(");
        if (NumElements == 0 && Rank <= 1) text.Append("[]");
        else if (Rank == 0) text.Append(formatter.Format(values[0]));
        else AppendDim(text, 0, 0, formatter, values, summarize, indent: 8);
        var suffix = new List<string>();
        if (NumElements == 0 && Rank > 1) suffix.Add("size=(" + string.Join(", ", shape) + ")");
        bool defaultType = DType is DType.Float32 or DType.Int64 or DType.Bool;
        if (!defaultType || (NumElements == 0 && DType != DType.Float32)) suffix.Add("dtype=" + DType.TorchName());
        if (gradFn != null) suffix.Add($"grad_fn=<{gradFn.Name}>");
        else if (RequiresGrad) suffix.Add("requires_grad=True");
        foreach (var s in suffix) text.Append(", ").Append(s);
        return text.Append(')').ToString();
    }

    void AppendDim(StringBuilder text, int dim, int flatStart, ValueFormatter formatter, double[] values, bool summarize, int indent)
    {
        text.Append('[');
        int size = shape[dim];
        int stride = 1;
        for (int d = dim + 1; d < Rank; d++) stride *= shape[d];
        var shown = summarize && size > 2 * EdgeItems
            ? Enumerable.Range(0, EdgeItems).Append(-1).Concat(Enumerable.Range(size - EdgeItems, EdgeItems))
            : Enumerable.Range(0, size);
        bool first = true;
        foreach (int i in shown)
        {
            if (!first)
            {
                text.Append(',');
                if (dim == Rank - 1) text.Append(' ');
                else text.Append('\n', Rank - 1 - dim).Append(' ', indent + dim);
            }
            first = false;
            if (i < 0) { text.Append("..."); continue; }
            if (dim == Rank - 1) text.Append(formatter.Format(values[flatStart + i]));
            else AppendDim(text, dim + 1, flatStart + i * stride, formatter, values, summarize, indent);
        }
        text.Append(']');
    }

    /// <summary>PyTorch's number formatting: integers plain; floats with 4 decimals, as "1." when all values are
    /// whole, or in scientific notation when the range is wide; all padded to one width.</summary>
    sealed class ValueFormatter
    {
        readonly bool isFloat, wholeNumbers, scientific;
        readonly int width;
        readonly DType dtype;

        public ValueFormatter(Tensor t, double[] values, bool summarize)
        {
            dtype = t.DType;
            isFloat = dtype.IsFloatingPoint();
            var finite = values.Where(double.IsFinite).Select(Math.Abs).ToArray();
            wholeNumbers = finite.All(v => v == Math.Floor(v));
            if (isFloat && finite.Length > 0 && !wholeNumbers)
            {
                double max = finite.Max(), min = finite.Where(v => v != 0).DefaultIfEmpty(max).Min();
                scientific = max / Math.Max(min, double.Epsilon) > 1000 || max > 1e8 || min < 1e-4;
            }
            else if (isFloat && finite.Length > 0 && finite.Max() > 1e8) scientific = true;
            width = values.Length == 0 ? 0 : values.Select(Raw).Max(s => s.Length);
            _ = summarize;
        }

        string Raw(double v)
        {
            if (dtype == DType.Bool) return v != 0 ? "True" : "False";
            if (!isFloat) return ((long)v).ToString(CultureInfo.InvariantCulture);
            if (double.IsNaN(v)) return "nan";
            if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
            if (scientific) return v.ToString("0.0000e+00", CultureInfo.InvariantCulture);
            if (wholeNumbers) return v.ToString("0", CultureInfo.InvariantCulture) + ".";
            return v.ToString("0.0000", CultureInfo.InvariantCulture);
        }

        public string Format(double v) => Raw(v).PadLeft(width);
    }
}
