namespace Nabla.Backends;

/// <summary>The gradients of a recurrent layer's time loop (<see cref="IBackend.RecurrentSequenceBackward"/>); null where not asked for or absent.</summary>
internal sealed record RecurrentGradients(Tensor? Input, Tensor H0, Tensor? C0, Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh);
