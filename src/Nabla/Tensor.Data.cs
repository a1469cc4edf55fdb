using Nabla.Jit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Nabla.Backends.Cpu;

namespace Nabla;

// Moving data in and out of tensors, copies and dtype conversion.
public partial class Tensor
{
    /// <summary>The storage array typed as <typeparamref name="T"/> (which must match the dtype).</summary>
    internal T[] Data<T>() => storage.As<T>();

    /// <summary>A span over the elements of a contiguous tensor.</summary>
    internal Span<T> Span<T>() => Count == 0 ? default : storage.As<T>().AsSpan(offset, Count);

    /// <summary>Strides of this tensor expanded to <paramref name="target"/> (0 for broadcast dims).</summary>
    internal int[] BroadcastStrides(ReadOnlySpan<int> target)
    {
        var result = new int[target.Length];
        int shift = target.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
            result[i + shift] = shape[i] == 1 && target[i + shift] != 1 ? 0 : strides[i];
        return result;
    }

    /// <summary>Copies (and converts) this tensor's elements into a contiguous tensor of the same shape.</summary>
    internal void CopyTo(Tensor destination)
    {
        if (Count == 0) return;
        if (DType == destination.DType && IsContiguous && destination.IsContiguous && Count == destination.Count)
        {
            Array.Copy(storage.Data, offset, destination.storage.Data, destination.offset, Count);
            return;
        }
        var layout = new RowLayout(destination.shape, [destination.offset, offset], destination.strides, BroadcastStrides(destination.shape));
        Conversion.Copy(layout, storage.Data, destination.storage.Data);
    }

    /// <summary>The elements in row-major order as a new array, converted to <typeparamref name="T"/> if needed.</summary>
    public T[] ToArray<T>()
    {
        Tracer.OnRead(this, "ToArray");
        var source = DTypes.Of<T>() == DType ? this : ToDType(DTypes.Of<T>());
        var result = new T[source.Count];
        if (source.IsContiguous) source.Span<T>().CopyTo(result);
        else source.CopyTo(OfStorage(Storage.Wrap(result), shape));
        return result;
    }

    /// <summary>The value of a one-element tensor (<c>item()</c>), converted to <typeparamref name="T"/>.</summary>
    public T Item<T>()
    {
        if (NumElements != 1) throw new ShapeException($"Item: only one-element tensors can be converted to a scalar, got shape {Shape}.");
        return ToArray<T>()[0];
    }

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double Item() => Item<double>();

    /// <summary>Reads element <paramref name="flatIndex"/> of the storage as a double.</summary>
    internal double GetFlat(int flatIndex) => storage.Data switch
    {
        float[] a => a[flatIndex],
        double[] a => a[flatIndex],
        long[] a => a[flatIndex],
        int[] a => a[flatIndex],
        byte[] a => a[flatIndex],
        bool[] a => a[flatIndex] ? 1 : 0,
        _ => throw new NotSupportedException(),
    };

    /// <summary>Writes element <paramref name="flatIndex"/> of the storage from a double (truncating for integers).</summary>
    internal void SetFlat(int flatIndex, double value)
    {
        switch (storage.Data)
        {
            case float[] a: a[flatIndex] = (float)value; break;
            case double[] a: a[flatIndex] = value; break;
            case long[] a: a[flatIndex] = (long)value; break;
            case int[] a: a[flatIndex] = (int)value; break;
            case byte[] a: a[flatIndex] = (byte)value; break;
            case bool[] a: a[flatIndex] = value != 0; break;
        }
    }

    /// <summary>This tensor if already contiguous, else a contiguous copy (differentiable).</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A copy with its own storage, in row-major order; gradients flow back to this tensor.</summary>
    public Tensor Clone()
    {
        var result = Uninitialized(shape, DType);
        CopyTo(result);
        if (Node.ShouldRecord(this)) Node.Record(result, "CloneBackward0", [this], g => [g]);
        Tracer.Record(GraphOps.Contiguous, result, [this]);
        return result;
    }

