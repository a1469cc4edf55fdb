namespace Nabla.NN;

/// <summary>
/// What <see cref="Module.LoadStateDict"/> could not match: keys the module expects that the state
/// dict lacks, and keys of the state dict the module does not have (PyTorch's <c>_IncompatibleKeys</c>).
/// </summary>
/// <param name="MissingKeys">Keys of the module absent from the state dict.</param>
/// <param name="UnexpectedKeys">Keys of the state dict the module does not have.</param>
public sealed record IncompatibleKeys(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>Whether every key matched.</summary>
    public bool AllMatched => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;

    /// <summary>
    /// PyTorch's text: <c>&lt;All keys matched successfully&gt;</c>, else the keys themselves,
    /// <c>IncompatibleKeys(MissingKeys: [fc.weight], UnexpectedKeys: [head.bias])</c>.
    /// </summary>
    public override string ToString() => AllMatched
        ? "<All keys matched successfully>"
        : $"IncompatibleKeys(MissingKeys: [{string.Join(", ", MissingKeys)}], UnexpectedKeys: [{string.Join(", ", UnexpectedKeys)}])";
}
