namespace Nabla;

/// <summary>Raised when an op gets a dtype it does not accept; the message names the op and the dtypes.</summary>
public sealed class DTypeException(string message) : ArgumentException(message);
