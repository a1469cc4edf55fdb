using Spectre.Console;

namespace Nabla.Cli;

/// <summary>
/// The live progress bar of a training command: on an interactive console one bar (description, bar,
/// percentage, time left) with the run's lines printed above it; otherwise no bar, and the lines go
/// straight to the log.
/// </summary>
/// <param name="console">The console the bar is drawn on.</param>
/// <param name="log">Where the lines go when no bar is drawn.</param>
public sealed class LiveProgress(IAnsiConsole console, TextWriter log)
{
    // Set while the bar is drawn: lines then go through Spectre, above the bar.
    private IAnsiConsole? live;

    /// <summary>Writes one line above the bar, or to the log when there is none.</summary>
    public void WriteLine(string line)
    {
        if (live is { } liveConsole)
        {
            liveConsole.WriteLine(line);
        }
        else
        {
            log.WriteLine(line);
        }
    }

    /// <summary>
    /// Runs <paramref name="train"/> under a bar of <paramref name="maxValue"/> units starting at
    /// <paramref name="startValue"/>; <paramref name="train"/> gets a callback that sets the bar's value
    /// and description, or null when the console is not interactive.
    /// </summary>
    public void Run(double maxValue, double startValue, string description, Action<Action<double, string>?> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!console.Profile.Capabilities.Interactive)
        {
            train(null);
            return;
        }
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(description, maxValue: maxValue);
                task.Value = startValue;
                live = console;
                try
                {
                    train((value, text) =>
                    {
                        task.Value = value;
                        task.Description = text;
                    });
                    task.Value = maxValue;
                }
                finally
                {
                    live = null;
                }
            });
    }
}
