namespace Nabla.Vision.Transforms;

/// <summary>Applies transforms one after the other (<c>transforms.Compose</c>).</summary>
public sealed class Compose : Transform
{
    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<Transform> Transforms { get; }

    /// <summary>A pipeline of <paramref name="transforms"/>.</summary>
    public Compose(params Transform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        Transforms = [.. transforms];
    }

    /// <inheritdoc/>
    public override Tensor Call(Tensor image)
    {
        foreach (var transform in Transforms) image = transform.Call(image);
        return image;
    }
}
