namespace Nabla;

/// <summary>The kind of device a tensor lives on.</summary>
public enum DeviceType
{
    /// <summary>Main memory, computed by the managed CPU kernels.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU (not yet implemented; reserved so the API need not change).</summary>
    Cuda,
}

/// <summary>Where a tensor's data lives, like <c>torch.device</c>. Only <see cref="Cpu"/> exists today.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU device.</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu);

    /// <inheritdoc/>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
