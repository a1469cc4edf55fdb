using Nabla.Jit;
using System.Runtime.CompilerServices;

namespace Nabla;

// Moving data in and out of tensors, copies and dtype conversion.
public partial class Tensor
{
    /// <summary>
    /// The storage array typed as <typeparamref name="T"/> (which must match the dtype), for an op that
    /// calls CPU kernels directly: fails, naming <paramref name="op"/>, when the tensor is on another
    /// device, so an op that no other backend implements never silently runs on the CPU's kernels.
    /// </summary>
    internal T[] Data<T>([CallerMemberName] string op = "")
    {
        if (storage.Device.Type != DeviceType.Cpu) throw Backends.Backend.NotImplemented(op, storage.Device);
        return storage.As<T>();
    }

    /// <summary>A span over the elements of a contiguous tensor, for an op that calls CPU kernels directly (see <see cref="Data{T}"/>).</summary>
    internal Span<T> Span<T>([CallerMemberName] string op = "")
    {
        if (storage.Device.Type != DeviceType.Cpu) throw Backends.Backend.NotImplemented(op, storage.Device);
        return Count == 0 ? default : storage.As<T>().AsSpan(offset, Count);
    }

    /// <summary>The storage array in host memory, for backends and for moving data in and out (every device keeps its buffers in host memory today).</summary>
    internal T[] HostData<T>() => storage.As<T>();

    /// <summary>A span over the elements of a contiguous tensor in host memory (see <see cref="HostData{T}"/>).</summary>
    internal Span<T> HostSpan<T>() => Count == 0 ? default : storage.As<T>().AsSpan(offset, Count);

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
        Backends.Backend.Of("Copy", this, destination).Copy(this, destination);
    }

    /// <summary>The elements in row-major order as a new array, converted to <typeparamref name="T"/> if needed.</summary>
    public T[] ToArray<T>()
    {
        Tracer.OnRead(this, "ToArray");
        var source = DTypes.Of<T>() == DType ? this : ToDType(DTypes.Of<T>());
        var result = new T[source.Count];
        if (source.IsContiguous) source.HostSpan<T>().CopyTo(result);
        else source.CopyTo(OfStorage(Storage.Wrap(result, source.Device), shape));
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
        var result = Uninitialized(shape, DType, "Clone", Device);
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
        var result = Uninitialized(shape, dtype, "To", Device);
        CopyTo(result);
        return result;
    }

    /// <summary>
    /// This tensor on <paramref name="device"/>: the same tensor when it is already there, else a copy
    /// (differentiable: the gradient goes back to this tensor's device).
    /// </summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        var backend = Backends.Backend.For(device);
        var result = backend.Allocate(shape, DType, zeroed: false, "To");
        if (result.Count > 0) backend.Copy(this, result); // every device keeps host memory: the target reads the source directly
        if (Node.ShouldRecord(this))
        {
            var sourceDevice = Device;
            Node.Record(result, "ToCopyBackward0", [this], g => [g.To(sourceDevice)]);
        }
        return result;
    }

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
        if (Count > 0) Backends.Backend.Of("Copy_", this, source).Copy(source, this);
        BumpVersion();
    }
}