    /// <summary>This tensor converted to <paramref name="dtype"/>; the same tensor when it already has it. Differentiable between floating types.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var result = ToDType(dtype);
        if (Node.ShouldRecord(this) && dtype.IsFloatingPoint())
        {
            var sourceType = DType;
            Node.Record(result, "ToCopyBackward0", [this], g => [g.To(sourceType)]);
        }
        if (Tracer.IsActive) Tracer.Record(GraphOps.Cast, result, [this], new() { ["dtype"] = dtype.ToString() });
        return result;
    }

    Tensor ToDType(DType dtype)
    {
        var result = Uninitialized(shape, dtype);
        CopyTo(result);
        return result;
    }

    /// <summary>This tensor on <paramref name="device"/> (only the CPU exists today).</summary>
    public Tensor To(Device device) => device.Type == DeviceType.Cpu
        ? this
        : throw new NotSupportedException($"To: device {device} is not available in this build of Nabla (CPU only).");

    /// <summary>Shorthand for <c>To(DType.Float32)</c>.</summary>
    public Tensor Float() => To(DType.Float32);
    /// <summary>Shorthand for <c>To(DType.Float64)</c>.</summary>
    public Tensor Double() => To(DType.Float64);
    /// <summary>Shorthand for <c>To(DType.Int64)</c>.</summary>
    public Tensor Long() => To(DType.Int64);
    /// <summary>Shorthand for <c>To(DType.Int32)</c>.</summary>
    public Tensor Int() => To(DType.Int32);
    /// <summary>Shorthand for <c>To(DType.Bool)</c>.</summary>
    public Tensor Bool() => To(DType.Bool);

    /// <summary>Copies <paramref name="source"/> (broadcast to this shape, converted to this dtype) into this tensor in place.</summary>
    public Tensor Copy_(Tensor source)
    {
        if (!Shape.Broadcast(shape, source.shape, "Copy_").AsSpan().SequenceEqual(shape))
            throw new ShapeException($"Copy_: source of shape {source.Shape} cannot be broadcast to destination shape {Shape}.");
        // The new value depends on the source only: its history replaces this tensor's.
        return InPlace("Copy_", source.Expand(shape), static (self, src) => src.To(self.DType).Clone());
    }

    /// <summary>
    /// Runs an in-place op as "compute out of place, then write back": the result (which must keep
    /// this shape) is copied into this tensor's storage and the version counter is bumped. Under
    /// autograd the tensor's history is rebased onto the new node; the op then reads a clone of
    /// the old value so that its own backward is unaffected by the write.
    /// </summary>
    internal Tensor InPlace(string op, Tensor other, Func<Tensor, Tensor, Tensor> compute)
    {
        CheckInPlaceAllowed(op);
        bool record = Node.ShouldRecord(this, other);
        var result = compute(record ? Clone() : this, other);
        if (!result.shape.AsSpan().SequenceEqual(shape))
            throw new ShapeException($"{op}: the result has shape {result.Shape} but the in-place target has shape {Shape}.");
        if (result.DType.Category() > DType.Category())
            throw new DTypeException($"{op}: the result type {result.DType} cannot be stored in the {DType} tensor being modified in place.");
        WriteFrom(result);
        Tracer.Alias(this, result);
        if (record) gradFn = result.gradFn;
        return this;
    }

    /// <summary>
    /// PyTorch's rule for every in-place write: outside no-grad mode, neither a leaf that requires
    /// grad nor a view of one may be changed in place, since its gradient would then belong to a
    /// value it no longer holds. Under <see cref="Autograd.NoGrad"/> (initialisation, optimizer steps) it may.
    /// </summary>
    internal void CheckInPlaceAllowed(string op)
    {
        if (!GradMode.IsEnabled) return;
        if (IsLeaf && requiresGrad)
            throw new AutogradException($"{op}: a leaf tensor that requires grad (shape {Shape}) cannot be modified in place; wrap the update in Autograd.NoGrad().");
        if (viewBase is { IsLeaf: true, requiresGrad: true })
            throw new AutogradException($"{op}: this tensor (shape {Shape}) is a view of a leaf tensor that requires grad (shape {viewBase.Shape}) and cannot be modified in place; wrap the update in Autograd.NoGrad().");
    }

    /// <summary>Overwrites this tensor's elements with <paramref name="source"/> (same shape), converting the dtype, and bumps the version.</summary>
    internal void WriteFrom(Tensor source)
    {
        var layout = new RowLayout(shape, [offset, source.offset], strides, source.BroadcastStrides(shape));
        // The destination of the shared kernel is operand 0; a strided destination is fine because
        // the kernels write each row through the destination's inner stride only when it is 1.
        if (layout.InnerStride(0) == 1 || Count <= 1) Conversion.Copy(layout, source.storage.Data, storage.Data);
        else
        {
            var packed = Uninitialized(shape, DType);
            source.CopyTo(packed);
            var scatter = new RowLayout(shape, [0, offset], packed.strides, strides);
            ScatterRows(scatter, packed.storage.Data, storage.Data);
        }
        BumpVersion();
    }

    // Writes a contiguous buffer into a destination whose innermost stride is not 1.
    static void ScatterRows(RowLayout layout, Array packed, Array destination)
    {
        int elementSize = Marshal.SizeOf(packed.GetType().GetElementType()!);
        if (packed.GetType().GetElementType() == typeof(bool)) elementSize = 1;
        ref byte src = ref MemoryMarshal.GetArrayDataReference(packed);
        ref byte dst = ref MemoryMarshal.GetArrayDataReference(destination);
        int n = layout.RowLength, stride = layout.InnerStride(1);
        var cursor = layout.At(0);
        for (int r = 0; r < layout.RowCount; r++, cursor.Next())
            for (int i = 0; i < n; i++)
                Unsafe.CopyBlockUnaligned(
                    ref Unsafe.Add(ref dst, (nint)(cursor.Offsets[1] + i * stride) * elementSize),
                    ref Unsafe.Add(ref src, (nint)(cursor.Offsets[0] + i) * elementSize),
                    (uint)elementSize);
    }
}
