import Foundation

/// The memory a run may use, and a check that refuses a run that cannot fit before any simulator starts.
///
/// The limit is the smallest of physical memory, the cgroup's memory limit (v2 `memory.max` or v1
/// `memory.limit_in_bytes`, as SLURM and containers set them) and the address-space limit `RLIMIT_AS`
/// (`ulimit -v`). Exceeding it would end in an allocation failure (a crash) or the kernel's OOM killer.
public enum MemoryBudget {
    /// A limit on memory and where it comes from.
    public struct Limit: Sendable, Equatable {
        /// The limit in bytes.
        public var bytes: UInt64
        /// Where it comes from: "physical memory", "cgroup memory limit" or "RLIMIT_AS (ulimit -v)".
        public var source: String
    }

    /// A run that needs more memory than the limit allows.
    public struct Exceeded: Error, Equatable, CustomStringConvertible {
        /// The least memory the run would need.
        public var neededBytes: UInt64
        /// The limit it exceeds.
        public var limit: Limit
        /// What needs the memory, such as "--traces 10000000000".
        public var what: String

        /// A one-line message with both figures.
        public var description: String {
            "\(what) needs at least \(MemoryBudget.format(neededBytes)) of memory to hold its traces, more than "
                + "the \(MemoryBudget.format(limit.bytes)) limit (\(limit.source)); ask for fewer "
                + "traces (or split the run)"
        }
    }

    /// The smallest of the limits that apply to this process.
    public static func currentLimit() -> Limit {
        var limits: [Limit] = []
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0 && pageSize > 0 {
            limits.append(Limit(bytes: UInt64(pages) * UInt64(pageSize), source: "physical memory"))
        }
        if let bytes = cgroupLimit() { limits.append(Limit(bytes: bytes, source: "cgroup memory limit")) }
        var addressSpace = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &addressSpace) == 0 && addressSpace.rlim_cur != rlim_t.max
        {
            limits.append(Limit(bytes: UInt64(addressSpace.rlim_cur), source: "RLIMIT_AS (ulimit -v)"))
        }
        return limits.min { $0.bytes < $1.bytes } ?? Limit(bytes: .max, source: "none found")
    }

    /// Throws unless `count` items of `bytesEach` fit under `limit`.
    ///
    /// - Parameters:
    ///   - count: how many items (traces) the run keeps in memory.
    ///   - bytesEach: a lower bound of the bytes one item costs, so that a run that fits is never refused.
    ///   - what: names the option in the message.
    ///   - limit: the limit (the process's by default).
    /// - Throws: ``Exceeded`` with both figures.
    public static func check(count: Int, bytesEach: Int, what: String, limit: Limit = currentLimit())
        throws(Exceeded)
    {
        let (needed, overflow) = UInt64(max(count, 0)).multipliedReportingOverflow(by: UInt64(max(bytesEach, 0)))
        if overflow || needed > limit.bytes {
            throw Exceeded(neededBytes: overflow ? .max : needed, limit: limit, what: what)
        }
    }

    /// The tightest cgroup memory limit on this process's cgroup path (or the mount's root, as seen inside a
    /// container's cgroup namespace), `nil` when unlimited or not found.
    static func cgroupLimit() -> UInt64? {
        var candidates: [String] = []
        let lines = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8))?.split(separator: "\n") ?? []
        for line in lines {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[1].isEmpty {
                candidates.append("/sys/fs/cgroup\(path)/memory.max")
                candidates.append("/sys/fs/cgroup/unified\(path)/memory.max")
            } else if fields[1].split(separator: ",").contains("memory") {
                candidates.append("/sys/fs/cgroup/memory\(path)/memory.limit_in_bytes")
            }
        }
        candidates += ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        let limits = candidates.compactMap { path -> UInt64? in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            // "max" (v2) or a huge page-rounded Int64.max (v1) mean no limit.
            guard let bytes = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes < 1 << 62
            else { return nil }
            return bytes
        }
        return limits.min()
    }

    /// Bytes as GiB or MiB with one decimal.
    static func format(_ bytes: UInt64) -> String {
        if bytes == .max { return "more than 16 EiB" }
        let gib = Double(bytes) / Double(1 << 30)
        return gib >= 1 ? String(format: "%.1f GiB", gib) : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}
