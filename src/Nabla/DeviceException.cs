namespace Nabla;

/// <summary>
/// Raised when an op gets tensors on different devices, or runs on a device whose backend does not
/// implement it; the message names the op and the devices.
/// </summary>
public sealed class DeviceException(string message) : InvalidOperationException(message);
