namespace Nabla.Backends;

/// <summary>
/// The buffers a backend's recurrent forward (<see cref="IBackend.RecurrentSequence"/>) keeps for its backward: the LSTM's cell
/// states, the gate activations and one more per-step buffer (tanh c′, or the GRU's hₙ); null where the backend keeps none.
/// Only the backend that made them reads them, and gives them back in <see cref="IBackend.ReleaseRecurrentBuffers"/>.
/// </summary>
internal sealed record RecurrentBuffers(Tensor? Cells, Tensor? Activations, Tensor? Saved);
