import Foundation
import LumisCore
import LumisDistributions
import LumisSimulation
import Synchronization

/// Gathers traces into a ``TraceStore`` as the sampler hands them over, keeps a running ESS for progress, notes
/// which observations they observe and, with a network proposal, counts the controlled draws it had no head for.
final class TraceCollector: Sendable {
    private struct State {
        var store = TraceStore()
        // Running log Σw and log Σw² over finite log weights, for the progress ESS.
        var logSum = -Double.infinity
        var logSumOfSquares = -Double.infinity
        var controlledDraws = 0
        var fallbacks: [String: Int] = [:]
    }

    private let state: Mutex<State>
    private let total: Int
    private let isWeighted: Bool
    private let network: (any NetworkProposal)?
    private let observationUse: ObservationUse
    private let progress: (@Sendable (RunProgress) -> Void)?

    init(
        total: Int, isWeighted: Bool, network: (any NetworkProposal)?, observationUse: ObservationUse,
        progress: (@Sendable (RunProgress) -> Void)?
    ) {
        var initial = State()
        initial.store.reserveCapacity(traceCount: total)
        self.state = Mutex(initial)
        self.total = total
        self.isWeighted = isWeighted
        self.network = network
        self.observationUse = observationUse
        self.progress = progress
    }

    /// Adds traces that follow the earlier ones in index order.
    ///
    /// - Throws: the ``ObservationUse`` error of a strict run.
    func append(_ traces: [Trace]) throws {
        for trace in traces { try observationUse.record(trace) }
        let snapshot = state.withLock { state in
            for trace in traces {
                state.store.append(trace)
                if let network {
                    for entry in trace.entries where entry.kind == .sample && entry.isControlled {
                        state.controlledDraws += 1
                        if let key = network.fallbackKey(for: entry) { state.fallbacks[key, default: 0] += 1 }
                    }
                }
                let logWeight = isWeighted ? trace.logWeight : 0
                if logWeight.isFinite {
                    state.logSum = logAddExp(state.logSum, logWeight)
                    state.logSumOfSquares = logAddExp(state.logSumOfSquares, 2 * logWeight)
                }
            }
            let ess = state.logSum.isFinite ? exp(2 * state.logSum - state.logSumOfSquares) : 0
            return RunProgress(
                phase: .sampling, completed: state.store.count, total: total,
                effectiveSampleSize: isWeighted ? ess : nil)
        }
        progress?(snapshot)
    }

    /// The traces and counters; with a network, its `ic` counts.
    func output(report: TraceSampler.Report) -> (JobOutput, CompiledSummary?) {
        state.withLock { state in
            let counts = network.map {
                CompiledSummary(
                    networkAddresses: $0.addressCount, controlledDraws: state.controlledDraws,
                    priorFallbacks: state.fallbacks)
            }
            return (
                JobOutput(store: state.store, weighting: isWeighted ? .importance : .uniform, report: report), counts
            )
        }
    }
}
