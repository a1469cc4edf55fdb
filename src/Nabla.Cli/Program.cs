using Nabla.Cli;

// Ctrl-C once: finish the current batch, save a checkpoint, exit. Twice: exit at once.
var stop = new StopSignal();
Console.CancelKeyPress += (_, e) =>
{
    if (!stop.Requested)
    {
        e.Cancel = true;
        stop.Request();
        Console.Error.WriteLine("Stopping after the current batch and saving a checkpoint (Ctrl-C again to quit now)...");
    }
};
return CliApp.Run(args, Console.Out, Console.Error, stop);
