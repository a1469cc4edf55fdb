using System.Globalization;
using System.Text;

namespace Nabla;

// ToString() in PyTorch's format (torch/_tensor_str.py): the same number formatter, elision with
// "..." past 1000 elements (3 edge items), lines wrapped at 80 characters, and the suffixes.
public partial class Tensor
{
    const int SummarizeThreshold = 1000, EdgeItems = 3, LineWidth = 80, Precision = 4;

    /// <summary>Prints like PyTorch: <c>tensor([[1.0000, 2.5000], …], dtype=torch.float64, requires_grad=True)</c>.</summary>
    public override string ToString()
    {
        const string prefix = "tensor(";
        var data = Detach();
        bool summarize = NumElements > SummarizeThreshold;
        var text = new StringBuilder(prefix);
        if (NumElements == 0) text.Append("[]");
        else
        {
            var formatter = new Formatter(summarize ? Summarized(data) : data.Reshape(-1).ToArray<double>(), DType);
            text.Append(Render(data, prefix.Length, summarize, formatter));
        }
        var suffix = new List<string>();
        if (NumElements == 0 && Rank != 1) suffix.Add("size=(" + string.Join(", ", shape) + (Rank == 1 ? ",)" : ")"));
        bool defaultType = DType is DType.Float32 or DType.Int64 or DType.Bool;
        if (!defaultType) suffix.Add("dtype=" + DType.TorchName());
        if (gradFn != null) suffix.Add($"grad_fn=<{gradFn.Name}>");
        else if (RequiresGrad) suffix.Add("requires_grad=True");
        foreach (var s in suffix) text.Append(", ").Append(s);
        return text.Append(')').ToString();
    }

    /// <summary>The values a summarized print shows (edge items of every dim), for the formatter's width.</summary>
    static double[] Summarized(Tensor t)
    {
        if (t.Rank == 0) return t.ToArray<double>();
        if (t.Rank == 1)
            return t.shape[0] > 2 * EdgeItems
                ? [.. t.Slice(0, 0, EdgeItems).ToArray<double>(), .. t.Slice(0, t.shape[0] - EdgeItems, t.shape[0]).ToArray<double>()]
                : t.ToArray<double>();
        var rows = t.shape[0] > 2 * EdgeItems
            ? Enumerable.Range(0, EdgeItems).Concat(Enumerable.Range(t.shape[0] - EdgeItems, EdgeItems))
            : Enumerable.Range(0, t.shape[0]);
        return rows.SelectMany(i => Summarized(t.Select(0, i))).ToArray();
    }

    static string Render(Tensor t, int indent, bool summarize, Formatter formatter)
    {
        if (t.Rank == 0) return formatter.Format(t.Item<double>());
        if (t.Rank == 1)
        {
            var values = t.ToArray<double>();
            var items = summarize && values.Length > 2 * EdgeItems
                ? values[..EdgeItems].Select(formatter.Format).Append(" ...").Concat(values[^EdgeItems..].Select(formatter.Format)).ToList()
                : values.Select(formatter.Format).ToList();
            int perLine = Math.Max(1, (LineWidth - indent) / (formatter.Width + 2));
            var lines = items.Chunk(perLine).Select(line => string.Join(", ", line));
            return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
        }
        int size = t.shape[0];
        var slices = summarize && size > 2 * EdgeItems
            ? Enumerable.Range(0, EdgeItems).Select(i => Render(t.Select(0, i), indent + 1, summarize, formatter))
                .Append("...")
                .Concat(Enumerable.Range(size - EdgeItems, EdgeItems).Select(i => Render(t.Select(0, i), indent + 1, summarize, formatter)))
            : Enumerable.Range(0, size).Select(i => Render(t.Select(0, i), indent + 1, summarize, formatter));
        return "[" + string.Join("," + new string('\n', t.Rank - 1) + new string(' ', indent + 1), slices) + "]";
    }

    /// <summary>PyTorch's _Formatter: integers plain; floats as "1." when all are whole, else with 4 decimals,
    /// switching to scientific notation when the nonzero magnitudes span more than 1000× or leave [1e-4, 1e8].</summary>
    sealed class Formatter
    {
        readonly bool floating, intMode = true, sciMode;
        readonly DType dtype;
        public int Width { get; } = 1;

        public Formatter(double[] values, DType dtype)
        {
            this.dtype = dtype;
            floating = dtype.IsFloatingPoint();
            if (!floating)
            {
                foreach (var v in values) Width = Math.Max(Width, Plain(v).Length);
                return;
            }
            var finite = values.Where(v => double.IsFinite(v) && v != 0).ToArray();
            if (finite.Length == 0) return;
            double min = finite.Min(Math.Abs), max = finite.Max(Math.Abs);
            intMode = finite.All(v => v == Math.Ceiling(v));
            sciMode = max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4);
            foreach (var v in finite)
                Width = Math.Max(Width, sciMode ? Scientific(v).Length : intMode ? Fixed(v, 0).Length + 1 : Fixed(v, Precision).Length);
        }

        static string Fixed(double v, int decimals) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
        static string Scientific(double v) => v.ToString("0.0000e+00", CultureInfo.InvariantCulture);

        string Plain(double v) => dtype == DType.Bool ? (v != 0 ? "True" : "False") : ((long)v).ToString(CultureInfo.InvariantCulture);

        public string Format(double v)
        {
            string text;
            if (!floating) text = Plain(v);
            else if (double.IsNaN(v)) text = "nan";
            else if (double.IsInfinity(v)) text = v > 0 ? "inf" : "-inf";
            else if (sciMode) text = Scientific(v);
            else if (intMode) text = Fixed(v, 0) + ".";
            else text = Fixed(v, Precision);
            return text.PadLeft(Width);
        }
    }
}
