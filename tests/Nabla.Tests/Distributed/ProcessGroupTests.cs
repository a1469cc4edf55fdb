using Nabla.Distributed;
using Nabla.NN;

namespace Nabla.Tests.Distributed;

/// <summary>The process group's errors that need no MPI job (the jobs are in <see cref="MultiProcessTests"/>).</summary>
[Collection(MpiJob.Collection)]
public sealed class ProcessGroupTests
{
    [Fact]
    public void Rank_before_Init_says_to_call_Init()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Nabla.Distributed.Distributed.Rank);
        Assert.Contains("call Distributed.Init() first", error.Message);
        Assert.Throws<InvalidOperationException>(() => new DistributedDataParallel(new Linear(2, 2)));
    }

    [Fact]
    public void Init_without_an_MPI_library_names_the_package_to_install()
    {
        string? previous = Environment.GetEnvironmentVariable("NABLA_MPI_LIBRARY");
        Environment.SetEnvironmentVariable("NABLA_MPI_LIBRARY", "/nonexistent/libmpi.so");
        try
        {
            var error = Assert.Throws<DistributedException>(() => Nabla.Distributed.Distributed.Init());
            Assert.Contains("no MPI library found (tried /nonexistent/libmpi.so)", error.Message);
            Assert.Contains("apt-get install mpich", error.Message);
            Assert.False(Nabla.Distributed.Distributed.IsInitialized);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NABLA_MPI_LIBRARY", previous);
        }
    }
}
