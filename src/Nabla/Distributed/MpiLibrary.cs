using System.Runtime.InteropServices;

namespace Nabla.Distributed;

/// <summary>
/// The MPI library, loaded at run time (no native build step): MPICH (<c>libmpich.so.12</c>, Debian's
/// <c>mpich</c>) or Open MPI (<c>libmpi.so.40</c>, <c>openmpi-bin</c>), or the file named by
/// <c>NABLA_MPI_LIBRARY</c>. Every handle is passed as <c>nint</c>, which fits both: MPICH's handles
/// are integer constants from mpi.h, Open MPI's are the addresses of exported globals. Only the
/// non-blocking collectives are bound: <see cref="Distributed"/> polls them with a timeout, since
/// neither MPI can time out a blocking call when a peer dies.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>What to install when no MPI library is found.</summary>
    public const string InstallHint = "install MPI: `apt-get install mpich` on Debian/Ubuntu (or openmpi-bin), or set NABLA_MPI_LIBRARY to the path of libmpi";

    public const int ThreadMultiple = 3;
    public const int Success = 0;
    const int MaxErrorString = 512;

    public readonly string Path;
    public readonly bool IsOpenMpi;
    public readonly nint CommWorld, ErrorsReturn, InPlace, StatusIgnore;
    public readonly nint Float, Double, Int64, Int32, UnsignedChar;
    public readonly nint OpSum, OpMax, OpMin;

    // int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
    public readonly delegate* unmanaged<nint, nint, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;
    // int MPI_Ibarrier(MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<nint, nint*, int> Ibarrier;
    // int MPI_Iallreduce(const void *send, void *recv, int count, MPI_Datatype, MPI_Op, MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> Iallreduce;
    // int MPI_Ireduce(const void *send, void *recv, int count, MPI_Datatype, MPI_Op, int root, MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, int, nint, nint*, int> Ireduce;
    // int MPI_Ibcast(void *buffer, int count, MPI_Datatype, int root, MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<void*, int, nint, int, nint, nint*, int> Ibcast;
    // int MPI_Iallgather(const void *send, int sendCount, MPI_Datatype, void *recv, int recvCount, MPI_Datatype, MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int> Iallgather;
    // int MPI_Ireduce_scatter_block(const void *send, void *recv, int recvCount, MPI_Datatype, MPI_Op, MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int> IreduceScatterBlock;
    // int MPI_Isend(const void *buf, int count, MPI_Datatype, int dest, int tag, MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> Isend;
    // int MPI_Irecv(void *buf, int count, MPI_Datatype, int source, int tag, MPI_Comm, MPI_Request*)
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> Irecv;
    // int MPI_Test(MPI_Request*, int *flag, MPI_Status*)
    public readonly delegate* unmanaged<nint*, int*, nint, int> Test;

    MpiLibrary(string path, nint handle)
    {
        Path = path;
        nint Export(string name) => NativeLibrary.TryGetExport(handle, name, out var address) ? address
            : throw new DistributedException($"Distributed: {path} has no symbol {name}; is it an MPI library? ({InstallHint}).");
        IsOpenMpi = NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _);
        if (IsOpenMpi)
        {
            // Open MPI's handles are pointers to predefined objects (mpi.h: #define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(…, ompi_mpi_comm_world)).
            CommWorld = Export("ompi_mpi_comm_world");
            ErrorsReturn = Export("ompi_mpi_errors_return");
            InPlace = 1;
            StatusIgnore = 0;
            Float = Export("ompi_mpi_float");
            Double = Export("ompi_mpi_double");
            Int64 = Export("ompi_mpi_int64_t");
            Int32 = Export("ompi_mpi_int");
            UnsignedChar = Export("ompi_mpi_unsigned_char");
            OpSum = Export("ompi_mpi_op_sum");
            OpMax = Export("ompi_mpi_op_max");
            OpMin = Export("ompi_mpi_op_min");
        }
        else
        {
            // MPICH's ABI (also Intel MPI, MVAPICH): integer handles, values from MPICH 4's mpi.h.
            CommWorld = 0x44000000;
            ErrorsReturn = 0x54000001;
            InPlace = -1;
            StatusIgnore = 1;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Int64 = 0x4c00083a;
            Int32 = 0x4c000405;
            UnsignedChar = 0x4c000102;
            OpSum = 0x58000003;
            OpMax = 0x58000001;
            OpMin = 0x58000002;
        }
        InitThread = (delegate* unmanaged<nint, nint, int, int*, int>)Export("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)Export("MPI_Comm_set_errhandler");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Export("MPI_Ibarrier");
        Iallreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Export("MPI_Iallreduce");
        Ireduce = (delegate* unmanaged<void*, void*, int, nint, nint, int, nint, nint*, int>)Export("MPI_Ireduce");
        Ibcast = (delegate* unmanaged<void*, int, nint, int, nint, nint*, int>)Export("MPI_Ibcast");
        Iallgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, nint*, int>)Export("MPI_Iallgather");
        IreduceScatterBlock = (delegate* unmanaged<void*, void*, int, nint, nint, nint, nint*, int>)Export("MPI_Ireduce_scatter_block");
        Isend = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Export("MPI_Isend");
        Irecv = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Export("MPI_Irecv");
        Test = (delegate* unmanaged<nint*, int*, nint, int>)Export("MPI_Test");
    }

    /// <summary>Loads the first MPI library found, or throws a <see cref="DistributedException"/> that says what to install.</summary>
    public static MpiLibrary Load()
    {
        string? configured = Environment.GetEnvironmentVariable("NABLA_MPI_LIBRARY");
        // The library must belong to the launcher that started the process (an MPICH process under Open MPI's
        // mpirun would be a world of its own): Open MPI's launcher sets OMPI_* variables, Hydra (MPICH) PMI_*.
        string[] candidates = !string.IsNullOrEmpty(configured) ? [configured]
            : Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null ? ["libmpi.so.40", "libmpi.so"]
            : ["libmpich.so.12", "libmpi.so.12", "libmpi.so.40", "libmpi.so"];
        // Debian's MPICH loads UCX, whose SIGSEGV/SIGFPE handlers would turn the first .NET
        // NullReferenceException or DivideByZeroException into an abort. UCX reads the variable
        // when it loads, through libc's environment, which Environment.SetEnvironmentVariable does
        // not write: set it with libc's setenv, unless the user chose a value.
        if (Environment.GetEnvironmentVariable("UCX_ERROR_SIGNALS") is null) SetNativeEnvironment("UCX_ERROR_SIGNALS", "");
        foreach (var name in candidates)
            if (NativeLibrary.TryLoad(name, out var handle)) return new MpiLibrary(name, handle);
        throw new DistributedException(
            $"Distributed: no MPI library found (tried {string.Join(", ", candidates)}); {InstallHint}, and start the processes with mpirun.");
    }

    static void SetNativeEnvironment(string name, string value)
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return;
        if (!NativeLibrary.TryGetExport(libc, "setenv", out var setenv)) return;
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name + "\0");
        var valueBytes = System.Text.Encoding.UTF8.GetBytes(value + "\0");
        fixed (byte* n = nameBytes, v = valueBytes)
            ((delegate* unmanaged<byte*, byte*, int, int>)setenv)(n, v, 1);
    }

    /// <summary>The number of processes the launcher says it started (Open MPI's or Hydra's variables), or null when unknown.</summary>
    public static int? LauncherWorldSize()
    {
        foreach (var name in new[] { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int size)) return size;
        return null;
    }

    /// <summary>The MPI data type of a dtype's elements (Bool travels as bytes).</summary>
    public nint DataType(DType dtype) => dtype switch
    {
        DType.Float32 => Float,
        DType.Float64 => Double,
        DType.Int64 => Int64,
        DType.Int32 => Int32,
        _ => UnsignedChar,
    };

    /// <summary>MPI's description of an error code.</summary>
    public string Describe(int code)
    {
        var text = stackalloc byte[MaxErrorString];
        int length = 0;
        if (ErrorString(code, text, &length) != Success) return $"MPI error {code}";
        return System.Text.Encoding.ASCII.GetString(text, Math.Clamp(length, 0, MaxErrorString));
    }
}
