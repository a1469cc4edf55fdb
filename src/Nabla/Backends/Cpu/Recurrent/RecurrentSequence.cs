using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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
/// (see Functional.Recurrent.cs); each step runs the cells of <see cref="RecurrentCells"/>, whose forward saves
/// the gate activations (and tanh c′ for the LSTM, W_hn h + b_hn for the GRU), so the backward computes no
/// transcendental function.
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
                            RecurrentCells.LstmCell(pre, At(cells, PreviousRow(t, reverse), hidden, first), At(cells, OutputRow(t, reverse), hidden, first),
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
                            RecurrentCells.GruCell(pre, hg, hPrevious, At(saved, t, hidden, first), hNext, count, hidden);
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
                        RecurrentCells.RnnCellBackward(mode, gradH, At(states, OutputRow(t, reverse), hidden, first), gradStep, size);
                        weights.Multiply(count, gradStep, gates, gradH, hidden, accumulate: false, maxThreads: 1);
                        break;
                    case RecurrentMode.LSTM:
                        RecurrentCells.LstmCellBackward(gradH, gradC, At(activations, t, gates, first), At(cells, PreviousRow(t, reverse), hidden, first),
                            At(saved, t, hidden, first), gradStep, count, hidden);
                        weights.Multiply(count, gradStep, gates, gradH, hidden, accumulate: false, maxThreads: 1);
                        break;
                    case RecurrentMode.GRU:
                        RecurrentCells.GruCellBackward(gradH, At(activations, t, gates, first), At(states, PreviousRow(t, reverse), hidden, first),
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
