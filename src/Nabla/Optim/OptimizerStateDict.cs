namespace Nabla.Optim;

/// <summary>
/// The saved state of an <see cref="Optimizer"/>, laid out like PyTorch's
/// <c>optimizer.state_dict()</c> but flattened so that a checkpoint writer can store it as named
/// tensors plus a string → string dictionary:
/// <list type="bullet">
/// <item><see cref="Tensors"/>: per-parameter state, keyed <c>state.{index}.{name}</c>
/// (<c>state.3.exp_avg</c>, <c>state.3.step</c>), where <c>index</c> numbers the parameters of all
/// groups in order, as PyTorch does.</item>
/// <item><see cref="Values"/>: hyper-parameters and parameter indices of each group, keyed
/// <c>param_groups.{group}.{name}</c> (<c>param_groups.0.lr</c> = <c>"0.01"</c>,
/// <c>param_groups.0.betas</c> = <c>"[0.9,0.999]"</c>, <c>param_groups.0.params</c> = <c>"[0,1,2]"</c>);
/// each value is a JSON literal.</item>
/// </list>
/// </summary>
public sealed class OptimizerStateDict
{
    /// <summary>Per-parameter state tensors by name (<c>state.{index}.{name}</c>).</summary>
    public Dictionary<string, Tensor> Tensors { get; } = [];

    /// <summary>Group hyper-parameters and parameter indices as JSON literals (<c>param_groups.{group}.{name}</c>).</summary>
    public Dictionary<string, string> Values { get; } = [];
}
