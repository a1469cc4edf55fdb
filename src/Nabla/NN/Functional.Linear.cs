using Nabla.Jit;
namespace Nabla.NN;

// Linear maps: linear and bilinear.
public static partial class Functional
{
    /// <summary>
    /// y = x Wᵀ + b (<c>F.linear</c>). Shape: input [*, in], weight [out, in], bias [out] → [*, out].
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2) throw new ShapeException($"Linear: weight must be 2-D [out_features, in_features], got shape {weight.Shape}.");
        if (input.Rank == 0 || input.Size(-1) != weight.Size(1))
            throw new ShapeException($"Linear: input of shape {input.Shape} does not end in in_features = {weight.Size(1)} (weight shape {weight.Shape}).");
        if (bias != null && (bias.Rank != 1 || bias.Size(0) != weight.Size(0)))
            throw new ShapeException($"Linear: bias must have shape [{weight.Size(0)}], got {bias.Shape}.");
        bool oneDType = input.DType.IsFloatingPoint() && weight.DType == input.DType && (bias is null || bias.DType == input.DType);
        if (!oneDType || input.Rank == 1)
        {
            // Mixed dtypes promote as MatMul and + do; a 1-D input gives a 1-D output.
            var output = input.MatMul(weight.T);
            return bias is null ? output : output + bias;
        }

        // [*, in] → [n, in] → x·Wᵀ + b in one op (Tensor.Addmm) → [*, out].
        var rows = input.Rank == 2 ? input : input.Reshape(-1, weight.Size(1));
        var result = Tensor.Addmm(rows, weight, bias);
        if (input.Rank != 2) result = result.Reshape([.. input.Shape.Take(input.Rank - 1), weight.Size(0)]);
        Tracer.Record(GraphOps.Linear, result, [input, weight, bias]);
        return result;
    }

    /// <summary>
    /// yₖ = x₁ᵀ Wₖ x₂ + bₖ (<c>F.bilinear</c>).
    /// Shape: input1 [*, in1], input2 [*, in2], weight [out, in1, in2], bias [out] → [*, out].
    /// </summary>
    public static Tensor Bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 3) throw new ShapeException($"Bilinear: weight must be 3-D [out, in1, in2], got shape {weight.Shape}.");
        int outFeatures = weight.Size(0), in1 = weight.Size(1), in2 = weight.Size(2);
        if (input1.Rank == 0 || input1.Size(-1) != in1 || input2.Rank == 0 || input2.Size(-1) != in2
            || !input1.Shape.Take(input1.Rank - 1).SequenceEqual(input2.Shape.Take(input2.Rank - 1)))
            throw new ShapeException($"Bilinear: inputs of shapes {input1.Shape} and {input2.Shape} must share their leading dims and end in {in1} and {in2} (weight shape {weight.Shape}).");
        if (bias != null && (bias.Rank != 1 || bias.Size(0) != outFeatures))
            throw new ShapeException($"Bilinear: bias must have shape [{outFeatures}], got {bias.Shape}.");
        int[] batch = [.. input1.Shape.Take(input1.Rank - 1)];
        var x1 = input1.Reshape(-1, in1);
        var x2 = input2.Reshape(-1, in2);
        // t[n, k, j] = Σᵢ x₁[n, i] W[k, i, j]: one matmul against W laid out as [in1, out·in2].
        var t = x1.MatMul(weight.Permute(1, 0, 2).Reshape(in1, outFeatures * in2)).Reshape(-1, outFeatures, in2);
        // y[n, k] = Σⱼ t[n, k, j] x₂[n, j]
        var y = (t * x2.Unsqueeze(1)).Sum(-1);
        if (bias != null) y = y + bias;
        return y.Reshape([.. batch, outFeatures]);
    }
}
