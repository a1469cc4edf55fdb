namespace Nabla.NN;

/// <summary>
/// What <see cref="Module.LoadStateDict"/> could not match: keys the module expects that the state
/// dict lacks, and keys of the state dict the module does not have (PyTorch's <c>_IncompatibleKeys</c>).
/// </summary>
/// <param name="MissingKeys">Keys of the module absent from the state dict.</param>
/// <param name="UnexpectedKeys">Keys of the state dict the module does not have.</param>
public sealed record IncompatibleKeys(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
