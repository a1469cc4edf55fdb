namespace Nabla;

/// <summary>Raised when shapes, dimensions or indices do not fit an op; the message names the op and the shapes.</summary>
public sealed class ShapeException(string message) : ArgumentException(message);
