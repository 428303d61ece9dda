import Foundation
import LumisCore
import LumisInference
import LumisTensor

/// A trace with a named scalar `mu`, an unnamed sample at `walk`, a 2×2 tag `m`, and two observes.
func modelTrace(mu: Double, step: Double, matrix: [Double], logWeight: Double = 0) -> Trace {
    func entry(_ kind: Trace.Kind, _ address: String, _ name: String, _ value: Tensor, instance: Int = 1) -> Trace.Entry
    {
        Trace.Entry(
            kind: kind, address: address, instance: instance, name: name, distribution: nil, value: value, logProb: 0,
            isControlled: kind == .sample)
    }
    var trace = Trace()
    trace.entries = [
        entry(.sample, "mu_site", "mu", Tensor(mu)),
        entry(.sample, "walk", "", Tensor(step)),
        entry(.tag, "m_site", "m", Tensor(shape: [2, 2], scalars: matrix)),
        entry(.observe, "obs", "obs0", Tensor(8.0)),
        entry(.observe, "obs", "obs1", Tensor(9.0), instance: 2),
    ]
    trace.result = Tensor(mu * 2)
    trace.logWeight = logWeight
    return trace
}

/// Two chains of three and four draws with values that identify chain and draw: mu = 10·chain + draw.
func sampleChainSet() -> ChainSet {
    var stores: [TraceStore] = []
    var statistics: [ChainStatistics] = []
    var logJoints: [[Double]] = []
    for (chain, length) in [3, 4].enumerated() {
        logJoints.append((0..<length).map { -Double(10 * chain + $0) - 0.5 })
        var store = TraceStore()
        for draw in 0..<length {
            let mu = Double(10 * chain + draw)
            store.append(modelTrace(mu: mu, step: -mu, matrix: [mu, mu + 0.25, mu + 0.5, mu + 0.75]))
        }
        stores.append(store)
        var counters = ChainStatistics()
        counters.proposals = 10 + chain
        counters.accepted = 4 + chain
        counters.proposalsByAddress = ["mu_site": 6, "walk": 4 + chain]
        counters.acceptedByAddress = ["mu_site": 3, "walk": 1 + chain]
        counters.reusedSamples = 7
        counters.controlledSamples = 20
        counters.restarts = chain
        statistics.append(counters)
    }
    return ChainSet(chains: stores, statistics: statistics, logJoints: logJoints)
}

/// The summary of the pooled chains of `chains`, as an MCMC run's posterior file.
func chainSummary(_ chains: ChainSet, observations: [String: Tensor] = [:]) -> PosteriorSummary {
    MCMCOutput(chainSet: chains, finalStates: chains.chains.map { _ in nil }, modelName: "test").pooledPosterior
        .summary(metadata: PosteriorMetadata(engine: "rmh", seed: 5, model: "test", observations: observations))
}

/// A fresh empty directory under the system temporary directory.
func temporaryDirectory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "lumis-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs `executable` (looked up on PATH) with `arguments`; returns status and standard output, or `nil` if it
/// cannot be started.
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
        process.terminationStatus, String(decoding: outputData, as: UTF8.self),
        String(decoding: errorData, as: UTF8.self)
    )
}

/// The repository root (this file is Tests/LumisOutputTests/OutputTestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
