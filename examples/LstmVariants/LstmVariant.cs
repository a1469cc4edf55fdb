namespace LstmVariants;

/// <summary>How the gates of <see cref="ScratchLstm"/> are wired.</summary>
public enum LstmVariant
{
    /// <summary>d2l §9.2: input, forget and output gates from x and h.</summary>
    Standard,

    /// <summary>Gers and Schmidhuber (2000): the gates also see the cell state through diagonal "peephole" weights.</summary>
    Peephole,

    /// <summary>Greff et al. (2017), CIFG: no forget gate of its own, f = 1 − i (what is written replaces what is forgotten).</summary>
    CoupledGates,
}
