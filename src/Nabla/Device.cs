namespace Nabla;

/// <summary>The kind of device a tensor lives on.</summary>
public enum DeviceType
{
    /// <summary>Main memory, computed by the managed CPU kernels (vectorised, multi-threaded).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU (not yet implemented; reserved so the API need not change).</summary>
    Cuda,
    /// <summary>
    /// Main memory, computed by the scalar reference backend: plain loops, one thread, float64
    /// accumulation. Slow on purpose; it is the oracle the CPU kernels are tested against.
    /// </summary>
    Reference,
}

/// <summary>
/// Where a tensor's data lives and which backend computes on it, like <c>torch.device</c>.
/// <see cref="Cpu"/> is the fast backend; <see cref="Reference"/> runs the same ops as plain scalar
/// loops (<c>x.To(Device.Reference)</c>), for checking kernels. Factory functions (<c>Zeros</c>,
/// <c>Randn</c>, <c>From</c>…) create tensors on <see cref="Default"/>.
/// </summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU device.</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu);

    /// <summary>The scalar reference backend (host memory, plain loops): the tests' oracle.</summary>
    public static Device Reference { get; } = new(DeviceType.Reference);

    /// <summary>
    /// The device new tensors are created on (<c>torch.set_default_device</c> /
    /// <c>torch.get_default_device</c>). Starts as the NABLA_DEVICE environment variable
    /// ("cpu" or "reference"), else <see cref="Cpu"/>. Global to the process: set it once, at startup.
    /// </summary>
    public static Device Default { get; set; } = Parse(Environment.GetEnvironmentVariable("NABLA_DEVICE") ?? "cpu");

    /// <summary>Reads a device name as PyTorch writes it: "cpu", "reference", "cuda", "cuda:1".</summary>
    public static Device Parse(string name)
    {
        var text = name.Trim().ToLowerInvariant();
        if (text == "cpu") return Cpu;
        if (text == "reference") return Reference;
        if (text == "cuda") return new(DeviceType.Cuda);
        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text[5..], out int index) && index >= 0) return new(DeviceType.Cuda, index);
        throw new ArgumentException($"Device: unknown device \"{name}\"; expected \"cpu\", \"reference\" or \"cuda[:index]\".", nameof(name));
    }

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        DeviceType.Cpu => "cpu",
        DeviceType.Reference => "reference",
        _ => $"cuda:{Index}",
    };
}
