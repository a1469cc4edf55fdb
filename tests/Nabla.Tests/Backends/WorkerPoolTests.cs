using System.Collections.Concurrent;
using Nabla.Backends.Cpu;

namespace Nabla.Tests.Backends;

/// <summary>The shared worker pool and its barrier.</summary>
public class WorkerPoolTests
{
    [Theory]
    [InlineData(1000, 1)]
    [InlineData(7, 3)]
    [InlineData(2, 1)]
    public void For_covers_every_index_once_in_contiguous_chunks(int count, int minChunk)
    {
        int[] hits = new int[count];
        var chunks = new ConcurrentBag<(int Begin, int End)>();
        WorkerPool.For(count, minChunk, (begin, end) =>
        {
            chunks.Add((begin, end));
            for (int i = begin; i < end; i++)
            {
                Interlocked.Increment(ref hits[i]);
            }
        });

        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.InRange(chunks.Count, 1, WorkerPool.ThreadCount);
        Assert.All(chunks, chunk => Assert.True(chunk.End - chunk.Begin >= minChunk || chunks.Count == 1));
    }

    [Fact]
    public void For_below_two_chunks_runs_inline_on_the_caller()
    {
        int caller = Environment.CurrentManagedThreadId;
        var calls = new List<(int Begin, int End, int Thread)>();
        WorkerPool.For(5, 3, (begin, end) => calls.Add((begin, end, Environment.CurrentManagedThreadId)));

        Assert.Equal([(0, 5, caller)], calls);
    }

    [Fact]
    public void For_rethrows_an_exception_from_a_worker()
    {
        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.For(100, 1, (begin, end) =>
        {
            if (end == 100)
            {
                throw new InvalidOperationException("last chunk failed");
            }
        }));

        Assert.Equal("last chunk failed", error.Message);

        // The pool still works afterwards.
        int sum = 0;
        WorkerPool.For(100, 1, (begin, end) => Interlocked.Add(ref sum, end - begin));
        Assert.Equal(100, sum);
    }

    [Fact]
    public void For_nested_inside_For_runs_inline_and_covers_everything()
    {
        int[] hits = new int[64 * 64];
        WorkerPool.For(64, 1, (rowBegin, rowEnd) =>
        {
            for (int row = rowBegin; row < rowEnd; row++)
            {
                int r = row;
                WorkerPool.For(64, 1, (begin, end) =>
                {
                    for (int i = begin; i < end; i++)
                    {
                        Interlocked.Increment(ref hits[(r * 64) + i]);
                    }
                });
            }
        });

        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void TryRun_gives_each_participant_its_own_thread_at_the_same_time()
    {
        int participants = WorkerPool.ThreadCount;
        var barrier = new SpinBarrier(participants);
        int[] threadIds = new int[participants];
        int[] phasesSeen = new int[participants];
        int counter = 0;

        // TryRun declines while another test holds the pool (tests run in parallel): retry until it is free.
        bool ran = false;
        for (int attempt = 0; attempt < 2000 && !ran; attempt++)
        {
            ran = WorkerPool.TryRun(participants, Body);
            if (!ran) Thread.Sleep(1);
        }

        void Body(int index)
        {
            threadIds[index] = Environment.CurrentManagedThreadId;
            for (int phase = 0; phase < 100; phase++)
            {
                Interlocked.Increment(ref counter);
                barrier.SignalAndWait();

                // Everyone has arrived at this phase, and no one can be past the next barrier yet.
                int seen = Volatile.Read(ref counter);
                if (seen >= (phase + 1) * participants && seen <= (phase + 2) * participants)
                {
                    phasesSeen[index]++;
                }

                barrier.SignalAndWait();
            }
        }

        Assert.True(ran);
        Assert.Equal(participants, threadIds.Distinct().Count());
        Assert.All(phasesSeen, seen => Assert.Equal(100, seen));
    }

    [Fact]
    public void Share_hands_out_every_ticket_once_whoever_takes_them()
    {
        for (int repeat = 0; repeat < 50; repeat++)
        {
            int[] hits = new int[37];
            int next = 0;
            WorkerPool.Share(WorkerPool.ThreadCount, _ =>
            {
                for (int t = Interlocked.Increment(ref next) - 1; t < hits.Length; t = Interlocked.Increment(ref next) - 1)
                {
                    Interlocked.Increment(ref hits[t]);
                }
            });

            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void TryRun_refuses_more_participants_than_threads()
    {
        bool ran = WorkerPool.TryRun(WorkerPool.ThreadCount + 1, _ => throw new InvalidOperationException("must not run"));
        Assert.False(ran);
    }
}
