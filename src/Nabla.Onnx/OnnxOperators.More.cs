using Nabla.NN;

namespace Nabla.Onnx;

// Less common operators, each composed from Nabla's tensor ops (so differentiable where the math is): hyperbolic
// functions, Mod, CumSum, Trilu, OneHot, Hardmax, DepthToSpace/SpaceToDepth, LRN, MeanVarianceNormalization, EyeLike,
// NonZero, Shrink, IsInf.
internal static partial class OnnxOperators
{
    static void AddMore(Dictionary<string, Operator> table)
    {
        Unary(table, "Tan", x => x.Sin() / x.Cos());
        Unary(table, "Sinh", x => (x.Exp() - x.Neg().Exp()) / 2);
        Unary(table, "Cosh", x => (x.Exp() + x.Neg().Exp()) / 2);
        Unary(table, "Asinh", x => (x + (x.Square() + 1).Sqrt()).Log());
        Unary(table, "Acosh", x => (x + (x.Square() - 1).Sqrt()).Log());
        Unary(table, "Atanh", x => ((1 + x) / (1 - x)).Log() / 2);
        table["IsInf"] = n =>
        {
            var x = n.Input(0);
            bool negative = n.Int("detect_negative", 1) != 0, positive = n.Int("detect_positive", 1) != 0;
            var result = Tensor.Full(x.Shape, false);
            if (positive) result = result.LogicalOr(x.Eq(double.PositiveInfinity));
            if (negative) result = result.LogicalOr(x.Eq(double.NegativeInfinity));
            return One(result);
        };
        table["Mod"] = n =>
        {
            var (a, b) = (n.Input(0), n.Input(1));
            // fmod = 0: the remainder takes the divisor's sign (Python's %); fmod = 1: the dividend's (C's fmod).
            Tensor quotient = n.Int("fmod", 0) != 0
                ? (a.DType.IsFloatingPoint() ? (a / b).Trunc() : a.Div(b, "trunc"))
                : (a.DType.IsFloatingPoint() ? (a / b).Floor() : a.FloorDivide(b));
            return One(a - quotient * b);
        };
        table["CumSum"] = n =>
        {
            var x = n.Input(0);
            int axis = n.Axis(n.IntsOf(1)[0], x.Rank);
            bool reverse = n.Int("reverse", 0) != 0;
            if (reverse) x = x.Flip(axis);
            var sum = x.CumSum(axis);
            if (n.Int("exclusive", 0) != 0) sum -= x;
            return One(reverse ? sum.Flip(axis) : sum);
        };
        table["Trilu"] = n =>
        {
            var x = n.Input(0);
            long k = n.OptionalInput(1)?.Item<long>() ?? 0;
            int rows = x.Size(-2), columns = x.Size(-1);
            // Column − row ≥ k keeps the upper triangle, ≤ k the lower.
            var offset = Tensor.Arange(columns).Unsqueeze(0) - Tensor.Arange(rows).Unsqueeze(1);
            var keep = n.Int("upper", 1) != 0 ? offset.Ge(k) : offset.Le(k);
            return One(Tensor.Where(keep, x, Tensor.Zeros([], x.DType)));
        };
        table["OneHot"] = n =>
        {
            var indices = n.Input(0).To(DType.Int64);
            long depth = checked((long)n.Input(1).Item());
            var values = n.Input(2);
            int axis = n.Axis(n.Int("axis", -1), indices.Rank + 1);
            indices = Tensor.Where(indices.Lt(0), indices + depth, indices);
            var classes = Tensor.Arange(checked((int)depth)).Reshape([.. Enumerable.Range(0, indices.Rank + 1).Select(d => d == axis ? (int)depth : 1)]);
            var hot = indices.Unsqueeze(axis).Eq(classes);
            return One(Tensor.Where(hot, values.Select(0, 1), values.Select(0, 0)));
        };
        table["Hardmax"] = n =>
        {
            var x = n.Input(0);
            if (n.Opset < 13)
            {
                int axis = n.Axis(n.Int("axis", 1), x.Rank);
                var flat = x.Reshape(x.Shape.ToArray()[..axis].Aggregate(1, (a, b) => a * b), -1);
                return One(Hot(flat, 1).Reshape(x.Shape.ToArray()));
            }
            return One(Hot(x, n.Axis(n.Int("axis", -1), x.Rank)));

            static Tensor Hot(Tensor t, int dim)
            {
                var index = t.ArgMax(dim, keepDim: true);
                var classes = Tensor.Arange(t.Size(dim)).Reshape([.. Enumerable.Range(0, t.Rank).Select(d => d == dim ? t.Size(dim) : 1)]);
                return index.Eq(classes).To(t.DType);
            }
        };
        table["DepthToSpace"] = n =>
        {
            var x = n.Input(0);
            int b = checked((int)n.Int("blocksize", 1));
            var (batch, channels, height, width) = (x.Size(0), x.Size(1), x.Size(2), x.Size(3));
            var y = n.String("mode", "DCR") == "CRD"
                ? x.Reshape(batch, channels / (b * b), b, b, height, width).Permute(0, 1, 4, 2, 5, 3)
                : x.Reshape(batch, b, b, channels / (b * b), height, width).Permute(0, 3, 4, 1, 5, 2);
            return One(y.Reshape(batch, channels / (b * b), height * b, width * b));
        };
        table["SpaceToDepth"] = n =>
        {
            var x = n.Input(0);
            int b = checked((int)n.Int("blocksize", 1));
            var (batch, channels, height, width) = (x.Size(0), x.Size(1), x.Size(2), x.Size(3));
            var y = x.Reshape(batch, channels, height / b, b, width / b, b).Permute(0, 3, 5, 1, 2, 4);
            return One(y.Reshape(batch, channels * b * b, height / b, width / b));
        };
        table["LRN"] = n => One(Functional.LocalResponseNorm(n.Input(0), checked((int)n.Int("size", 1)), n.Float("alpha", 1e-4f), n.Float("beta", 0.75f), n.Float("bias", 1f)));
        table["MeanVarianceNormalization"] = n =>
        {
            var x = n.Input(0);
            var axes = (n.Ints("axes") ?? [0, 2, 3]).Select(a => n.Axis(a, x.Rank)).ToArray();
            var mean = x.Mean(axes, keepDim: true);
            var deviation = (x.Square().Mean(axes, keepDim: true) - mean.Square()).Sqrt();
            return One((x - mean) / (deviation + 1e-9));
        };
        table["EyeLike"] = n =>
        {
            var x = n.Input(0);
            var dtype = n.Has("dtype") ? OnnxTensor.NablaType(n.Int("dtype", 1), $"attribute 'dtype' of {n.Describe()}") : x.DType;
            long k = n.Int("k", 0);
            var offset = Tensor.Arange(x.Size(1)).Unsqueeze(0) - Tensor.Arange(x.Size(0)).Unsqueeze(1);
            return One(offset.Eq(k).To(dtype));
        };
        table["NonZero"] = n => One(n.Input(0).Nonzero().T.Contiguous());
        table["Shrink"] = n =>
        {
            var x = n.Input(0);
            double lambda = n.Float("lambd", 0.5f), bias = n.Float("bias", 0);
            var zero = Tensor.Zeros([], x.DType);
            return One(Tensor.Where(x.Lt(-lambda), x + bias, Tensor.Where(x.Gt(lambda), x - bias, zero)).To(x.DType));
        };
    }
}
