using System.Diagnostics;
using System.Globalization;
using System.Text;
using Nabla.NN;

namespace Nabla.Bench;

/// <summary>
/// <c>--profile</c>: time per leaf module (a module without children: Conv2d, BatchNorm2d, ReLU, …),
/// forward and backward. Forward is timed by a forward pre-hook and a forward hook on each leaf
/// (stopwatch between them); backward by a <see cref="BackwardTimer"/> that the pre-hook enters and
/// the hook leaves, so every graph node the leaf records reports the time the autograd engine
/// spends in it. Ops outside leaf modules (a residual add, Inception's concatenation, a functional
/// ReLU in a Forward method) fall in neither; the table's last line shows that remainder against the
/// step time measured around the whole step.
/// </summary>
internal sealed class ModuleProfiler : IDisposable
{
    private sealed class Row(string name, string type)
    {
        public string Name { get; } = name;
        public string Type { get; } = type;
        public BackwardTimer Backward { get; } = new(name);
        public long ForwardTicks { get; set; }
        public int Calls { get; set; }
    }

    private readonly List<Row> rows = [];
    private readonly List<RemovableHandle> handles = [];
    private readonly Stack<(long Start, BackwardTimer.Scope Scope)> open = new();

    /// <summary>
    /// Hooks every leaf module of <paramref name="model"/>, or the modules <paramref name="select"/> picks by name (e.g. whole
    /// residual blocks, whose fused eval-mode forward hooks on their layers would switch off; they should not nest).
    /// </summary>
    public ModuleProfiler(Module model, Func<string, Module, bool>? select = null)
    {
        foreach (var (name, module) in model.NamedModules())
        {
            if (ReferenceEquals(module, model) || (select is null ? module.Children().Any() : !select(name, module)))
            {
                continue;
            }
            var row = new Row(name, module.GetType().Name);
            rows.Add(row);
            handles.Add(module.RegisterForwardPreHook((_, _) => open.Push((Stopwatch.GetTimestamp(), row.Backward.Enter()))));
            handles.Add(module.RegisterForwardHook((_, _, _) =>
            {
                var (start, scope) = open.Pop();
                scope.Dispose();
                row.ForwardTicks += Stopwatch.GetTimestamp() - start;
                row.Calls++;
            }));
        }
    }

    /// <summary>Clears the figures (after the warm-up steps).</summary>
    public void Reset()
    {
        foreach (Row row in rows)
        {
            row.ForwardTicks = 0;
            row.Calls = 0;
            row.Backward.Reset();
        }
    }

    /// <summary>The table, sorted by forward + backward time, per step over <paramref name="steps"/> steps of <paramref name="stepSeconds"/> each.</summary>
    public string Table(int steps, double stepSeconds, int top = 25)
    {
        static double Ms(double seconds) => seconds * 1000;
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{"module",-46} {"type",-18} {"calls",5} {"forward ms",11} {"backward ms",12} {"total ms",10} {"share",6}");
        var measured = rows
            .Select(r => (Row: r, Forward: r.ForwardTicks / (double)Stopwatch.Frequency / steps, Backward: r.Backward.Elapsed.TotalSeconds / steps))
            .OrderByDescending(r => r.Forward + r.Backward)
            .ToList();
        foreach (var (row, forward, backward) in measured.Take(top))
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"{row.Name,-46} {row.Type,-18} {row.Calls / steps,5} {Ms(forward),11:F1} {Ms(backward),12:F1} {Ms(forward + backward),10:F1} {(forward + backward) / stepSeconds,6:P1}");
        }
        double inModules = measured.Sum(r => r.Forward + r.Backward);
        if (measured.Count > top)
        {
            double rest = measured.Skip(top).Sum(r => r.Forward + r.Backward);
            table.AppendLine(CultureInfo.InvariantCulture, $"{$"({measured.Count - top} more leaf modules)",-65} {"",5} {"",11} {"",12} {Ms(rest),10:F1} {rest / stepSeconds,6:P1}");
        }
        double outside = stepSeconds - inModules;
        table.AppendLine(CultureInfo.InvariantCulture, $"{"(outside leaf modules: loss, optimizer, functional ops)",-83} {Ms(outside),10:F1} {outside / stepSeconds,6:P1}");
        table.Append(CultureInfo.InvariantCulture, $"{"(step)",-83} {Ms(stepSeconds),10:F1}");
        return table.ToString();
    }

    /// <summary>Removes the hooks.</summary>
    public void Dispose()
    {
        foreach (RemovableHandle handle in handles)
        {
            handle.Dispose();
        }
    }
}
