namespace Nabla;

/// <summary>Raised by the autograd engine: a second backward through a freed graph, a tensor modified
/// in place after being saved, a gradient requested from a tensor that has none.</summary>
public sealed class AutogradException(string message) : InvalidOperationException(message);
