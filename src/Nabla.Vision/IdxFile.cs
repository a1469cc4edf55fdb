namespace Nabla.Vision;

/// <summary>
/// The contents of an unsigned-byte IDX file: its dimensions and its values in row-major order.
/// </summary>
/// <param name="Dimensions">Size of each dimension, outermost first (for MNIST images: count, rows, columns).</param>
/// <param name="Data">The values, row-major; its length is the product of <paramref name="Dimensions"/>.</param>
public sealed record IdxFile(int[] Dimensions, byte[] Data)
{
    /// <summary>Size of the first dimension: the number of images or labels.</summary>
    public int Count => Dimensions.Length == 0 ? 1 : Dimensions[0];
}
