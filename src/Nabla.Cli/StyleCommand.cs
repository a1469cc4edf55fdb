using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Nabla.Vision.Style;

namespace Nabla.Cli;

/// <summary>
/// <c>nabla style</c>: neural style transfer (d2l 14.12) on the ImageNet-pretrained ResNet-18's features
/// (<see cref="ResNet18Style"/>): a progress bar with the content, style and TV losses, the result as a PNG and a PNG of
/// content, style and result side by side.
/// </summary>
public static class StyleCommand
{
    /// <summary>Losses are printed every this many steps when no progress bar is drawn (and at the last step).</summary>
    public const int LogEvery = 50;

    /// <summary>The <c>style</c> command.</summary>
    public static Command Build(TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        var defaults = new StyleTransferOptions();
        var content = new Option<string>("--content") { Description = "The content image (PNG, JPEG, …), or 'dog', the embedded photo.", DefaultValueFactory = _ => "dog" };
        var style = new Option<string>("--style") { Description = "The style image, or 'scream', the embedded painting (Munch, 1893).", DefaultValueFactory = _ => "scream" };
        var size = new Option<int>("--size") { Description = "Height of the result in pixels; the width keeps the content's aspect ratio.", DefaultValueFactory = _ => 300 };
        var steps = new Option<int>("--steps") { Description = "Adam steps on the pixels.", DefaultValueFactory = _ => defaults.Steps };
        var lr = new Option<double>("--lr") { Description = "Adam's learning rate, times 0.8 every 50 steps.", DefaultValueFactory = _ => defaults.LearningRate };
        var styleWeight = new Option<double>("--style-weight") { Description = "Weight of the style loss (content 1, TV 10).", DefaultValueFactory = _ => ResNet18Style.StyleWeight };
        var output = new Option<string>("--out") { Description = "The result (PNG); beside it OUT-side.png with content, style and result.", DefaultValueFactory = _ => "styled.png" };
        var command = new Command("style", "Neural style transfer (d2l 14.12) with an ImageNet-pretrained ResNet-18: repaint the content image in the style image's manner.")
        {
            content, style, size, steps, lr, styleWeight, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                return Run(parse.GetValue(content)!, parse.GetValue(style)!, parse.GetValue(size), parse.GetValue(output)!,
                    defaults with { Steps = parse.GetValue(steps), LearningRate = parse.GetValue(lr), StyleWeight = parse.GetValue(styleWeight) }, stdout, stop);
            }
            catch (Exception exception) when (exception is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"nabla: {exception.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Runs the transfer and writes the two PNGs; returns the exit code.</summary>
    public static int Run(string contentPath, string stylePath, int size, string output, StyleTransferOptions options, TextWriter log, StopSignal stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(stop);
        if (size < 16) throw new ArgumentException($"--size must be at least 16 pixels, got {size}.");
        ImageGridPng.RequirePng(output);
        options.Validate();
        var contentImage = StyleImage.Load(contentPath, "--content", size);
        int height = contentImage.Shape[2], width = contentImage.Shape[3];
        var styleImage = StyleImage.Load(stylePath, "--style", height, width);
        var transfer = ResNet18Style.Create();
        log.WriteLine(FormattableString.Invariant(
            $"Style transfer (d2l 14.12) of {contentPath} in the style of {stylePath}, {width}×{height}: ImageNet ResNet-18 features, content {string.Join(", ", transfer.ContentLayers)}, style {string.Join(", ", transfer.StyleLayers)}; weights content {options.ContentWeight}, style {options.StyleWeight}, TV {options.TotalVariationWeight}; Adam lr {options.LearningRate} × {options.LearningRateDecay} every {options.LearningRateDecaySteps} steps, {options.Steps} steps"));
        var progress = new LiveProgress(CliApp.CreateConsole(log), log);
        var clock = Stopwatch.StartNew();
        Tensor result = contentImage;
        StyleStep last = default;
        progress.Run(options.Steps, 0, "step 1", report =>
        {
            result = transfer.Run(ResNet18Style.Normalize(contentImage), ResNet18Style.Normalize(styleImage), options, step =>
            {
                last = step;
                string losses = Losses(step);
                report?.Invoke(step.Step, $"step {step.Step}/{options.Steps}  {losses}");
                if (report is null && (step.Step % LogEvery == 0 || step.Step == 1 || step.Step == options.Steps))
                {
                    log.WriteLine(FormattableString.Invariant($"step {step.Step,4}/{options.Steps}  {losses}  lr {step.LearningRate:G3}  {clock.Elapsed.TotalSeconds:F0} s"));
                }
            }, stop: () => stop.Requested);
        });
        var image = ResNet18Style.Denormalize(result);
        StyleImage.SavePng(image, output);
        string sidePath = Path.Combine(Path.GetDirectoryName(output) ?? "", Path.GetFileNameWithoutExtension(output) + "-side.png");
        StyleImage.SaveSideBySide([("content", contentImage), ("style", styleImage), ("result", image)], sidePath);
        log.WriteLine(FormattableString.Invariant($"{(stop.Requested ? "Stopped at" : "Done:")} step {last.Step}/{options.Steps}, {Losses(last)}, {clock.Elapsed.TotalSeconds:F1} s"));
        log.WriteLine($"Result: {output}");
        log.WriteLine($"Side by side: {sidePath}");
        return 0;
    }

    private static string Losses(StyleStep step) =>
        string.Create(CultureInfo.InvariantCulture, $"content {step.Content:F3}  style {step.Style:F3}  TV {step.TotalVariation:F3}");
}
