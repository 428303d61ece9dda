import Foundation

/// The processes of one run: a single process, or the ranks of an MPI launch (`mpirun`, `srun`).
///
/// Collective calls (`allreduce…`, `allgather`, `broadcast`, `gather`, `barrier`) must be made by every rank in
/// the same order, from the thread that created the world (MPI is initialized `MPI_THREAD_FUNNELED`: simulator
/// worker threads never call MPI). In a single process they are identities, so library code is written once.
public struct Communicator: Sendable {
    /// This process's rank, `0..<size`.
    public let rank: Int
    /// How many processes.
    public let size: Int
    /// Whether MPI carries the collectives (false for one process without a launcher).
    public let usesMPI: Bool
    /// How many ranks run on this node, sharing its cores (1 in a single process).
    public var ranksOnThisNode = 1

    /// One process on its own.
    public static let single = Communicator(rank: 0, size: 1, usesMPI: false)

    /// This rank's fair part of the node's cores: the cores this process may run on (its CPU affinity, as
    /// `taskset` or a batch scheduler sets it) divided among the node's ranks.
    public var coresPerRank: Int { max(1, Self.usableCores / ranksOnThisNode) }

    /// The cores this process may run on: the size of its affinity mask (what `sched_getaffinity` returns, read
    /// from `Cpus_allowed` in /proc/self/status, as Glibc's module does not export the call), or the active
    /// processor count if the mask cannot be read.
    public static var usableCores: Int {
        let fallback = ProcessInfo.processInfo.activeProcessorCount
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return fallback }
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character.isHexDigit {
            count += character.hexDigitValue?.nonzeroBitCount ?? 0
        }
        return count > 0 ? min(count, max(fallback, 1)) : fallback
    }

    /// Whether this is rank 0, the one that writes shared files.
    public var isRoot: Bool { rank == 0 }

    /// The world of this process: MPI's when an MPI launcher started it, else ``single``.
    ///
    /// MPI is initialized on the first call only. A launch is recognized by the variables Open MPI's `mpirun`
    /// (`OMPI_COMM_WORLD_SIZE`) or a PMI/PMIx launcher such as SLURM's `srun` (`PMIX_RANK`, `PMI_RANK`) sets;
    /// `LUMIS_MPI=0` forces a single process, `LUMIS_MPI=1` forces MPI.
    ///
    /// - Throws: ``MPIError`` if MPI cannot start.
    public static func world() throws(MPIError) -> Communicator {
        try WorldState.shared.world()
    }

    /// Whether the environment says an MPI launcher started this process.
    public static func isLaunchedByMPI(environment: [String: String]? = nil) -> Bool {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let forced = environment["LUMIS_MPI"] { return forced == "1" }
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    }

    /// Ends MPI if it was started; call once before a normal exit.
    public static func finalize() { WorldState.shared.finalize() }

    /// Ends every rank of the launch with `code` (a failing rank would otherwise leave the others waiting in a
    /// collective); in a single process, exits.
    public static func abortAll(code: Int32) -> Never { WorldState.shared.abort(code: code) }

    /// Sums `values` element-wise over the ranks, in place; every rank gets the same sums.
    public func allreduceSum(_ values: inout [Double]) throws(MPIError) {
        guard usesMPI else { return }
        try values.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in try mpiAllreduce(buffer, .sum) }
    }

    /// Sums `values` element-wise over the ranks, in place; every rank gets the same sums.
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws(MPIError) {
        guard usesMPI else { return }
        try mpiAllreduce(values, .sum)
    }

    /// Sums float32 `values` element-wise over the ranks, in place (a float32 store's gradients: half the bytes
    /// of float64); every rank gets the same sums.
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws(MPIError) {
        guard usesMPI else { return }
        try mpiAllreduce(values, .sum)
    }

    /// The sum over the ranks of `value`.
    public func allreduceSum(_ value: Double) throws(MPIError) -> Double {
        var values = [value]
        try allreduceSum(&values)
        return values[0]
    }

    /// The sums over the ranks of `values`, element-wise.
    public func allreduceSum(_ values: [Int]) throws(MPIError) -> [Int] { try reduce(values, .sum) }

    /// The sum over the ranks of `value`.
    public func allreduceSum(_ value: Int) throws(MPIError) -> Int { try reduce([value], .sum)[0] }

    /// The largest `value` over the ranks.
    public func allreduceMax(_ value: Int) throws(MPIError) -> Int { try reduce([value], .max)[0] }

    /// The smallest `value` over the ranks.
    public func allreduceMin(_ value: Int) throws(MPIError) -> Int { try reduce([value], .min)[0] }

    private func reduce(_ values: [Int], _ operation: ReduceOperation) throws(MPIError) -> [Int] {
        guard usesMPI else { return values }
        var wide = values.map(Int64.init)
        try wide.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in try mpiAllreduce(buffer, operation) }
        return wide.map(Int.init)
    }

    /// `bytes` from `root`, on every rank (other ranks' arguments are ignored).
    public func broadcast(_ bytes: [UInt8], root: Int = 0) throws(MPIError) -> [UInt8] {
        precondition((0..<size).contains(root), "root out of range")
        guard usesMPI else { return bytes }
        var length = [Int64(rank == root ? bytes.count : 0)]
        try length.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in
            try mpiBroadcast(.init(buffer), root: root)
        }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        try result.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in
            try mpiBroadcast(.init(buffer), root: root)
        }
        return result
    }

    /// `value` from `root`, on every rank (other ranks' arguments are ignored), such as a seed rank 0 drew.
    public func broadcast(_ value: UInt64, root: Int = 0) throws(MPIError) -> UInt64 {
        let bytes = try broadcast(withUnsafeBytes(of: value.littleEndian) { Array($0) }, root: root)
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    /// Every rank's `bytes`, in rank order, on every rank.
    public func allgather(_ bytes: [UInt8]) throws(MPIError) -> [[UInt8]] {
        guard usesMPI else { return [bytes] }
        var result: [[UInt8]] = []
        result.reserveCapacity(size)
        for root in 0..<size { result.append(try broadcast(bytes, root: root)) }
        return result
    }

    /// Every rank's `bytes`, in rank order, on `root`; `nil` on the other ranks.
    ///
    /// Point-to-point in pieces, so a rank's part may exceed MPI's 2 GiB count limit.
    public func gather(_ bytes: [UInt8], root: Int = 0) throws(MPIError) -> [[UInt8]]? {
        precondition((0..<size).contains(root), "root out of range")
        guard usesMPI else { return [bytes] }
        let tag: Int32 = 0x4c55
        guard rank == root else {
            let length = [Int64(bytes.count)]
            try length.withUnsafeBufferPointer { (buffer) throws(MPIError) in
                try mpiSend(.init(buffer), to: root, tag: tag)
            }
            try bytes.withUnsafeBufferPointer { (buffer) throws(MPIError) in
                try mpiSend(.init(buffer), to: root, tag: tag)
            }
            return nil
        }
        var result: [[UInt8]] = []
        for source in 0..<size {
            if source == root {
                result.append(bytes)
                continue
            }
            var length = [Int64(0)]
            try length.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in
                try mpiReceive(.init(buffer), from: source, tag: tag)
            }
            guard length[0] >= 0 && length[0] <= Int64(Int.max) else {
                throw MPIError(code: -1, operation: "gather", message: "rank \(source) sent a negative length")
            }
            var part = [UInt8](repeating: 0, count: Int(length[0]))
            try part.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in
                try mpiReceive(.init(buffer), from: source, tag: tag)
            }
            result.append(part)
        }
        return result
    }

    /// Waits until every rank gets here.
    public func barrier() throws(MPIError) {
        guard usesMPI else { return }
        try mpiBarrier()
    }

    /// The part `lower..<upper` of `0..<count` this rank takes when `count` items are split as evenly as possible
    /// over the ranks in rank order (earlier ranks take the remainder).
    public func share(of count: Int) -> Range<Int> { Self.share(of: count, rank: rank, size: size) }

    /// Rank `rank`'s part of `0..<count` split as evenly as possible over `size` ranks in rank order.
    public static func share(of count: Int, rank: Int, size: Int) -> Range<Int> {
        precondition(count >= 0 && size > 0 && (0..<size).contains(rank), "invalid share")
        let base = count / size
        let extra = count % size
        let lower = rank * base + min(rank, extra)
        return lower..<(lower + base + (rank < extra ? 1 : 0))
    }
}

/// The process-wide MPI state: started at most once, finalized at most once.
///
/// Invariant (for `@unchecked Sendable`): `world` and `finalized` are accessed only under `lock`.
private final class WorldState: @unchecked Sendable {
    static let shared = WorldState()
    private let lock = NSLock()
    private var cached: Communicator?
    private var finalized = false

    func world() throws(MPIError) -> Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        var world = Communicator.single
        if Communicator.isLaunchedByMPI() {
            let (rank, size, localSize) = try mpiInitialize()
            world = Communicator(rank: rank, size: size, usesMPI: true)
            world.ranksOnThisNode = localSize
        }
        cached = world
        return world
    }

    func finalize() {
        lock.lock()
        defer { lock.unlock() }
        guard let cached, cached.usesMPI, !finalized else { return }
        finalized = true
        mpiFinalize()
    }

    func abort(code: Int32) -> Never {
        let usesMPI = lock.withLock { cached?.usesMPI == true && !finalized }
        if usesMPI { mpiAbort(code) }
        exit(code)
    }
}
