namespace Nabla.Jit;

/// <summary>
/// A forward cannot be recorded as a static graph: it reads the value of a traced tensor (data-dependent control
/// flow), its graph changes with the batch size beyond the batch dimension (shape specialisation), or it runs an op
/// that tracing does not see. The message names the op.
/// </summary>
public sealed class TracingException(string message) : Exception(message);
