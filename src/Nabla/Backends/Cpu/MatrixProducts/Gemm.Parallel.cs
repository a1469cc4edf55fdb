using System.Numerics;
using System.Runtime.CompilerServices;

namespace Nabla.Backends.Cpu;

internal static unsafe partial class Gemm
{
    /// <summary>
    /// The multi-threaded scheme for products with enough rows: for each kc × nc block of B, all participants
    /// pack its panels into one shared buffer, then compute row chunks of C against it, each chunk packing its
    /// own slice of A. Both kinds of work are handed out by ticket (an atomic counter), not split in fixed
    /// halves: on a machine shared with other processes a participant can lose its core for milliseconds, and
    /// then the others simply take more chunks instead of waiting at a barrier for it. Row chunks are guided
    /// (OpenMP's schedule(guided)): each claim takes a share of the row tiles still unclaimed in the block,
    /// between <see cref="MinTilesPerChunk"/> and one A block, so the first chunks are large and the last ones
    /// small, and the participants finish a block together instead of one waiting out the other's last big chunk
    /// (fixed chunks left the participants idle at the end of each block).
    /// </summary>
    /// <remarks>
    /// Tickets are numbered across blocks, so the counters never need resetting; a participant claims a
    /// ticket only below its current block's end. Within a block the row chunks are taken group of panels by group
    /// (<see cref="SharedPanelRegion{T}.PanelGroupBytes"/>), each group's tickets after the last's, with no wait
    /// between groups (they write different columns of C). Two waits order the blocks: nobody computes block i before
    /// every panel of block i is packed, nor before every chunk of block i−1 is done (the chunks of block i
    /// add to the same rows of C). B alternates between two buffers, so packing block i+1 may overlap the
    /// last chunks of block i: block i−1's buffer is free, since all of block i−1 finished before block i began.
    /// A row-major B is packed by ranges of its rows, so each participant reads whole rows, one sequential stream;
    /// ranges of panels would read a short piece of every row (at n = 1024, 1 KiB of each 4 KiB page), which was
    /// slower. Any other B (transposed: its columns are the contiguous runs) is packed by ranges of panels.
    /// </remarks>
    private sealed class SharedPanelRegion<T>
        where T : unmanaged, INumber<T>
    {
        private Problem<T> problem;
        private MicroKernel<T> kernel;
        private T* packedB0;
        private T* packedB1;
        /// <summary>The smallest row chunk, in tiles: 24 rows, enough to reuse each B panel from L2.</summary>
        private const int MinTilesPerChunk = 4;

        /// <summary>Rows of a row-major B block packed per ticket: at n = 1024, 32 rows are 128 KiB of sequential reads.</summary>
        private const int RowsPerPackChunk = 32;

        /// <summary>
        /// Bytes of packed B per panel group: the participants take every row chunk against one group of panels before
        /// the next, so between two reads of a panel only the group (2 MiB, 8 panels at kc = 1,024) passes through the
        /// caches, not the whole block (4 MiB at 1024³, 8 MiB at 2048³), which need not stay in a shared machine's
        /// share of L3. Each group reads the A rows again (in place, so nothing is packed twice). Smaller groups gained
        /// less (bench <c>gemm</c>; figures in bench/README.md).
        /// </summary>
        private const long PanelGroupBytes = 2 * 1024 * 1024;

        private int rowTiles;
        private int participants;
        private int panelsPerChunk;
        private bool directB;
        private bool packByRows;
        private int packTickets;
        private int packsDone;
        private int rowTickets;    // row tiles claimed, counted across blocks
        private int rowTilesDone;  // row tiles computed, counted across blocks

        /// <summary>The calling thread's region, set up again for each product: opening a region then allocates nothing.</summary>
        [ThreadStatic]
        private static SharedPanelRegion<T>? reused;

        private Action<int>? runParticipant;

        /// <summary>The calling thread's region set up for <paramref name="problem"/>, as the body of a worker-pool region.</summary>
        public static Action<int> For(Problem<T> problem, MicroKernel<T> kernel, int participants)
        {
            var region = reused ??= new SharedPanelRegion<T>();
            region.Reset(problem, kernel, participants);
            return region.runParticipant ??= region.RunParticipant;
        }

        private void Reset(Problem<T> problem, MicroKernel<T> kernel, int participants)
        {
            packTickets = packsDone = rowTickets = rowTilesDone = 0;
            this.problem = problem;
            this.kernel = kernel;
            var scratch = GemmScratch.Current;
            long bytes = PackedBSize(problem, kernel) * sizeof(T);
            packedB0 = (T*)scratch.PackedB(0, bytes);
            packedB1 = (T*)scratch.PackedB(1, bytes);
            directB = IsDirect(problem) && problem.BColStride == 1;
            packByRows = problem.BColStride == 1;

            rowTiles = (problem.M + kernel.Rows - 1) / kernel.Rows;
            this.participants = participants;
            int panels = (Math.Min(ColumnBlock, problem.N) + kernel.Columns - 1) / kernel.Columns;
            panelsPerChunk = Math.Max(1, (panels + (2 * participants) - 1) / (2 * participants));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunParticipant(int index)
        {
            int nr = kernel.Columns;
            int depthBlock = DepthBlock<T>();
            var workspace = new Workspace<T>(problem, kernel, GemmScratch.Current);
            int mr = kernel.Rows;
            int packEnd = 0;
            int rowEnd = 0;
            int block = 0;

            for (int jc = 0; jc < problem.N; jc += ColumnBlock)
            {
                int nc = Math.Min(ColumnBlock, problem.N - jc);
                int panels = (nc + nr - 1) / nr;
                int firstPacked = directB ? FirstPackedPanel(kernel, nc) : 0;
                int panelChunks = (panels - firstPacked + panelsPerChunk - 1) / panelsPerChunk;

                for (int pc = 0; pc < problem.K; pc += depthBlock)
                {
                    int kc = Math.Min(depthBlock, problem.K - pc);
                    T* packedB = (block++ & 1) == 0 ? packedB0 : packedB1;

                    int packChunks = !packByRows ? panelChunks : firstPacked < panels ? (kc + RowsPerPackChunk - 1) / RowsPerPackChunk : 0;
                    int packBegin = packEnd;
                    packEnd += packChunks;
                    while (TryClaim(ref packTickets, packEnd, out int ticket))
                    {
                        if (packByRows)
                        {
                            int firstRow = (ticket - packBegin) * RowsPerPackChunk;
                            PackPanelRows(problem, kernel, jc, nc, pc, kc, firstRow, Math.Min(RowsPerPackChunk, kc - firstRow), firstPacked, panels, packedB, shared: true);
                        }
                        else
                        {
                            int first = firstPacked + ((ticket - packBegin) * panelsPerChunk);
                            PackPanels(problem, kernel, jc, nc, pc, kc, first, Math.Min(panels, first + panelsPerChunk), packedB, shared: true);
                        }

                        Interlocked.Increment(ref packsDone);
                    }

                    int groupPanels = PanelsPerGroup(kc, panels);
                    int groups = (panels + groupPanels - 1) / groupPanels;
                    int rowBegin = rowEnd;
                    rowEnd += rowTiles * groups;
                    Spinning.UntilAtLeast(ref packsDone, packEnd);
                    Spinning.UntilAtLeast(ref rowTilesDone, rowBegin);
                    for (int group = 0; group < groups; group++)
                    {
                        // The group's tickets are its row tiles: [groupBegin, groupBegin + rowTiles).
                        int groupBegin = rowBegin + (group * rowTiles);
                        int firstPanel = group * groupPanels;
                        int endPanel = Math.Min(panels, firstPanel + groupPanels);
                        while (TryClaimGuided(ref rowTickets, groupBegin + rowTiles, participants, RowBlock(problem) / mr, out int first, out int tiles))
                        {
                            int ic = (first - groupBegin) * mr;
                            ComputeRows(problem, kernel, ic, Math.Min(tiles * mr, problem.M - ic), jc, nc, pc, kc, packedB, workspace, firstPanel, endPanel);
                            Interlocked.Add(ref rowTilesDone, tiles);
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Panels of B per group for a block <paramref name="kc"/> deep: <see cref="PanelGroupBytes"/> of them, or all
        /// <paramref name="panels"/> where A is packed (each group would pack it again).
        /// </summary>
        private int PanelsPerGroup(int kc, int panels)
        {
            return ReadsAInPlaceFor(problem) ? (int)Math.Clamp(PanelGroupBytes / ((long)kc * kernel.Columns * sizeof(T)), 1, panels) : panels;
        }

        /// <summary>
        /// Takes the next <paramref name="tiles"/> row tiles from <paramref name="first"/> on, if any are left below
        /// <paramref name="end"/>: a 1/(2·participants) share of those left, at least <see cref="MinTilesPerChunk"/>
        /// and at most <paramref name="maxTiles"/> (one A block).
        /// </summary>
        private static bool TryClaimGuided(ref int next, int end, int participants, int maxTiles, out int first, out int tiles)
        {
            while (true)
            {
                first = Volatile.Read(ref next);
                int left = end - first;
                if (left <= 0)
                {
                    tiles = 0;
                    return false;
                }

                tiles = Math.Min(left, Math.Clamp(left / (2 * participants), MinTilesPerChunk, maxTiles));
                if (Interlocked.CompareExchange(ref next, first + tiles, first) == first)
                {
                    return true;
                }
            }
        }

        /// <summary>Takes the next ticket if it is below <paramref name="end"/> (never one of a later block).</summary>
        private static bool TryClaim(ref int next, int end, out int ticket)
        {
            while (true)
            {
                ticket = Volatile.Read(ref next);
                if (ticket >= end)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref next, ticket + 1, ticket) == ticket)
                {
                    return true;
                }
            }
        }
    }

    /// <summary>
    /// The fallback for short, wide products: <c>ranges</c> ranges of whole column panels, each a separate product with
    /// its own packing, taken by ticket. Like <see cref="SharedPanelRegion{T}"/>, one instance per calling thread is set up
    /// again for each product, so that opening the region allocates nothing (a compiled graph's call stays allocation-free
    /// on the AVX2 and portable kernels, whose short row tiles send convolution GEMMs here).
    /// </summary>
    private sealed class ColumnSplit<T>
        where T : unmanaged, INumber<T>
    {
        private Problem<T> problem;
        private MicroKernel<T> kernel;
        private int columnPanels;
        private int ranges;
        private int nextRange;

        [ThreadStatic]
        private static ColumnSplit<T>? reused;

        private Action<int>? runParticipant;

        /// <summary>The calling thread's column split set up for <paramref name="problem"/>, as the body of a worker-pool region.</summary>
        public static Action<int> For(Problem<T> problem, MicroKernel<T> kernel, int columnPanels, int ranges)
        {
            var split = reused ??= new ColumnSplit<T>();
            split.problem = problem;
            split.kernel = kernel;
            split.columnPanels = columnPanels;
            split.ranges = ranges;
            split.nextRange = 0;
            return split.runParticipant ??= split.RunParticipant;
        }

        private void RunParticipant(int index)
        {
            for (int range = Interlocked.Increment(ref nextRange) - 1; range < ranges; range = Interlocked.Increment(ref nextRange) - 1)
            {
                int begin = range * columnPanels / ranges * kernel.Columns;
                int end = Math.Min(problem.N, (range + 1) * columnPanels / ranges * kernel.Columns);
                RunBlocked(problem.Columns(begin, end), kernel, GemmScratch.Current);
            }
        }
    }
}
