namespace Nabla.Backends;

/// <summary>
/// What a backend's fused attention forward keeps for its backward (<see cref="IBackend.ScaledDotProductAttention"/>):
/// opaque to the op, read only by the backend that made it.
/// </summary>
internal abstract class AttentionState
{
}
