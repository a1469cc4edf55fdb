namespace Nabla;

/// <summary>The element type of a tensor. Names and promotion rules follow PyTorch.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float, the default for floating tensors (<c>torch.float32</c>).</summary>
    Float32,
    /// <summary>64-bit IEEE float (<c>torch.float64</c>), used by gradient checks and linear algebra.</summary>
    Float64,
    /// <summary>64-bit signed integer (<c>torch.int64</c>), the default for integer tensors and indices.</summary>
    Int64,
    /// <summary>32-bit signed integer (<c>torch.int32</c>).</summary>
    Int32,
    /// <summary>8-bit unsigned integer (<c>torch.uint8</c>), e.g. raw image bytes.</summary>
    UInt8,
    /// <summary>Boolean (<c>torch.bool</c>), the result of comparisons and the type of masks.</summary>
    Bool,
}

/// <summary>Facts about <see cref="DType"/> values: sizes, categories and PyTorch's type promotion.</summary>
public static class DTypes
{
    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        _ => 1,
    };

    /// <summary>True for Float32 and Float64.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>True for the integer types (not Bool).</summary>
    public static bool IsInteger(this DType dtype) => dtype is DType.Int64 or DType.Int32 or DType.UInt8;

    /// <summary>PyTorch's name, e.g. <c>torch.float32</c>.</summary>
    public static string TorchName(this DType dtype) => "torch." + dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        DType.Int32 => "int32",
        DType.UInt8 => "uint8",
        _ => "bool",
    };

    /// <summary>The .NET element type that stores values of this dtype.</summary>
    public static Type ClrType(this DType dtype) => dtype switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Int64 => typeof(long),
        DType.Int32 => typeof(int),
        DType.UInt8 => typeof(byte),
        _ => typeof(bool),
    };

    /// <summary>The dtype stored as the .NET type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() => Of(typeof(T));

    /// <summary>The dtype stored as the given .NET type.</summary>
    public static DType Of(Type type) =>
        type == typeof(float) ? DType.Float32
        : type == typeof(double) ? DType.Float64
        : type == typeof(long) ? DType.Int64
        : type == typeof(int) ? DType.Int32
        : type == typeof(byte) ? DType.UInt8
        : type == typeof(bool) ? DType.Bool
        : throw new ArgumentException($"Nabla has no dtype for the .NET type {type.Name}.", nameof(type));

    /// <summary>0 for Bool, 1 for integers, 2 for floating point: PyTorch's promotion categories.</summary>
    internal static int Category(this DType dtype) => dtype == DType.Bool ? 0 : dtype.IsFloatingPoint() ? 2 : 1;

    // Our six dtypes form a chain (no int8/int16), so promotion is the larger of the two ranks.
    static int Rank(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.UInt8 => 1,
        DType.Int32 => 2,
        DType.Int64 => 3,
        DType.Float32 => 4,
        _ => 5,
    };

    /// <summary>The smallest dtype that holds values of both (<c>torch.promote_types</c>).</summary>
    public static DType Promote(DType a, DType b) => Rank(a) >= Rank(b) ? a : b;

    /// <summary>
    /// PyTorch's <c>result_type</c> for two operands. Dimensioned tensors decide first; a 0-dim tensor
    /// or a C# scalar takes part only when its category (bool &lt; integer &lt; float) is higher, and
    /// a C# scalar then contributes the default dtype of its category (Float32 or Int64).
    /// </summary>
    internal static DType ResultType(Tensor a, Tensor b)
    {
        int levelA = a.IsWrappedNumber ? 0 : a.Rank == 0 ? 1 : 2;
        int levelB = b.IsWrappedNumber ? 0 : b.Rank == 0 ? 1 : 2;
        if (levelA == levelB)
            return levelA == 0 ? Promote(Default(a.DType), Default(b.DType)) : Promote(a.DType, b.DType);
        var (high, low) = levelA > levelB ? (a, b) : (b, a);
        if (low.DType.Category() <= high.DType.Category())
            return high.DType;
        return low.IsWrappedNumber ? Default(low.DType) : low.DType;

        static DType Default(DType d) => d switch
        {
            DType.Float64 or DType.Float32 => DType.Float32,
            DType.Int64 or DType.Int32 => DType.Int64,
            _ => d,
        };
    }
}
