extension PosteriorSummary {
    /// Thresholds of ``convergenceWarnings(thresholds:)``, after Vehtari et al.
    ///
    /// (2021).
    public struct WarningThresholds: Sendable, Equatable {
        /// R-hat above this means the chains disagree.
        public var maximumRHat = 1.01
        /// Bulk or tail ESS below this (in all) is too few for reliable quantiles.
        public var minimumESS = 400.0
        /// Bulk or tail ESS below this per chain is too few as well.
        public var minimumESSPerChain = 100.0
        /// A site whose proposals are accepted less often than this mixes slowly.
        public var minimumAcceptanceRate = 0.05

        /// The defaults: R-hat 1.01, ESS 400 (100 per chain), acceptance 5%.
        public init() {}
    }

    /// Plain-language warnings about convergence: R-hat above the limit, bulk or tail ESS below it, variables
    /// without diagnostics, and sites or chains that rarely accept.
    ///
    /// Empty when nothing is wrong (and for runs without chains, which have nothing to check but the
    /// importance-sampling ESS).
    public func convergenceWarnings(thresholds: WarningThresholds = WarningThresholds()) -> [String] {
        var warnings: [String] = []
        func check(_ label: String, _ statistics: VariableStatistics) {
            guard let diagnostics = statistics.diagnostics else {
                if chains != nil {
                    warnings.append("\(label): no convergence diagnostics (some draws lack it, or too few draws)")
                }
                return
            }
            let essLimit = max(thresholds.minimumESS, thresholds.minimumESSPerChain * Double(diagnostics.chainCount))
            for element in diagnostics.rHat.indices {
                let name = statistics.shape.isEmpty ? label : "\(label) element \(element)"
                let rHat = diagnostics.rHat[element]
                if rHat > thresholds.maximumRHat {
                    warnings.append(
                        "\(name): R-hat is \(rounded(rHat, 3)) (above \(thresholds.maximumRHat)); the chains have not "
                            + "converged to the same distribution. Run longer chains or check the model.")
                } else if rHat.isNaN && diagnostics.chainCount > 1 {
                    warnings.append("\(name): R-hat is undefined (constant draws or too few draws).")
                }
                for (kind, ess) in [("bulk", diagnostics.essBulk[element]), ("tail", diagnostics.essTail[element])]
                where ess < essLimit {
                    warnings.append(
                        "\(name): \(kind) ESS is \(rounded(ess, 1)) (below \(rounded(essLimit, 0))); "
                            + (kind == "bulk" ? "the mean and median" : "the 5% and 95% quantiles")
                            + " are unreliable. Run more or longer chains.")
                }
            }
        }
        for name in variableNames { check(name, statistics(named: name)) }
        let byBytes: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (index, chain) in (chains ?? []).enumerated() {
            let statistics = chain.statistics
            if let rate = statistics.acceptanceRate, rate < thresholds.minimumAcceptanceRate {
                warnings.append("chain \(index): only \(rounded(100 * rate, 2))% of proposals were accepted.")
            }
            for address in statistics.proposalsByAddress.keys.sorted(by: byBytes) {
                if let rate = statistics.acceptanceRate(at: address), rate < thresholds.minimumAcceptanceRate {
                    warnings.append(
                        "chain \(index), address \(address): only \(rounded(100 * rate, 2))% of "
                            + "\(statistics.proposalsByAddress[address] ?? 0) proposals accepted; this site mixes "
                            + "slowly (for rmh, try a smaller step size).")
                }
            }
            if statistics.restarts > 0 {
                warnings.append("chain \(index): the simulator was restarted \(statistics.restarts) times.")
            }
        }
        return warnings
    }
}

extension PosteriorSummary {
    /// The worst convergence figures of an MCMC run and where they occur: the headline of `lumis diagnose`.
    public struct ConvergenceHeadline: Sendable {
        /// The largest R-hat over every variable element, and that element's label.
        public var worstRHat: (value: Double, at: String)?
        /// The smallest bulk or tail ESS over every element, which kind it is, and that element's label.
        public var lowestESS: (value: Double, kind: String, at: String)?
        /// Whether every figure is within the thresholds (and every variable has diagnostics).
        public var isConverged: Bool
    }

    /// The worst R-hat and lowest ESS over all variables, for runs with chains; `nil` without chains.
    public func convergenceHeadline(thresholds: WarningThresholds = WarningThresholds()) -> ConvergenceHeadline? {
        guard chains != nil else { return nil }
        var headline = ConvergenceHeadline(worstRHat: nil, lowestESS: nil, isConverged: true)
        for name in variableNames {
            let statistics = statistics(named: name)
            guard let diagnostics = statistics.diagnostics else {
                headline.isConverged = false
                continue
            }
            let essLimit = max(thresholds.minimumESS, thresholds.minimumESSPerChain * Double(diagnostics.chainCount))
            for element in diagnostics.rHat.indices {
                let label = statistics.shape.isEmpty ? name : "\(name) element \(element)"
                let rHat = diagnostics.rHat[element]
                if rHat.isNaN && diagnostics.chainCount > 1 { headline.isConverged = false }
                if !rHat.isNaN && rHat > (headline.worstRHat?.value ?? -.infinity) {
                    headline.worstRHat = (rHat, label)
                }
                if rHat > thresholds.maximumRHat { headline.isConverged = false }
                for (kind, ess) in [("bulk", diagnostics.essBulk[element]), ("tail", diagnostics.essTail[element])] {
                    if ess < essLimit || ess.isNaN { headline.isConverged = false }
                    if !ess.isNaN && ess < (headline.lowestESS?.value ?? .infinity) {
                        headline.lowestESS = (ess, kind, label)
                    }
                }
            }
        }
        return headline
    }

    /// The statistics of one of ``variableNames``.
    ///
    /// - Precondition: `name` is one of ``variableNames``.
    func statistics(named name: String) -> VariableStatistics {
        guard let statistics = variables[name] ?? addresses[name] ?? (name == "(result)" ? result : nil) else {
            preconditionFailure("no variable \(name)")
        }
        return statistics
    }
}

extension PosteriorSummary.ConvergenceHeadline {
    /// One line: the verdict, then the worst R-hat and lowest ESS with where they occur.
    public func line(thresholds: PosteriorSummary.WarningThresholds = .init()) -> String {
        var parts: [String] = []
        if let worstRHat {
            parts.append("worst R-hat \(rounded(worstRHat.value, 3)) at \(worstRHat.at)")
        } else {
            parts.append("R-hat undefined")
        }
        if let lowestESS {
            parts.append("lowest ESS \(rounded(lowestESS.value, 0)) (\(lowestESS.kind)) at \(lowestESS.at)")
        } else {
            parts.append("ESS undefined")
        }
        let verdict = isConverged ? "CONVERGED" : "NOT CONVERGED"
        return "\(verdict): " + parts.joined(separator: ", ")
            + " (limits: R-hat ≤ \(thresholds.maximumRHat), ESS ≥ \(Int(thresholds.minimumESS)))"
    }
}

/// `value` rounded to `digits` decimals, as text.
private func rounded(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return value.description }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let result = (value * scale).rounded() / scale
    return digits == 0 ? String(Int(result)) : result.description
}
