namespace Nabla.Serialization;

/// <summary>
/// The contents of a checkpoint file (see <see cref="Checkpoint"/>), prefixes removed:
/// <c>var (model, optimizer, metadata) = Checkpoint.Load(path);</c>.
/// </summary>
/// <param name="Model">The model's state dict, e.g. for <c>Module.LoadStateDict</c>.</param>
/// <param name="Optimizer">The optimizer's state tensors (moments, step counts, …) by the names the optimizer gave them.</param>
/// <param name="Metadata">The trainer's strings: epoch, hyper-parameters as JSON, generator states, …</param>
public sealed record CheckpointData(
    Dictionary<string, Tensor> Model,
    Dictionary<string, Tensor> Optimizer,
    Dictionary<string, string> Metadata);
