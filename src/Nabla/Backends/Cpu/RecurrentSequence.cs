using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// A whole recurrent layer (one direction) over a sequence, forward and back-propagation through time, as
/// one kernel: cuDNN's and oneDNN's RNN primitive on the CPU. The input projections of all T steps are
/// one product x W_ihᵀ ([T·N, I] × [I, G·H]) written straight into the gate buffer; each step adds the biases
/// and h W_hhᵀ, with W_hh packed once for the sequence (<see cref="PackedMatrix{T}"/>), and applies the cell in
/// place. The backward walks the steps in reverse with W_hh packed once more, then forms the weight gradients
/// as single products over all T·N rows: dW_hh = Σₜ dgatesₜᵀ hₜ₋₁, dW_ih = Σₜ dgatesₜᵀ xₜ. Both time loops are
/// split by batch rows across the worker pool (<see cref="Sequence{T}"/>): the rows are independent sequences,
/// so the threads never wait for each other between steps. A sparse (one-hot) input (<see cref="SparseRows{T}"/>)
/// is projected by each step as it starts, a copy of one row of W_ihᵀ per row, and the backward's steps gather
/// d W_ih and the bias gradients per thread while each step's gradients are in cache: for the character
/// models that takes two serial passes over [T·N, G·H] off the step.
/// </summary>
/// <remarks>
/// States live in one buffer <c>states</c> [T + 1, N, H] in time order with h₀ in front (back, for the
/// reverse direction): the output of time t is row <see cref="OutputRow"/>, the state it read row
/// <see cref="PreviousRow"/>, so the T states read by the steps form one contiguous [T·N, H] block.
/// The LSTM's cell states use the same rows in <c>cells</c>. Gate order and formulas are PyTorch's
/// (see Functional.Recurrent.cs); the forward saves the gate activations (and tanh c′ for the LSTM,
/// W_hn h + b_hn for the GRU), so the backward computes no transcendental function.
/// </remarks>
internal static unsafe class RecurrentSequence
{
    /// <summary>Gates per hidden unit: 1 (RNN), 3 (GRU), 4 (LSTM).</summary>
    public static int GateCount(RecurrentMode mode) => mode switch
    {
        RecurrentMode.GRU => 3,
        RecurrentMode.LSTM => 4,
        _ => 1,
    };

    /// <summary>Row of the states buffer that holds the output of time <paramref name="t"/>.</summary>
    public static int OutputRow(int t, bool reverse) => reverse ? t : t + 1;

    /// <summary>Row of the states buffer that holds the state read at time <paramref name="t"/>.</summary>
    public static int PreviousRow(int t, bool reverse) => reverse ? t + 1 : t;

