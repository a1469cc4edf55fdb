// The autograd types live in namespace Nabla (not Nabla.Autograd) so that the static class
// Autograd reads as in PyTorch (`Autograd.Grad`, `using (Autograd.NoGrad())`): C# forbids a
// namespace and a type with the same name side by side.
namespace Nabla;

/// <summary>Whether ops are recorded for autograd on the current thread (<c>torch.is_grad_enabled</c>).</summary>
public static class GradMode
{
    [ThreadStatic] static bool disabled;
    [ThreadStatic] static bool anomalyDetection;

    /// <summary>True when new ops are recorded.</summary>
    public static bool IsEnabled => !disabled;

    internal static bool DetectsAnomalies => anomalyDetection;

    internal static Scope Set(bool enabled)
    {
        var scope = new Scope(!disabled, anomalyDetection);
        disabled = !enabled;
        return scope;
    }

    internal static Scope SetAnomalyDetection(bool enabled)
    {
        var scope = new Scope(!disabled, anomalyDetection);
        anomalyDetection = enabled;
        return scope;
    }

    /// <summary>Restores the previous mode when disposed; use with <c>using</c>.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly bool previousEnabled, previousAnomaly;

        internal Scope(bool previousEnabled, bool previousAnomaly)
        {
            this.previousEnabled = previousEnabled;
            this.previousAnomaly = previousAnomaly;
        }

        /// <summary>Restores the mode that was in force before this scope.</summary>
        public void Dispose()
        {
            disabled = !previousEnabled;
            anomalyDetection = previousAnomaly;
        }
    }
}
