import Foundation
import LumisCore
import LumisDistributions
import LumisTensor

/// The proposal policy of one single-site Metropolis–Hastings re-execution (docs/mcmc.md).
///
/// It answers each controlled sample of the candidate trace from the chain's current trace:
/// - at the chosen site, a fresh value: from the prior (LMH) or the RMH mixture `½ k + ½ p`;
/// - at an (address, instance) the current trace holds, the current value, rescored under the new prior, unless
///   that value is invalid there (another shape, or zero density), in which case a fresh prior draw;
/// - anywhere else, a fresh prior draw.
///
/// While the simulator runs, it accumulates the terms of the acceptance ratio that only it can see. One instance
/// serves a whole chain on one thread and is reset for every proposal.
final class ReuseProposal: ProposalPolicy {
    /// Which site proposal to use.
    enum SiteKernel {
        /// A fresh draw from the prior (LMH).
        case prior
        /// The RMH mixture of a local kernel with step scale `stepSize` and the prior.
        case randomWalk(stepSize: Double)
    }

    /// A controlled statement's identity within a trace; not a ``Site``: pyprob reuses a value by address and
    /// instance alone, whatever its name.
    struct Key: Hashable {
        var address: String
        var instance: Int
    }

    /// The site kernel.
    let siteKernel: SiteKernel
    /// The current trace's controlled entries by (address, instance), as entry indices.
    private var index: [Key: Int] = [:]
    /// The current trace.
    private(set) var current = Trace()
    /// The entry indices of the current trace's controlled samples, in execution order.
    private(set) var controlledIndices: [Int] = []
    /// The chosen site, `nil` when replaying a saved state.
    private var site: Key?

    // Per proposal.
    /// Whether the re-run reached the site as a controlled sample.
    private(set) var reachedSite = false
    /// Whether some value redrawn because the old one was invalid under the new prior would have been reused by
    /// the reverse move, so that the reverse move cannot return to the current trace.
    private(set) var isIrreversible = false
    /// `Σ [log p′(v) − log p(v)]` over reused values.
    private(set) var reusedLogRatio = 0.0
    /// How many controlled values were reused.
    private(set) var reusedCount = 0
    /// `T_site`: the Hastings term of the site proposal plus the site's prior ratio (0 for LMH).
    private(set) var siteTerm = 0.0

    /// Creates a policy with an empty current trace.
    init(siteKernel: SiteKernel) {
        self.siteKernel = siteKernel
    }

    /// Makes `trace` the chain's current trace and indexes its controlled samples.
    func setCurrent(_ trace: Trace) {
        current = trace
        index.removeAll(keepingCapacity: true)
        controlledIndices.removeAll(keepingCapacity: true)
        for (position, entry) in trace.entries.enumerated() where entry.kind == .sample && entry.isControlled {
            index[Key(address: entry.address, instance: entry.instance)] = position
            controlledIndices.append(position)
        }
    }

    /// Prepares a re-execution that proposes a new value at the current trace's entry `entryIndex` (or, with
    /// `nil`, replays the current values everywhere).
    func begin(siteEntry entryIndex: Int?) {
        site = entryIndex.map { Key(address: current.entries[$0].address, instance: current.entries[$0].instance) }
        reachedSite = false
        isIrreversible = false
        reusedLogRatio = 0
        reusedCount = 0
        siteTerm = 0
    }

    func choose(
        at site: Site, prior: Distribution, using generator: inout Xoshiro256StarStar
    ) throws -> (value: Tensor, logWeight: Double) {
        let key = Key(address: site.address, instance: site.instance)
        guard let position = index[key] else { return (prior.sample(using: &generator), 0) }
        let old = current.entries[position]
        if key == self.site {
            reachedSite = true
            return (proposeAtSite(old: old, prior: prior, using: &generator), 0)
        }
        let logProb = Self.validLogProb(of: old.value, under: prior)
        if logProb > -.infinity {
            reusedCount += 1
            reusedLogRatio += logProb - old.logProb
            return (old.value, 0)
        }
        let fresh = prior.sample(using: &generator)
        // The reverse move redraws this value only if the fresh one is invalid under the old prior in turn.
        if let oldPrior = old.distribution, Self.validLogProb(of: fresh, under: oldPrior) > -.infinity {
            isIrreversible = true
        }
        return (fresh, 0)
    }

    /// The site's new value, setting ``siteTerm``.
    private func proposeAtSite(
        old: Trace.Entry, prior: Distribution, using generator: inout Xoshiro256StarStar
    ) -> Tensor {
        guard case .randomWalk(let stepSize) = siteKernel, let oldPrior = old.distribution else {
            return prior.sample(using: &generator)
        }
        let forward = RandomWalkKernel(distribution: prior, stepSize: stepSize)
        let forwardHasKernel = forward.hasKernel(at: old.value)
        let value: Tensor
        if forwardHasKernel && generator.next() & 1 == 0 {
            value = forward.sample(around: old.value, using: &generator)
        } else {
            value = prior.sample(using: &generator)
        }
        let newLogProb = Self.validLogProb(of: value, under: prior)
        guard newLogProb > -.infinity else {
            siteTerm = -.infinity
            return value
        }
        let half = Foundation.log(0.5)
        let logForward =
            forwardHasKernel
            ? logAddExp(half + forward.logDensity(of: value, around: old.value), half + newLogProb) : newLogProb
        let reverse = RandomWalkKernel(distribution: oldPrior, stepSize: stepSize)
        let logReverse =
            reverse.hasKernel(at: value)
            ? logAddExp(half + reverse.logDensity(of: old.value, around: value), half + old.logProb) : old.logProb
        siteTerm = logReverse - logForward + newLogProb - old.logProb
        return value
    }

    /// `log p(value)` if `value` has `prior`'s value shape and positive density, else `-infinity`.
    static func validLogProb(of value: Tensor, under prior: Distribution) -> Double {
        guard value.shape == prior.valueShape, !value.scalars.contains(where: \.isNaN) else { return -.infinity }
        let logProb = prior.logProb(of: value)
        return logProb.isNaN ? -.infinity : logProb
    }
}
