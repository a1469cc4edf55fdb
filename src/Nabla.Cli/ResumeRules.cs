using System.Globalization;
using Nabla.Optim;

namespace Nabla.Cli;

/// <summary>What a resumed <c>nabla train</c> run may and may not change: the checkpoint fixes the recipe and the schedule's length.</summary>
public static class ResumeRules
{
    /// <summary>The length of a resumed cosine schedule (its T_max), the run's epochs unless --epochs says otherwise (and is refused); null without one.</summary>
    public static int? SavedScheduleLength(RunState? saved) =>
        saved?.SchedulerState.TryGetValue("T_max", out string? tMax) == true && int.TryParse(tMax, CultureInfo.InvariantCulture, out int length) ? length : null;

    /// <summary>
    /// Restores the schedule's state; a cosine schedule anneals to 0 over the epochs it was started with and past
    /// them PyTorch's rate climbs back up, so a resumed run may not change its length.
    /// </summary>
    /// <exception cref="InvalidDataException">The saved state is malformed.</exception>
    /// <exception cref="ArgumentException">A cosine schedule would be resumed to another number of epochs.</exception>
    public static void LoadSchedule(LRScheduler scheduler, Dictionary<string, string> schedulerState, int epochs, string runDirectory)
    {
        try
        {
            scheduler.LoadStateDict(schedulerState);
        }
        catch (Exception exception) when (exception is FormatException or KeyNotFoundException or InvalidCastException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"{CheckpointStore.PathIn(runDirectory)}: the schedule's state (metadata 'scheduler.…') cannot be restored: {exception.Message}", exception);
        }
        if (scheduler is CosineAnnealingLR cosine && cosine.TMax != epochs)
        {
            throw new ArgumentException($"--epochs {epochs}: the run in {runDirectory} anneals its learning rate to 0 over {cosine.TMax} epochs (--lr-schedule cosine) " +
                $"and cannot be resumed to another length, past which the rate would climb back up; resume it with --epochs {cosine.TMax}, " +
                $"or start a new run with --epochs {epochs} --lr-schedule cosine.");
        }
    }

    /// <summary>Refuses options that contradict the recipe of the checkpoint being resumed (it fixes the recipe).</summary>
    /// <exception cref="ArgumentException">An option differs from the checkpoint's.</exception>
    public static void CheckResumable(TrainSettings settings, ModelSpec spec, RunState saved, string runDirectory)
    {
        void Check(bool conflict, string what)
        {
            if (conflict)
            {
                throw new ArgumentException($"--resume: the checkpoint in {runDirectory} was trained with {what}; leave the option out to resume it.");
            }
        }
        Check(saved.Model != spec.Name, $"model '{saved.Model}', not '{spec.Name}'");
        Check(settings.Optimizer is not null && settings.Optimizer != saved.Optimizer, $"--optimizer {saved.Optimizer}");
        Check(settings.BatchSize is not null && settings.BatchSize != saved.BatchSize, $"--batch-size {saved.BatchSize}");
        Check(settings.Seed is not null && settings.Seed != saved.Seed, $"--seed {saved.Seed}");
        Check(settings.Limit != 0 && settings.Limit != saved.Limit, $"--limit {saved.Limit}");
        Check(settings.Width is not null && settings.Width != saved.Width, saved.Width is { } w ? $"--width {w.ToString(CultureInfo.InvariantCulture)}" : "no width multiplier");
        Check(settings.Resize is not null && settings.Resize != saved.InputSize, $"--resize {saved.InputSize}");
        Check(settings.Augment && !saved.Augment, "no --augment");
        Check(settings.Aux && !saved.Aux, "no --aux");
        Check(settings.Classes is not null && (saved.Classes is null || !settings.Classes.SequenceEqual(saved.Classes)),
            saved.Classes is null ? "all ten classes" : $"--classes {ClassSelection.Format(saved.Classes)}");
        Check(settings.FineTune is not null && settings.FineTune != saved.FineTunedFrom, saved.FineTunedFrom is null ? "no --finetune" : $"--finetune {saved.FineTunedFrom}");
        Check(settings.FreezeUntil is not null && settings.FreezeUntil != saved.FreezeUntil, saved.FreezeUntil is null ? "no --freeze-until" : $"--freeze-until {saved.FreezeUntil}");
        Check(settings.LrSchedule is not null && settings.LrSchedule != saved.LrSchedule, saved.LrSchedule is null ? "a constant learning rate" : $"--lr-schedule {saved.LrSchedule}");
        Check(settings.LrBackbone is not null && settings.LrBackbone != saved.LrBackbone,
            saved.LrBackbone is { } rate ? $"--lr-backbone {rate.ToString(CultureInfo.InvariantCulture)}" : "no --lr-backbone");
    }
}
