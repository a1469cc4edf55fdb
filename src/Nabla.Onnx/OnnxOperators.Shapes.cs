namespace Nabla.Onnx;

// Shape, layout and indexing operators. Shape values (Reshape's shape, Slice's starts, Unsqueeze's axes …)
// are int64 tensors read on the host, as an eager runtime does.
internal static partial class OnnxOperators
{
    static void AddShapes(Dictionary<string, Operator> table)
    {
        table["Reshape"] = Reshape;
        table["Flatten"] = n =>
        {
            var x = n.Input(0);
            // Flatten's axis lies in [−rank, rank]: rank itself makes [size, 1].
            long requested = n.Int("axis", 1);
            int axis = requested == x.Rank ? x.Rank : n.Axis(requested, x.Rank);
            int outer = 1;
            for (int d = 0; d < axis; d++) outer *= x.Size(d);
            return One(x.Reshape(outer, outer == 0 ? 0 : (int)(x.NumElements / Math.Max(outer, 1))));
        };
        table["Transpose"] = n =>
        {
            var x = n.Input(0);
            var perm = n.Ints("perm") is { } p ? p.Select(a => n.Axis(a, x.Rank)).ToArray() : Enumerable.Range(0, x.Rank).Reverse().ToArray();
            if (perm.Length != x.Rank) throw n.Error($"perm [{string.Join(", ", perm)}] does not match the input's rank {x.Rank}.");
            return One(x.Permute(perm));
        };
        table["Concat"] = n =>
        {
            var inputs = n.Inputs.Select((t, i) => t ?? n.Input(i)).Where(t => t.NumElements > 0 || n.Inputs.Length == 1).ToList();
            if (inputs.Count == 0) inputs.Add(n.Input(0));
            return One(Tensor.Cat(inputs, n.Axis(n.Int("axis", 0), inputs[0].Rank)));
        };
        table["Unsqueeze"] = n =>
        {
            var x = n.Input(0);
            var axes = (n.Opset < 13 ? n.Ints("axes") : n.IntsOf(1)) ?? throw n.Error("axes are required.");
            int rank = x.Rank + axes.Length;
            foreach (int axis in axes.Select(a => n.Axis(a, rank)).Order()) x = x.Unsqueeze(axis);
            return One(x);
        };
        table["Squeeze"] = n =>
        {
            var x = n.Input(0);
            var axes = n.Opset < 13 ? n.Ints("axes") : n.OptionalInput(1)?.ToArray<long>();
            if (axes is null) return One(x.Squeeze());
            foreach (int axis in axes.Select(a => n.Axis(a, x.Rank)).OrderDescending())
            {
                if (x.Size(axis) != 1) throw n.Error($"cannot squeeze axis {axis} of size {x.Size(axis)} (input shape {x.Shape}).");
                x = x.Squeeze(axis);
            }
            return One(x);
        };
        table["Shape"] = n =>
        {
            var x = n.Input(0);
            int start = (int)Math.Clamp(n.Int("start", 0) is var s && s < 0 ? s + x.Rank : s, 0, x.Rank);
            int end = (int)Math.Clamp(n.Int("end", x.Rank) is var e && e < 0 ? e + x.Rank : e, 0, x.Rank);
            var dims = new long[Math.Max(end - start, 0)];
            for (int d = 0; d < dims.Length; d++) dims[d] = x.Size(start + d);
            return One(Tensor.From(dims));
        };
        table["Size"] = n => One(Tensor.From(n.Input(0).NumElements));
        table["Constant"] = Constant;
        table["ConstantOfShape"] = n =>
        {
            var shape = n.IntsOf(0).Select(d => checked((int)d)).ToArray();
            var value = n.TensorAttribute("value") ?? Tensor.From(0f);
            return One(value.Reshape([]).Expand(shape).Contiguous());
        };
        table["Expand"] = n =>
        {
            var x = n.Input(0);
            var target = n.IntsOf(1);
            int rank = Math.Max(x.Rank, target.Length);
            var shape = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                int fromX = d - (rank - x.Rank) is var i && i >= 0 ? x.Size(i) : 1;
                int fromTarget = d - (rank - target.Length) is var j && j >= 0 ? (int)target[j] : 1;
                if (fromX != fromTarget && fromX != 1 && fromTarget != 1)
                    throw n.Error($"input shape {x.Shape} cannot be broadcast to [{string.Join(", ", target)}].");
                shape[d] = fromX == 1 ? fromTarget : fromX;
            }
            while (x.Rank < rank) x = x.Unsqueeze(0);
            return One(x.Expand(shape));
        };
        table["Tile"] = n => One(n.Input(0).Repeat(n.IntsOf(1).Select(r => checked((int)r)).ToArray()));
        table["Range"] = n =>
        {
            var (start, limit, delta) = (n.Input(0), n.Input(1), n.Input(2));
            var values = Tensor.Arange(start.Item(), limit.Item(), delta.Item(), start.DType);
            return One(values);
        };
        table["Slice"] = Slice;
        table["Gather"] = n =>
        {
            var data = n.Input(0);
            int axis = n.Axis(n.Int("axis", 0), data.Rank);
            var indices = n.Input(1).To(DType.Int64);
            // Negative indices count from the end of the axis.
            var flat = Tensor.Where(indices.Lt(0), indices + data.Size(axis), indices).Reshape(-1);
            var picked = data.IndexSelect(axis, flat);
            var shape = data.Shape.ToArray().Take(axis).Concat(indices.Shape).Concat(data.Shape.ToArray().Skip(axis + 1)).ToArray();
            return One(picked.Reshape(shape));
        };
        table["GatherElements"] = n =>
        {
            var data = n.Input(0);
            int axis = n.Axis(n.Int("axis", 0), data.Rank);
            var indices = n.Input(1).To(DType.Int64);
            return One(data.Gather(axis, Tensor.Where(indices.Lt(0), indices + data.Size(axis), indices)));
        };
        table["Split"] = Split;
        table["Pad"] = Pad;
    }

    static Tensor?[] Reshape(OnnxNode n)
    {
        var x = n.Input(0);
        var requested = n.Opset < 5 ? n.Ints("shape") ?? throw n.Error("shape is required.") : n.IntsOf(1);
        bool allowZero = n.Int("allowzero", 0) != 0;
        var shape = new int[requested.Length];
        for (int d = 0; d < shape.Length; d++)
        {
            // 0 copies the input's size at that position (unless allowzero), −1 is inferred.
            long size = requested[d] == 0 && !allowZero ? (d < x.Rank ? x.Size(d) : throw n.Error($"shape [{string.Join(", ", requested)}] copies dimension {d} of an input of rank {x.Rank}.")) : requested[d];
            if (size < -1) throw n.Error($"invalid size {size} in shape [{string.Join(", ", requested)}].");
            shape[d] = checked((int)size);
        }
        return One(x.Reshape(shape));
    }

    static Tensor?[] Constant(OnnxNode n)
    {
        if (n.TensorAttribute("value") is { } value) return One(value);
        if (n.Has("value_float")) return One(Tensor.From(n.Float("value_float", 0)));
        if (n.Floats("value_floats") is { } floats) return One(Tensor.From(floats));
        if (n.Has("value_int")) return One(Tensor.From(n.Int("value_int", 0)));
        if (n.Ints("value_ints") is { } ints) return One(Tensor.From(ints));
        throw n.Error($"holds no value Nabla can read (attributes: {string.Join(", ", n.AttributeNames)}; sparse and string constants are not supported).");
    }

    // Slice: numpy's rules per axis (starts/ends clamped, negative steps walk backwards); attributes before opset 10.
    static Tensor?[] Slice(OnnxNode n)
    {
        var x = n.Input(0);
        long[] starts, ends;
        long[]? axes, steps;
        if (n.Opset < 10)
        {
            starts = n.Ints("starts") ?? throw n.Error("starts are required.");
            ends = n.Ints("ends") ?? throw n.Error("ends are required.");
            axes = n.Ints("axes");
            steps = null;
        }
        else
        {
            starts = n.IntsOf(1);
            ends = n.IntsOf(2);
            axes = n.OptionalInput(3)?.ToArray<long>();
            steps = n.OptionalInput(4)?.ToArray<long>();
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(a => (long)a).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || (steps is not null && steps.Length != starts.Length))
            throw n.Error($"starts, ends, axes and steps must have one entry each per sliced axis (got {starts.Length}, {ends.Length}, {axes.Length}, {steps?.Length ?? starts.Length}).");
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = n.Axis(axes[i], x.Rank);
            long size = x.Size(axis), step = steps?[i] ?? 1;
            if (step == 0) throw n.Error($"step 0 on axis {axis}.");
            long start = starts[i] < 0 ? starts[i] + size : starts[i];
            long end = ends[i] < 0 ? ends[i] + size : ends[i];
            if (step > 0)
            {
                start = Math.Clamp(start, 0, size);
                end = Math.Clamp(end, 0, size);
                x = x.Slice(axis, (int)start, (int)Math.Max(end, start), checked((int)Math.Min(step, int.MaxValue)));
            }
            else
            {
                // Walking backwards from start (clamped to [0, size − 1]) to end (clamped to [−1, size − 1]), exclusive:
                // the same elements as a forward walk over the flipped axis.
                start = Math.Clamp(start, 0, size - 1);
                end = Math.Clamp(end, -1, size - 1);
                long flippedStart = size - 1 - start, flippedEnd = size - 1 - end;
                x = x.Flip(axis).Slice(axis, (int)flippedStart, (int)Math.Max(flippedEnd, flippedStart), checked((int)Math.Min(-step, int.MaxValue)));
            }
        }
        return One(x);
    }

    // Split: sizes from the 'split' attribute (before opset 13) or input, else equal parts, one per output.
    static Tensor?[] Split(OnnxNode n)
    {
        var x = n.Input(0);
        int axis = n.Axis(n.Int("axis", 0), x.Rank);
        var sizes = n.Opset < 13 ? n.Ints("split") : n.OptionalInput(1)?.ToArray<long>();
        int outputs = n.Proto.Output.Count;
        int[] parts;
        if (sizes is not null) parts = sizes.Select(s => checked((int)s)).ToArray();
        else
        {
            int count = n.Has("num_outputs") ? (int)n.Int("num_outputs", outputs) : outputs;
            int each = (x.Size(axis) + count - 1) / count;
            parts = Enumerable.Range(0, count).Select(i => Math.Clamp(x.Size(axis) - i * each, 0, each)).ToArray();
        }
        if (parts.Sum() != x.Size(axis)) throw n.Error($"split sizes [{string.Join(", ", parts)}] do not add up to {x.Size(axis)}, the size of axis {axis} of {x.Shape}.");
        var result = new Tensor?[parts.Length];
        int offset = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            result[i] = x.Narrow(axis, offset, parts[i]);
            offset += parts[i];
        }
        return result;
    }

    // Pad: pads are [begin₀, begin₁, …, end₀, end₁, …]; 'constant' fills with the value (negative pads crop),
    // 'edge' repeats the border and 'reflect' mirrors the input about it, both as an index selection (differentiable).
    static Tensor?[] Pad(OnnxNode n)
    {
        var x = n.Input(0);
        string mode = n.String("mode", "constant");
        if (mode is not ("constant" or "edge" or "reflect")) throw n.Error($"unknown mode '{mode}'.");
        long[] pads;
        double value;
        if (n.Opset < 11)
        {
            pads = n.Ints("pads") ?? throw n.Error("pads are required.");
            value = n.Float("value", 0);
        }
        else
        {
            pads = n.IntsOf(1);
            value = n.OptionalInput(2) is { } v ? v.Item() : 0;
        }
        var axes = n.OptionalInput(3)?.ToArray<long>().Select(a => n.Axis(a, x.Rank)).ToArray() ?? Enumerable.Range(0, x.Rank).ToArray();
        if (pads.Length != 2 * axes.Length) throw n.Error($"pads has {pads.Length} entries for {axes.Length} axes (expected {2 * axes.Length}).");
        for (int i = 0; i < axes.Length; i++)
        {
            int before = checked((int)pads[i]), after = checked((int)pads[i + axes.Length]);
            if (mode == "constant") x = PadAxis(x, axes[i], before, after, value);
            else
            {
                int size = x.Size(axes[i]);
                if (before < 0 || after < 0) throw n.Error($"negative pads are only supported in constant mode, got [{string.Join(", ", pads)}].");
                if (mode == "reflect" && (before >= size || after >= size))
                    throw n.Error($"reflect padding by {Math.Max(before, after)} needs more than {size} elements on axis {axes[i]}.");
                var index = new long[before + size + after];
                for (int j = 0; j < index.Length; j++)
                {
                    int source = j - before;
                    if (mode == "edge") source = Math.Clamp(source, 0, size - 1);
                    else if (source < 0) source = -source;
                    else if (source >= size) source = 2 * (size - 1) - source;
                    index[j] = source;
                }
                x = x.IndexSelect(axes[i], Tensor.From(index));
            }
        }
        return One(x);
    }

    /// <summary>Pads (or, for negative counts, crops) axis <paramref name="axis"/> by constant <paramref name="value"/>; differentiable through Cat and Narrow.</summary>
    internal static Tensor PadAxis(Tensor x, int axis, int before, int after, double value)
    {
        if (before < 0) { x = x.Narrow(axis, -before, x.Size(axis) + before); before = 0; }
        if (after < 0) { x = x.Narrow(axis, 0, x.Size(axis) + after); after = 0; }
        if (before == 0 && after == 0) return x;
        var parts = new List<Tensor>(3);
        if (before > 0) parts.Add(Filler(x, axis, before, value));
        parts.Add(x);
        if (after > 0) parts.Add(Filler(x, axis, after, value));
        return Tensor.Cat(parts, axis);
    }

    static Tensor Filler(Tensor x, int axis, int size, double value)
    {
        var shape = x.Shape.ToArray();
        shape[axis] = size;
        return Tensor.Full(shape, value, x.DType);
    }
}
