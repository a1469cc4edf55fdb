using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;

namespace Nabla.Backends;

/// <summary>Finds the backend of a device, and of an op's operands (which must share a device).</summary>
internal static class Backend
{
    /// <summary>The backend that computes on <paramref name="device"/>.</summary>
    public static IBackend For(Device device) => device.Type switch
    {
        DeviceType.Cpu => CpuBackend.Instance,
        DeviceType.Reference => ReferenceBackend.Instance,
        _ => throw new DeviceException($"Device {device} is not available in this build of Nabla (cpu and reference only)."),
    };

    /// <summary>The backend of <paramref name="x"/>'s device.</summary>
    public static IBackend Of(Tensor x) => For(x.storage.Device);

    /// <summary>
    /// The backend of a binary op's operands. Like PyTorch, a 0-dim tensor (a wrapped number, a
    /// reduced scalar) may join a tensor on another device; otherwise the devices must be equal.
    /// </summary>
    public static IBackend Of(string op, Tensor a, Tensor b) => For(CommonDevice(op, a, b));

    /// <summary>The backend of a ternary op's operands (see <see cref="Of(string, Tensor, Tensor)"/>).</summary>
    public static IBackend Of(string op, Tensor a, Tensor b, Tensor c)
    {
        var ab = CommonDevice(op, a, b);
        var device = c.storage.Device;
        if (device == ab || c.Rank == 0) return For(ab);
        if (a.Rank == 0 && b.Rank == 0) return For(device);
        throw Mismatch(op, ab, device);
    }

    static Device CommonDevice(string op, Tensor a, Tensor b)
    {
        Device da = a.storage.Device, db = b.storage.Device;
        if (da == db || b.Rank == 0) return da;
        if (a.Rank == 0) return db;
        throw Mismatch(op, da, db);
    }

    static DeviceException Mismatch(string op, Device a, Device b) =>
        new($"{op}: expected all tensors to be on the same device, got {a} and {b}; move them with To(device).");

    /// <summary>The error for an op that runs its CPU kernels directly (it has no backend entry point yet) given a tensor on another device.</summary>
    public static DeviceException NotImplemented(string op, Device device) =>
        new($"{op}: not implemented on device {device} (the op calls CPU kernels directly; the {device} backend covers the ops of IBackend). Move the tensor to Device.Cpu with To(Device.Cpu).");
}