    /// <summary>
    /// Runs the layer forward over <paramref name="input"/> [T, N, I] with <paramref name="weightIh"/> [G·H, I],
    /// <paramref name="weightHh"/> [G·H, H] and the biases [G·H] (either may be null). <paramref name="states"/>
    /// [T + 1, N, H] holds h₀ in its row already (and <paramref name="cells"/> c₀, LSTM only). Writes the other
    /// states, and saves <paramref name="activations"/> [T, N, G·H] (GRU, LSTM) and <paramref name="saved"/>
    /// [T, N, H] (tanh c′ for the LSTM, W_hn h + b_hn for the GRU).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(RecurrentMode mode, int steps, int batch, int inputSize, int hidden, bool reverse,
        T* input, T* weightIh, T* weightHh, T* biasIh, T* biasHh, T* states, T* cells, T* activations, T* saved)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int gates = GateCount(mode) * hidden;
        bool gru = mode == RecurrentMode.GRU;

        // x W_ihᵀ for all steps at once, into the buffer each step finishes in place: the gate buffer, or for
        // the RNN the output rows themselves (contiguous in time order). A sparse (one-hot) input is projected
        // by each step instead, a sum of rows of W_ihᵀ, as it starts.
        T* projected = activations != null ? activations : states + (reverse ? 0 : batch * hidden);
        var sparse = SparseRows<T>.TryCreate(input, steps * batch, inputSize);
        if (sparse == null) Multiply(steps * batch, gates, inputSize, input, inputSize, 1, weightIh, 1, inputSize, projected, gates);

        // The bias added to the input projection: b_ih, plus b_hh except for the GRU (where b_hn sits inside r ⊙ (W_hn h + b_hn)).
        var stepBias = biasIh != null || (!gru && biasHh != null) ? new T[gates] : null;
        if (stepBias != null)
        {
            if (biasIh != null) TensorPrimitives.Add(stepBias, new ReadOnlySpan<T>(biasIh, gates), stepBias);
            if (!gru && biasHh != null) TensorPrimitives.Add(stepBias, new ReadOnlySpan<T>(biasHh, gates), stepBias);
        }
        var transposedArray = sparse != null ? Transposed(weightIh, gates, inputSize) : null;
        using var weights = new PackedMatrix<T>(weightHh, hidden, gates, 1, hidden); // W_hhᵀ: (p, j) = W_hh[j, p]
        fixed (T* bias = stepBias, transposed = transposedArray)
        {
            new Sequence<T>(mode, steps, batch, hidden, reverse, weights, states, cells, activations, saved)
            {
                StepBias = bias,
                HiddenBias = gru ? biasHh : null,
                SparseInput = sparse,
                InputWeightsTransposed = transposed,
            }.Run(forward: true);
        }
        if (transposedArray != null) ArrayPool<T>.Shared.Return(transposedArray);
    }

    /// <summary>Wᵀ [columns, rows] of a row-major W [rows, columns], in an array of the shared pool.</summary>
    private static T[] Transposed<T>(T* w, int rows, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var transposed = ArrayPool<T>.Shared.Rent(rows * columns);
        fixed (T* target = transposed) Transpose(w, rows, columns, target);
        return transposed;
    }

    /// <summary>target [columns, rows] = Wᵀ for a row-major W [rows, columns].</summary>
    private static void Transpose<T>(T* w, int rows, int columns, T* target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The inner loop runs along the longer side, so the other side's stride is the short one: a stride of a
        // long row (4 KB for 1024 floats) would put every access in the same cache set.
        if (rows >= columns)
        {
            for (int j = 0; j < columns; j++)
                for (int i = 0; i < rows; i++)
                    target[(long)j * rows + i] = w[(long)i * columns + j];
            return;
        }
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                target[(long)j * rows + i] = w[(long)i * columns + j];
    }

    /// <summary>rows[n, :] += bias for n &lt; count.</summary>
    private static void AddToRows<T>(T* rows, T* bias, int count, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = new ReadOnlySpan<T>(bias, width);
        for (int n = 0; n < count; n++)
        {
            var row = new Span<T>(rows + (long)n * width, width);
            TensorPrimitives.Add(row, b, row);
        }
    }

    /// <summary>
    /// [i f g o] ← [σ(i) σ(f) tanh(g) σ(o)] in place; c′ = σ(f) ⊙ c + σ(i) ⊙ tanh(g); tanh c′ saved; h′ = σ(o) ⊙ tanh(c′).
    /// </summary>
    private static void LstmCell<T>(T* act, T* c, T* cNext, T* tanhCNext, T* hNext, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Avx512Cells)
        {
            LstmCellAvx512((float*)act, (float*)c, (float*)cNext, (float*)tanhCNext, (float*)hNext, batch, hidden);
            return;
        }
        for (int n = 0; n < batch; n++)
        {
            var row = new Span<T>(act + (long)n * 4 * hidden, 4 * hidden);
            TensorPrimitives.Sigmoid(row[..(2 * hidden)], row[..(2 * hidden)]);
            TensorPrimitives.Tanh(row.Slice(2 * hidden, hidden), row.Slice(2 * hidden, hidden));
            TensorPrimitives.Sigmoid(row[(3 * hidden)..], row[(3 * hidden)..]);
            var cell = new Span<T>(cNext + n * hidden, hidden);
            var tanhCell = new Span<T>(tanhCNext + n * hidden, hidden);
            TensorPrimitives.Multiply(row[..hidden], row.Slice(2 * hidden, hidden), cell);
            TensorPrimitives.FusedMultiplyAdd(row.Slice(hidden, hidden), new ReadOnlySpan<T>(c + n * hidden, hidden), cell, cell);
            TensorPrimitives.Tanh(cell, tanhCell);
            TensorPrimitives.Multiply(row[(3 * hidden)..], tanhCell, new Span<T>(hNext + n * hidden, hidden));
        }
    }

    /// <summary>
    /// r = σ(xᵣ + hᵣ), z = σ(x_z + h_z), n = tanh(xₙ + r ⊙ hₙ), in place of the input projections [xᵣ x_z xₙ]
    /// in <paramref name="act"/>; hₙ saved; h′ = n + z ⊙ (h − n).
    /// </summary>
    private static void GruCell<T>(T* act, T* hiddenGates, T* h, T* savedHn, T* hNext, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Avx512Cells)
        {
            GruCellAvx512((float*)act, (float*)hiddenGates, (float*)h, (float*)savedHn, (float*)hNext, batch, hidden);
            return;
        }
        for (int n = 0; n < batch; n++)
        {
            var hg = new ReadOnlySpan<T>(hiddenGates + (long)n * 3 * hidden, 3 * hidden);
            var row = new Span<T>(act + (long)n * 3 * hidden, 3 * hidden);
            ReadOnlySpan<T> x = row; // each element is read before it is overwritten
            var rz = row[..(2 * hidden)];
            TensorPrimitives.Add(x[..(2 * hidden)], hg[..(2 * hidden)], rz);
            TensorPrimitives.Sigmoid(rz, rz);
            var hn = hg[(2 * hidden)..];
            hn.CopyTo(new Span<T>(savedHn + n * hidden, hidden));
            var candidate = row[(2 * hidden)..];
            TensorPrimitives.FusedMultiplyAdd(row[..hidden], hn, x[(2 * hidden)..], candidate);
            TensorPrimitives.Tanh(candidate, candidate);
            var next = new Span<T>(hNext + n * hidden, hidden);
            TensorPrimitives.Subtract(new ReadOnlySpan<T>(h + n * hidden, hidden), candidate, next);
            TensorPrimitives.FusedMultiplyAdd(row.Slice(hidden, hidden), next, candidate, next);
        }
    }

    /// <summary>Whether the float32 cells run the AVX-512 kernels below (the AVX-512 path is the active one).</summary>
    private static readonly bool Avx512Cells = CpuFeatures.Active == CpuIsa.Avx512 && Avx512F.IsSupported;

    /// <summary>
    /// <see cref="LstmCell{T}"/> for float32 in one pass per row, 16 units at a time: σ from <see cref="Exponential.Exp"/>, tanh
    /// from a rational function; σ this way measured ~6 times faster than TensorPrimitives' on a loaded 2-core Zen 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LstmCellAvx512(float* act, float* c, float* cNext, float* tanhCNext, float* hNext, int batch, int hidden)
    {
        for (int n = 0; n < batch; n++)
        {
            float* a = act + (long)n * 4 * hidden;
            int k0 = n * hidden;
            int j = 0;
            for (; j <= hidden - 16; j += 16)
            {
                int k = k0 + j;
                var i = Sigmoid(Vector512.Load(a + j));
                var f = Sigmoid(Vector512.Load(a + hidden + j));
                var g = Tanh(Vector512.Load(a + 2 * hidden + j));
                var o = Sigmoid(Vector512.Load(a + 3 * hidden + j));
                var cell = Avx512F.FusedMultiplyAdd(f, Vector512.Load(c + k), Avx512F.Multiply(i, g));
                var tanhCell = Tanh(cell);
                i.Store(a + j);
                f.Store(a + hidden + j);
                g.Store(a + 2 * hidden + j);
                o.Store(a + 3 * hidden + j);
                cell.Store(cNext + k);
                tanhCell.Store(tanhCNext + k);
                Avx512F.Multiply(o, tanhCell).Store(hNext + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                float i = Sigmoid(a[j]), f = Sigmoid(a[hidden + j]), g = MathF.Tanh(a[2 * hidden + j]), o = Sigmoid(a[3 * hidden + j]);
                float cell = (f * c[k]) + (i * g);
                (a[j], a[hidden + j], a[2 * hidden + j], a[3 * hidden + j]) = (i, f, g, o);
                cNext[k] = cell;
                tanhCNext[k] = MathF.Tanh(cell);
                hNext[k] = o * tanhCNext[k];
            }
        }
    }

    /// <summary><see cref="GruCell{T}"/> for float32, 16 units at a time (see <see cref="LstmCellAvx512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruCellAvx512(float* act, float* hiddenGates, float* h, float* savedHn, float* hNext, int batch, int hidden)
    {
        for (int n = 0; n < batch; n++)
        {
            float* a = act + (long)n * 3 * hidden;
            float* hg = hiddenGates + (long)n * 3 * hidden;
            int k0 = n * hidden;
            int j = 0;
            for (; j <= hidden - 16; j += 16)
            {
                int k = k0 + j;
                var r = Sigmoid(Avx512F.Add(Vector512.Load(a + j), Vector512.Load(hg + j)));
                var z = Sigmoid(Avx512F.Add(Vector512.Load(a + hidden + j), Vector512.Load(hg + hidden + j)));
                var hn = Vector512.Load(hg + 2 * hidden + j);
                var candidate = Tanh(Avx512F.FusedMultiplyAdd(r, hn, Vector512.Load(a + 2 * hidden + j)));
                r.Store(a + j);
                z.Store(a + hidden + j);
                candidate.Store(a + 2 * hidden + j);
                hn.Store(savedHn + k);
                Avx512F.FusedMultiplyAdd(z, Avx512F.Subtract(Vector512.Load(h + k), candidate), candidate).Store(hNext + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                float r = Sigmoid(a[j] + hg[j]), z = Sigmoid(a[hidden + j] + hg[hidden + j]), hn = hg[2 * hidden + j];
                float candidate = MathF.Tanh(a[2 * hidden + j] + (r * hn));
                (a[j], a[hidden + j], a[2 * hidden + j]) = (r, z, candidate);
                savedHn[k] = hn;
                hNext[k] = candidate + (z * (h[k] - candidate));
            }
        }
    }

    private static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid(Vector512<float> x) =>
        Avx512F.Divide(Vector512<float>.One, Avx512F.Add(Vector512<float>.One, Exponential.Exp(Avx512F.Subtract(Vector512<float>.Zero, x))));

    /// <summary>
    /// tanh x by Eigen's rational approximation x·P(x²)/Q(x²) (degrees 13 and 6) on x clamped to ±7.905, where
    /// float tanh is ±1: a few ulp everywhere, including near 0, where 1 − 2/(e²ˣ + 1) would lose the relative accuracy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tanh(Vector512<float> x)
    {
        var clamped = Avx512F.Min(Avx512F.Max(x, Vector512.Create(-7.90531110763549805f)), Vector512.Create(7.90531110763549805f));
        var x2 = Avx512F.Multiply(clamped, clamped);
        var p = Vector512.Create(-2.76076847742355e-16f);
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(2.00018790482477e-13f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(-8.60467152213735e-11f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(5.12229709037114e-08f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(1.48572235717979e-05f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(6.37261928875436e-04f));
        p = Avx512F.FusedMultiplyAdd(p, x2, Vector512.Create(4.89352455891786e-03f));
        var q = Vector512.Create(1.19825839466702e-06f);
        q = Avx512F.FusedMultiplyAdd(q, x2, Vector512.Create(1.18534705686654e-04f));
        q = Avx512F.FusedMultiplyAdd(q, x2, Vector512.Create(2.26843463243900e-03f));
        q = Avx512F.FusedMultiplyAdd(q, x2, Vector512.Create(4.89352518554385e-03f));
        var result = Avx512F.Divide(Avx512F.Multiply(clamped, p), q);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x); // NaN stays NaN
    }

    /// <summary>
    /// Back-propagation through time. <paramref name="gradStates"/> is d loss / d states, in the states
    /// buffer's rows, plus a last row d c_T for the LSTM. Writes d input [T, N, I] (when
    /// <paramref name="gradInput"/> is not null), d W_ih [G·H, I], d W_hh [G·H, H], d b_ih and d b_hh [G·H]
    /// (when not null), and d h₀, d c₀ [N, H].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(RecurrentMode mode, int steps, int batch, int inputSize, int hidden, bool reverse,
        T* input, T* weightIh, T* weightHh, T* states, T* cells, T* activations, T* saved, T* gradStates,
        T* gradInput, T* gradWeightIh, T* gradWeightHh, T* gradBiasIh, T* gradBiasHh, T* gradH0, T* gradC0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int gates = GateCount(mode) * hidden;
        int stateSize = batch * hidden;
        bool gru = mode == RecurrentMode.GRU;
        int rows = steps * batch;
        // d (x W_ihᵀ + b_ih) for every step; the GRU's d (h W_hhᵀ + b_hh) differs from it (d hₙ = d nₚᵣₑ ⊙ r).
        var gradProjectedArray = ArrayPool<T>.Shared.Rent(rows * gates);
        var gradHiddenArray = gru ? ArrayPool<T>.Shared.Rent(rows * gates) : null;
        // A sparse input's d W_ihᵀ [I, G·H] is gathered by the time loop, row by row as the steps' gradients form.
        var sparse = SparseRows<T>.TryCreate(input, rows, inputSize);
        var gradWeightIhTransposedArray = sparse != null ? ArrayPool<T>.Shared.Rent(inputSize * gates) : null;
        fixed (T* gradProjected = gradProjectedArray, gradHiddenGates = gradHiddenArray, gradWeightIhTransposed = gradWeightIhTransposedArray)
        {
            T* gradGates = gru ? gradHiddenGates : gradProjected;
            using (var weights = new PackedMatrix<T>(weightHh, gates, hidden, hidden, 1)) // d h₋₁ = d gates · W_hh
            {
                new Sequence<T>(mode, steps, batch, hidden, reverse, weights, states, cells, activations, saved)
                {
                    GradStates = gradStates,
                    GradProjected = gradProjected,
                    GradGates = gradGates,
                    GradH = gradH0,
                    GradC = gradC0,
                    SparseInput = sparse,
                    GradBiasIh = gradBiasIh,
                    GradBiasHh = gradBiasHh,
                    GradInputWeightsTransposed = gradWeightIhTransposed,
                    InputSize = inputSize,
                }.Run(forward: false);
            }
            // The state read at time 0 is h₀ itself: its row of gradStates adds to d h₀.
            int h0Row = reverse ? steps : 0;
            var gradHStart = new Span<T>(gradH0, stateSize);
            TensorPrimitives.Add(gradHStart, new ReadOnlySpan<T>(gradStates + (long)h0Row * stateSize, stateSize), gradHStart);

            // d W_hh = Σₜ d gatesₜᵀ hₜ₋₁ ([G·H, T·N] × [T·N, H], the states read by the steps being contiguous) and
            // d W_ih = Σₜ d gatesₜᵀ xₜ (the time loop gathered it for a sparse input, and the biases' sums); d x = d gates · W_ih.
            Multiply(gates, hidden, rows, gradGates, 1, gates, states + (reverse ? stateSize : 0), hidden, 1, gradWeightHh, hidden);
            if (sparse != null) Transpose(gradWeightIhTransposed, inputSize, gates, gradWeightIh);
            else Multiply(gates, inputSize, rows, gradProjected, 1, gates, input, inputSize, 1, gradWeightIh, inputSize);
            if (gradInput != null) Multiply(rows, inputSize, gates, gradProjected, gates, 1, weightIh, inputSize, 1, gradInput, inputSize);
        }
        ArrayPool<T>.Shared.Return(gradProjectedArray);
        if (gradHiddenArray != null) ArrayPool<T>.Shared.Return(gradHiddenArray);
        if (gradWeightIhTransposedArray != null) ArrayPool<T>.Shared.Return(gradWeightIhTransposedArray);
    }

    /// <summary>
    /// The time loop over a range of batch rows. The rows of a batch are independent sequences, so the loop
    /// is split by rows, not by step: each participant of the pool runs whole sequences for its chunk of rows
    /// (a multiple of the GEMM's tile rows), with no synchronisation between steps; all share the packed W_hh.
    /// Chunks are taken by ticket, so a helper that starts late (a loaded machine) leaves its chunk to the others.
    /// </summary>
    private sealed class Sequence<T>(RecurrentMode mode, int steps, int batch, int hidden, bool reverse, PackedMatrix<T> weights,
        T* states, T* cells, T* activations, T* saved)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Below this many multiply-adds in the recurrent products (T·N·G·H·H) one thread runs the loop.</summary>
        private const long ParallelThreshold = 64 * 64 * 64;

        private readonly int gates = GateCount(mode) * hidden;
        private int chunks;
        private int nextChunk;
        private bool forward;

        public T* StepBias { get; init; }

        public T* HiddenBias { get; init; }

        public T* GradStates { get; init; }

        public T* GradProjected { get; init; }

        public T* GradGates { get; init; }

        public T* GradH { get; init; }

        public T* GradC { get; init; }

        /// <summary>The input when it is sparse: each step then forms its own input projection (forward) and
        /// gathers d W_ihᵀ (backward).</summary>
        public SparseRows<T>? SparseInput { get; init; }

        /// <summary>Forward, with <see cref="SparseInput"/>: W_ihᵀ [I, G·H].</summary>
        public T* InputWeightsTransposed { get; init; }

        /// <summary>Backward: Σ d (x W_ihᵀ + b_ih) over all rows and steps, when not null.</summary>
        public T* GradBiasIh { get; init; }

        /// <summary>Backward: Σ d (h W_hhᵀ + b_hh), when not null; the same sum as d b_ih but for the GRU.</summary>
        public T* GradBiasHh { get; init; }

        /// <summary>Backward, with <see cref="SparseInput"/>: d W_ihᵀ [I, G·H].</summary>
        public T* GradInputWeightsTransposed { get; init; }

        /// <summary>I, the width of the input (for <see cref="GradInputWeightsTransposed"/>).</summary>
        public int InputSize { get; init; }

        // Backward: each chunk's sums over its rows (d b_ih, the GRU's d b_hh, d W_ihᵀ) while each step's
        // gradients are in cache, added up after the loop.
        private T* sums;
        private int sumSize;
        private bool sumProjected, sumHidden, sumInputWeights;

        public void Run(bool forward)
        {
            this.forward = forward;
            int tiles = (batch + weights.TileRows - 1) / weights.TileRows;
            bool parallel = (long)steps * batch * gates * hidden >= ParallelThreshold;
            chunks = parallel ? Math.Min(tiles, WorkerPool.ThreadCount) : 1;
            bool gru = mode == RecurrentMode.GRU;
            sumProjected = !forward && (GradBiasIh != null || (!gru && GradBiasHh != null));
            sumHidden = !forward && gru && GradBiasHh != null;
            sumInputWeights = !forward && SparseInput != null && GradInputWeightsTransposed != null;
            sumSize = (sumProjected ? gates : 0) + (sumHidden ? gates : 0) + (sumInputWeights ? InputSize * gates : 0);
            var sumsArray = sumSize > 0 ? ArrayPool<T>.Shared.Rent(chunks * sumSize) : null;
            if (sumsArray != null) Array.Clear(sumsArray, 0, chunks * sumSize);
            fixed (T* chunkSums = sumsArray)
            {
                sums = chunkSums;
                if (chunks > 1) WorkerPool.Share(chunks, RunParticipant);
                else RunRows(0, 0, batch);
                if (sumsArray != null) WriteSums();
                sums = null;
            }
            if (sumsArray != null) ArrayPool<T>.Shared.Return(sumsArray);
        }

        /// <summary>Adds the chunks' sums into the first and hands its parts out.</summary>
        private void WriteSums()
        {
            var total = new Span<T>(sums, sumSize);
            for (int chunk = 1; chunk < chunks; chunk++) TensorPrimitives.Add(total, new ReadOnlySpan<T>(sums + (long)chunk * sumSize, sumSize), total);
            int offset = 0;
            if (sumProjected)
            {
                var projected = total.Slice(offset, gates);
                if (GradBiasIh != null) projected.CopyTo(new Span<T>(GradBiasIh, gates));
                if (!sumHidden && GradBiasHh != null) projected.CopyTo(new Span<T>(GradBiasHh, gates)); // d gates = d projected
                offset += gates;
            }
            if (sumHidden)
            {
                total.Slice(offset, gates).CopyTo(new Span<T>(GradBiasHh, gates));
                offset += gates;
            }
            if (sumInputWeights) total.Slice(offset, InputSize * gates).CopyTo(new Span<T>(GradInputWeightsTransposed, InputSize * gates));
        }

        /// <summary>Adds step <paramref name="t"/>'s gradients of rows first .. first + count to the chunk's sums.</summary>
        private void GatherSums(int chunk, int t, int first, int count, T* gradStep)
        {
            T* target = sums + (long)chunk * sumSize;
            T* gradProjected = At(GradProjected, t, gates, first);
            if (sumProjected)
            {
                AddRows(gradProjected, count, gates, target);
                target += gates;
            }
            if (sumHidden)
            {
                AddRows(gradStep, count, gates, target);
                target += gates;
            }
            if (sumInputWeights) SparseInput!.AddTransposedProduct(t * batch + first, count, gradProjected, gates, target);
        }

        private void RunParticipant(int index)
        {
            // Even shares of the rows (32 → 16 + 16, not 18 + 14): a short last row tile costs only its rows.
            for (int chunk = Interlocked.Increment(ref nextChunk) - 1; chunk < chunks; chunk = Interlocked.Increment(ref nextChunk) - 1)
            {
                int first = chunk * batch / chunks;
                int end = (chunk + 1) * batch / chunks;
                RunRows(chunk, first, end - first);
            }
        }

        private void RunRows(int chunk, int first, int count)
        {
            if (forward) ForwardRows(first, count);
            else BackwardRows(chunk, first, count);
        }

        /// <summary>Row n of the [rows, width] block of time row <paramref name="row"/> in a [*, N, width] buffer.</summary>
        private T* At(T* buffer, int row, int width, int n) => buffer + ((long)row * batch + n) * width;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ForwardRows(int first, int count)
        {
            bool gru = mode == RecurrentMode.GRU;
            var hiddenGatesArray = gru ? ArrayPool<T>.Shared.Rent(count * gates) : null;
            fixed (T* hg = hiddenGatesArray)
            {
                for (int i = 0; i < steps; i++)
                {
                    int t = reverse ? steps - 1 - i : i;
                    T* hPrevious = At(states, PreviousRow(t, reverse), hidden, first);
                    T* hNext = At(states, OutputRow(t, reverse), hidden, first);
                    T* pre = activations != null ? At(activations, t, gates, first) : hNext;
                    if (SparseInput != null) SparseInput.Multiply(t * batch + first, count, InputWeightsTransposed, gates, StepBias, pre);
                    else if (StepBias != null) AddToRows(pre, StepBias, count, gates);
                    switch (mode)
                    {
                        case RecurrentMode.RNNTanh:
                        case RecurrentMode.RNNRelu:
                            {
                                // h′ = act(x W_ihᵀ + b + h W_hhᵀ), summed in place in the output row.
                                weights.Multiply(count, hPrevious, hidden, hNext, hidden, accumulate: true, maxThreads: 1);
                                var h = new Span<T>(hNext, count * hidden);
                                if (mode == RecurrentMode.RNNTanh) TensorPrimitives.Tanh(h, h);
                                else TensorPrimitives.Max(h, T.Zero, h);
                                break;
                            }
                        case RecurrentMode.LSTM:
                            weights.Multiply(count, hPrevious, hidden, pre, gates, accumulate: true, maxThreads: 1);
                            LstmCell(pre, At(cells, PreviousRow(t, reverse), hidden, first), At(cells, OutputRow(t, reverse), hidden, first),
                                At(saved, t, hidden, first), hNext, count, hidden);
                            break;
                        case RecurrentMode.GRU:
                            for (int n = 0; n < count; n++)
                            {
                                var row = new Span<T>(hg + (long)n * gates, gates);
                                if (HiddenBias != null) new ReadOnlySpan<T>(HiddenBias, gates).CopyTo(row);
                                else row.Clear();
                            }
                            weights.Multiply(count, hPrevious, hidden, hg, gates, accumulate: true, maxThreads: 1);
                            GruCell(pre, hg, hPrevious, At(saved, t, hidden, first), hNext, count, hidden);
                            break;
                    }
                }
            }
            if (hiddenGatesArray != null) ArrayPool<T>.Shared.Return(hiddenGatesArray);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void BackwardRows(int chunk, int first, int count)
        {
            // GradH carries d h from step to step; GradC carries d c (from d c_T).
            T* gradH = GradH + (long)first * hidden, gradC = GradC == null ? null : GradC + (long)first * hidden;
            int size = count * hidden;
            new Span<T>(gradH, size).Clear();
            if (mode == RecurrentMode.LSTM) new ReadOnlySpan<T>(At(GradStates, steps + 1, hidden, first), size).CopyTo(new Span<T>(gradC, size));
            for (int i = steps - 1; i >= 0; i--)
            {
                int t = reverse ? steps - 1 - i : i;
                var carried = new Span<T>(gradH, size);
                TensorPrimitives.Add(carried, new ReadOnlySpan<T>(At(GradStates, OutputRow(t, reverse), hidden, first), size), carried);
                T* gradStep = At(GradGates, t, gates, first);
                switch (mode)
                {
                    case RecurrentMode.RNNTanh:
                    case RecurrentMode.RNNRelu:
                        RnnCellBackward(mode, gradH, At(states, OutputRow(t, reverse), hidden, first), gradStep, size);
                        weights.Multiply(count, gradStep, gates, gradH, hidden, accumulate: false, maxThreads: 1);
                        break;
                    case RecurrentMode.LSTM:
                        LstmCellBackward(gradH, gradC, At(activations, t, gates, first), At(cells, PreviousRow(t, reverse), hidden, first),
                            At(saved, t, hidden, first), gradStep, count, hidden);
                        weights.Multiply(count, gradStep, gates, gradH, hidden, accumulate: false, maxThreads: 1);
                        break;
                    case RecurrentMode.GRU:
                        GruCellBackward(gradH, At(activations, t, gates, first), At(states, PreviousRow(t, reverse), hidden, first),
                            At(saved, t, hidden, first), At(GradProjected, t, gates, first), gradStep, count, hidden);
                        weights.Multiply(count, gradStep, gates, gradH, hidden, accumulate: true, maxThreads: 1);
                        break;
                }
                if (sums != null) GatherSums(chunk, t, first, count, gradStep);
            }
        }
    }

    /// <summary>sums[j] += Σₙ rows[n, j].</summary>
    private static void AddRows<T>(T* rows, int count, int width, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var total = new Span<T>(sums, width);
        for (long n = 0; n < count; n++) TensorPrimitives.Add(total, new ReadOnlySpan<T>(rows + n * width, width), total);
    }

    /// <summary>d pre-activation = d h′ (1 − h′²) for tanh, d h′ [h′ &gt; 0] for ReLU.</summary>
    private static void RnnCellBackward<T>(RecurrentMode mode, T* gradH, T* h, T* gradGates, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dh = new ReadOnlySpan<T>(gradH, count);
        var output = new ReadOnlySpan<T>(h, count);
        var grad = new Span<T>(gradGates, count);
        if (mode == RecurrentMode.RNNTanh)
        {
            TensorPrimitives.Multiply(output, output, grad);
            TensorPrimitives.Multiply(grad, dh, grad);
            TensorPrimitives.Subtract(dh, grad, grad); // d h′ − d h′ h′² = d h′ (1 − h′²)
            return;
        }
        for (int k = 0; k < count; k++) grad[k] = output[k] > T.Zero ? dh[k] : T.Zero;
    }

    /// <summary>
    /// From d h′ (in gradH) and d c′ (in gradC): d gates and, in gradC, d c. With t = tanh(c′):
    /// d c′ₜₒₜ = d c′ + d h′ σ(o)(1 − t²); dᵢ = d c′ₜₒₜ tanh(g) σ(i)(1 − σ(i)); d_f = d c′ₜₒₜ c σ(f)(1 − σ(f));
    /// d_g = d c′ₜₒₜ σ(i)(1 − tanh²g); dₒ = d h′ t σ(o)(1 − σ(o)); d c = d c′ₜₒₜ σ(f).
    /// </summary>
    private static void LstmCellBackward<T>(T* gradH, T* gradC, T* act, T* c, T* tanhCNext, T* gradGates, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        var one = Vector<T>.One;
        for (int n = 0; n < batch; n++)
        {
            T* a = act + (long)n * 4 * hidden;
            T* d = gradGates + (long)n * 4 * hidden;
            int k0 = n * hidden;
            int j = 0;
            for (; j <= hidden - width; j += width)
            {
                int k = k0 + j;
                Vector<T> i = Vector.Load(a + j), f = Vector.Load(a + hidden + j), g = Vector.Load(a + 2 * hidden + j), o = Vector.Load(a + 3 * hidden + j);
                Vector<T> t = Vector.Load(tanhCNext + k), dh = Vector.Load(gradH + k);
                Vector<T> dc = Vector.Load(gradC + k) + dh * o * (one - t * t);
                Vector.Store(dc * g * i * (one - i), d + j);
                Vector.Store(dc * Vector.Load(c + k) * f * (one - f), d + hidden + j);
                Vector.Store(dc * i * (one - g * g), d + 2 * hidden + j);
                Vector.Store(dh * t * o * (one - o), d + 3 * hidden + j);
                Vector.Store(dc * f, gradC + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                T i = a[j], f = a[hidden + j], g = a[2 * hidden + j], o = a[3 * hidden + j], t = tanhCNext[k];
                T dh = gradH[k];
                T dc = gradC[k] + dh * o * (T.One - t * t);
                d[j] = dc * g * i * (T.One - i);
                d[hidden + j] = dc * c[k] * f * (T.One - f);
                d[2 * hidden + j] = dc * i * (T.One - g * g);
                d[3 * hidden + j] = dh * t * o * (T.One - o);
                gradC[k] = dc * f;
            }
        }
    }

    /// <summary>
    /// From d h′ (in gradH): d input gates [r z n] and d hidden gates (d hₙ = d nₚᵣₑ ⊙ r), and in gradH the
    /// direct part of d h, d h′ ⊙ z (the caller adds d hidden gates · W_hh).
    /// </summary>
    private static void GruCellBackward<T>(T* gradH, T* act, T* h, T* hn, T* gradInput, T* gradHidden, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        var one = Vector<T>.One;
        for (int n = 0; n < batch; n++)
        {
            T* a = act + (long)n * 3 * hidden;
            T* gx = gradInput + (long)n * 3 * hidden;
            T* gh = gradHidden + (long)n * 3 * hidden;
            int k0 = n * hidden;
            int j = 0;
            // h′ = n + z (h − n): d n = d (1 − z), d z = d (h − n), d h = d z; then through tanh and σ.
            for (; j <= hidden - width; j += width)
            {
                int k = k0 + j;
                Vector<T> r = Vector.Load(a + j), z = Vector.Load(a + hidden + j), candidate = Vector.Load(a + 2 * hidden + j), d = Vector.Load(gradH + k);
                Vector<T> gradCandidate = d * (one - z) * (one - candidate * candidate);
                Vector<T> gradR = gradCandidate * Vector.Load(hn + k) * r * (one - r);
                Vector<T> gradZ = d * (Vector.Load(h + k) - candidate) * z * (one - z);
                Vector.Store(gradR, gx + j);
                Vector.Store(gradR, gh + j);
                Vector.Store(gradZ, gx + hidden + j);
                Vector.Store(gradZ, gh + hidden + j);
                Vector.Store(gradCandidate, gx + 2 * hidden + j);
                Vector.Store(gradCandidate * r, gh + 2 * hidden + j);
                Vector.Store(d * z, gradH + k);
            }
            for (; j < hidden; j++)
            {
                int k = k0 + j;
                T r = a[j], z = a[hidden + j], candidate = a[2 * hidden + j], d = gradH[k];
                T gradCandidate = d * (T.One - z) * (T.One - candidate * candidate);
                T gradR = gradCandidate * hn[k] * r * (T.One - r);
                T gradZ = d * (h[k] - candidate) * z * (T.One - z);
                gx[j] = gh[j] = gradR;
                gx[hidden + j] = gh[hidden + j] = gradZ;
                gx[2 * hidden + j] = gradCandidate;
                gh[2 * hidden + j] = gradCandidate * r;
                gradH[k] = d * z;
            }
        }
    }

    /// <summary>C [m×n] = A·B through <see cref="Gemm"/> for float or double.</summary>
    private static void Multiply<T>(int m, int n, int k, T* a, long aRowStride, long aColStride, T* b, long bRowStride, long bColStride, T* c, long ldc)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Gemm.Sgemm(m, n, k, (float*)a, aRowStride, aColStride, (float*)b, bRowStride, bColStride, (float*)c, ldc, accumulate: false);
        else
            Gemm.Dgemm(m, n, k, (double*)a, aRowStride, aColStride, (double*)b, bRowStride, bColStride, (double*)c, ldc, accumulate: false);
    }
}
