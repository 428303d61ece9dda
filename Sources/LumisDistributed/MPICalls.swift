import CMPI

// The one file that calls MPI. Every call is checked: the world communicator returns errors instead of aborting
// (MPI_ERRORS_RETURN), and each failure becomes an MPIError naming the call.

/// MPI counts are `Int32`; larger buffers go in pieces of this many elements.
let mpiChunk = 1 << 28

/// Calls `body(start, count)` for consecutive pieces of `0..<total` of at most ``mpiChunk`` elements.
private func inChunks(of total: Int, _ body: (Int, Int32) throws(MPIError) -> Void) throws(MPIError) {
    var start = 0
    while start < total {
        let count = min(mpiChunk, total - start)
        try body(start, Int32(count))
        start += count
    }
}

private func check(_ result: Int32, _ operation: String) throws(MPIError) {
    guard result != lumis_mpi_success() else { return }
    var length: Int32 = 0
    var text = [CChar](repeating: 0, count: Int(lumis_mpi_max_error_string()) + 1)
    _ = MPI_Error_string(result, &text, &length)
    let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw MPIError(code: result, operation: operation, message: message)
}

/// Initializes MPI for a program whose other threads never call MPI, and makes world errors return.
///
/// - Returns: this rank, the world size, and how many ranks share this node (they share its cores).
func mpiInitialize() throws(MPIError) -> (rank: Int, size: Int, localSize: Int) {
    var provided: Int32 = 0
    try check(MPI_Init_thread(nil, nil, lumis_mpi_thread_funneled(), &provided), "MPI_Init_thread")
    try check(MPI_Comm_set_errhandler(lumis_mpi_comm_world(), lumis_mpi_errors_return()), "MPI_Comm_set_errhandler")
    var rank: Int32 = 0
    var size: Int32 = 0
    try check(MPI_Comm_rank(lumis_mpi_comm_world(), &rank), "MPI_Comm_rank")
    try check(MPI_Comm_size(lumis_mpi_comm_world(), &size), "MPI_Comm_size")
    var node: MPI_Comm?
    try check(
        MPI_Comm_split_type(lumis_mpi_comm_world(), lumis_mpi_comm_type_shared(), rank, lumis_mpi_info_null(), &node),
        "MPI_Comm_split_type")
    var localSize: Int32 = 1
    try check(MPI_Comm_size(node, &localSize), "MPI_Comm_size")
    try check(MPI_Comm_free(&node), "MPI_Comm_free")
    return (Int(rank), Int(size), Int(localSize))
}

func mpiFinalize() { _ = MPI_Finalize() }

func mpiAbort(_ code: Int32) -> Never {
    _ = MPI_Abort(lumis_mpi_comm_world(), code)
    // MPI_Abort does not return on a working launch; if it does, end this process anyway.
    fatalError("MPI_Abort returned")
}

func mpiBarrier() throws(MPIError) { try check(MPI_Barrier(lumis_mpi_comm_world()), "MPI_Barrier") }

enum ReduceOperation {
    case sum, max, min

    var handle: MPI_Op {
        switch self {
        case .sum: lumis_mpi_sum()
        case .max: lumis_mpi_max()
        case .min: lumis_mpi_min()
        }
    }
}

/// Reduces `values` in place across the world; every rank gets the result.
func mpiAllreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws(MPIError) {
    try inChunks(of: values.count) { (start, count) throws(MPIError) in
        try check(
            MPI_Allreduce(
                lumis_mpi_in_place(), values.baseAddress! + start, count, lumis_mpi_float(), operation.handle,
                lumis_mpi_comm_world()),
            "MPI_Allreduce")
    }
}

/// Reduces `values` in place across the world; every rank gets the result.
func mpiAllreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws(MPIError) {
    try inChunks(of: values.count) { (start, count) throws(MPIError) in
        try check(
            MPI_Allreduce(
                lumis_mpi_in_place(), values.baseAddress! + start, count, lumis_mpi_double(), operation.handle,
                lumis_mpi_comm_world()),
            "MPI_Allreduce")
    }
}

/// Reduces `values` in place across the world; every rank gets the result.
func mpiAllreduce(_ values: UnsafeMutableBufferPointer<Int64>, _ operation: ReduceOperation) throws(MPIError) {
    guard let base = values.baseAddress, !values.isEmpty else { return }
    try check(
        MPI_Allreduce(
            lumis_mpi_in_place(), base, Int32(values.count), lumis_mpi_int64(), operation.handle,
            lumis_mpi_comm_world()),
        "MPI_Allreduce")
}

/// Broadcasts `bytes` (already sized on every rank) from `root`.
func mpiBroadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws(MPIError) {
    try inChunks(of: bytes.count) { (start, count) throws(MPIError) in
        try check(
            MPI_Bcast(bytes.baseAddress! + start, count, lumis_mpi_byte(), Int32(root), lumis_mpi_comm_world()),
            "MPI_Bcast")
    }
}

func mpiSend(_ bytes: UnsafeRawBufferPointer, to destination: Int, tag: Int32) throws(MPIError) {
    try inChunks(of: bytes.count) { (start, count) throws(MPIError) in
        try check(
            MPI_Send(
                bytes.baseAddress! + start, count, lumis_mpi_byte(), Int32(destination), tag, lumis_mpi_comm_world()),
            "MPI_Send")
    }
}

func mpiReceive(_ bytes: UnsafeMutableRawBufferPointer, from source: Int, tag: Int32) throws(MPIError) {
    try inChunks(of: bytes.count) { (start, count) throws(MPIError) in
        try check(
            MPI_Recv(
                bytes.baseAddress! + start, count, lumis_mpi_byte(), Int32(source), tag, lumis_mpi_comm_world(),
                lumis_mpi_status_ignore()),
            "MPI_Recv")
    }
}
