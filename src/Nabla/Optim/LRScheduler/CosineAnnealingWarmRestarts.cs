// The schedulers live in namespace Nabla.Optim; see LRScheduler.cs.
namespace Nabla.Optim;

/// <summary>
/// Cosine annealing with warm restarts (<c>torch.optim.lr_scheduler.CosineAnnealingWarmRestarts</c>;
/// SGDR, Loshchilov &amp; Hutter 2017):
/// <code>
/// ηₜ = η_min + ½(η₀ − η_min)(1 + cos(π·T_cur / T_i))
/// </code>
/// where T_cur counts epochs since the last restart and the i-th period lasts T_i = T₀·T_multⁱ epochs.
/// <see cref="Step()"/> advances one epoch; <see cref="Step(double)"/> jumps to a (possibly fractional)
/// epoch, for updates after every batch: <c>scheduler.Step(epoch + batch / (double)batches)</c>.
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    /// <summary>Restarts every <paramref name="t0"/> epochs, the period growing by <paramref name="tMult"/> after each restart.</summary>
    /// <param name="optimizer">The optimizer whose rates are scheduled.</param>
    /// <param name="t0">Length T₀ of the first period, in epochs.</param>
    /// <param name="tMult">Factor T_mult (an integer ≥ 1) by which each period grows.</param>
    /// <param name="etaMin">Minimum rate η_min.</param>
    /// <param name="lastEpoch">Index of the last epoch when resuming; −1 to start.</param>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0, int lastEpoch = -1) : base(optimizer)
    {
        if (t0 <= 0) throw new ArgumentOutOfRangeException(nameof(t0), t0, $"CosineAnnealingWarmRestarts: expected a positive t0, got {t0}.");
        if (tMult < 1) throw new ArgumentOutOfRangeException(nameof(tMult), tMult, $"CosineAnnealingWarmRestarts: expected tMult ≥ 1, got {tMult}.");
        T0 = t0;
        TI = t0;
        TMult = tMult;
        EtaMin = etaMin;
        TCur = lastEpoch;
        Initialize(lastEpoch);
    }

    /// <summary>Length of the first period.</summary>
    public int T0 { get; private set; }

    /// <summary>Length of the current period.</summary>
    public double TI { get; private set; }

    /// <summary>Growth factor of the periods.</summary>
    public int TMult { get; private set; }

    /// <summary>Minimum rate η_min.</summary>
    public double EtaMin { get; private set; }

    /// <summary>Epochs since the last restart (fractional after <see cref="Step(double)"/>).</summary>
    public double TCur { get; private set; }

    /// <inheritdoc/>
    protected override double[] GetLr() =>
        [.. BaseLrs.Select(b => EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * TCur / TI)) / 2)];

    /// <summary>Advances one epoch, restarting when the current period is over.</summary>
    public override void Step()
    {
        if (LastEpoch < 0)
        {
            Step(0.0);
            return;
        }
        TCur += 1;
        if (TCur >= TI)
        {
            TCur -= TI;                                                  // restart
            TI *= TMult;                                                 // T_i ← T_i·T_mult
        }
        LastEpoch++;
        Apply(GetLr());
    }

    /// <summary>Moves to <paramref name="epoch"/> (≥ 0, may be fractional) and sets the rate for it.</summary>
    public void Step(double epoch)
    {
        if (!(epoch >= 0)) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"CosineAnnealingWarmRestarts: expected a non-negative epoch, got {epoch}.");
        if (epoch >= T0)
        {
            if (TMult == 1) TCur = epoch % T0;
            else
            {
                // n periods have ended: T₀(T_multⁿ − 1)/(T_mult − 1) ≤ epoch
                int n = (int)Math.Log(epoch / T0 * (TMult - 1) + 1, TMult);
                TCur = epoch - T0 * (Math.Pow(TMult, n) - 1) / (TMult - 1);
                TI = T0 * Math.Pow(TMult, n);
            }
        }
        else
        {
            TI = T0;
            TCur = epoch;
        }
        LastEpoch = (int)Math.Floor(epoch);
        Apply(GetLr());
    }

    /// <inheritdoc/>
    protected override void SaveSettings(Dictionary<string, string> state)
    {
        state["T_0"] = StateValues.Encode(T0);
        state["T_i"] = StateValues.Encode(TI);
        state["T_mult"] = StateValues.Encode(TMult);
        state["eta_min"] = StateValues.Encode(EtaMin);
        state["T_cur"] = StateValues.Encode(TCur);
    }

    /// <inheritdoc/>
    protected override void LoadSettings(IReadOnlyDictionary<string, string> state)
    {
        T0 = StateValues.ReadInt(state, "T_0", Name);
        TI = StateValues.ReadDouble(state, "T_i", Name);
        TMult = StateValues.ReadInt(state, "T_mult", Name);
        EtaMin = StateValues.ReadDouble(state, "eta_min", Name);
        TCur = StateValues.ReadDouble(state, "T_cur", Name);
    }
}
