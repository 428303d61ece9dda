import Foundation
import LumisCore
import LumisDistributions
public import LumisSimulation
import Synchronization

/// What an inference job produced: the traces in index order and the run's counters.
public struct JobOutput: Sendable {
    /// The finished traces.
    public var store: TraceStore
    /// How the traces are weighted.
    public var weighting: Posterior.Weighting
    /// Discarded attempts, restarts and the model name.
    public var report: TraceSampler.Report

    /// Creates an output from its parts.
    public init(store: TraceStore, weighting: Posterior.Weighting, report: TraceSampler.Report) {
        self.store = store
        self.weighting = weighting
        self.report = report
    }

    /// The weighted posterior over the traces.
    public var posterior: Posterior { Posterior(store: store, weighting: weighting) }
}

/// Gathers traces into a ``TraceStore`` as the sampler hands them over, and keeps a running ESS for progress.
final class TraceCollector: Sendable {
    private struct State {
        var store = TraceStore()
        // Running log Σw and log Σw² over finite log weights, for the progress ESS.
        var logSum = -Double.infinity
        var logSumOfSquares = -Double.infinity
    }

    private let state: Mutex<State>
    private let total: Int
    private let isWeighted: Bool
    private let progress: (@Sendable (RunProgress) -> Void)?

    init(total: Int, isWeighted: Bool, progress: (@Sendable (RunProgress) -> Void)?) {
        var initial = State()
        initial.store.reserveCapacity(traceCount: total)
        self.state = Mutex(initial)
        self.total = total
        self.isWeighted = isWeighted
        self.progress = progress
    }

    func append(_ traces: [Trace]) {
        let snapshot = state.withLock { state in
            for trace in traces {
                state.store.append(trace)
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

    func output(report: TraceSampler.Report) -> JobOutput {
        state.withLock { state in
            JobOutput(store: state.store, weighting: isWeighted ? .importance : .uniform, report: report)
        }
    }
}
