import LumisDistributions
import LumisTensor
import LumisWire

/// The reference messages of the golden files, as ppx_golden (branch `cpp`) builds them in C++.
enum GoldenMessages {
    static func scalar(_ value: Double) -> Tensor { Tensor(value) }

    /// `Sample{address "d", name, distribution, control true}`: one per distribution kind.
    static func distributionSample(_ name: String, _ distribution: Distribution) -> Message {
        .sample(Sample(address: "d", name: name, distribution: distribution))
    }

    /// Every golden file name (without `.bin`) with the message it holds.
    static let all: [(name: String, message: Message)] = [
        ("handshake", .handshake(systemName: "lumis 0.1")),
        ("handshake_with_identifier", .handshake(systemName: "lumis 0.1")),
        ("handshake_result", .handshakeResult(systemName: "lumis_cpp 0.1", modelName: "Gaussian with unknown mean")),
        ("run", .run),
        ("run_result", .runResult(result: scalar(7.25))),
        ("run_result_matrix", .runResult(result: Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 1, 0]))),
        (
            "sample_normal",
            .sample(
                Sample(
                    address: "[forward()+0x2a; main+0x1f]",
                    name: "mu",
                    distribution: .normal(mean: scalar(1), stddev: scalar(2.2360679774997896))
                )
            )
        ),
        (
            "sample_uncontrolled",
            .sample(
                Sample(
                    address: "a",
                    name: "",
                    distribution: .uniform(low: scalar(0), high: scalar(1)),
                    isControlled: false
                )
            )
        ),
        ("sample_result", .sampleResult(result: scalar(0.5))),
        ("sample_result_empty", .sampleResult(result: nil)),
        (
            "observe_value",
            .observe(
                Observe(
                    address: "obs_site",
                    name: "obs0",
                    distribution: .normal(mean: Tensor([1, 2]), stddev: scalar(1.4142135623730951)),
                    value: Tensor([8, 9])
                )
            )
        ),
        (
            "observe_named",
            .observe(
                Observe(
                    address: "[forward()+0x99]",
                    name: "obs1",
                    distribution: .normal(mean: scalar(0), stddev: scalar(1)),
                    value: nil
                )
            )
        ),
        ("observe_result", .observeResult),
        ("tag", .tag(Tag(address: "t", name: "energy", value: scalar(3.5)))),
        ("tag_result", .tagResult),
        ("reset", .reset),
        ("dist_normal", distributionSample("normal", .normal(mean: scalar(1.75), stddev: scalar(0.5)))),
        ("dist_uniform", distributionSample("uniform", .uniform(low: scalar(1.2), high: scalar(2.5)))),
        ("dist_categorical", distributionSample("categorical", .categorical(probs: Tensor([0.1, 0.5, 0.4])))),
        ("dist_poisson", distributionSample("poisson", .poisson(rate: scalar(4)))),
        ("dist_bernoulli", distributionSample("bernoulli", .bernoulli(probs: scalar(0.2)))),
        ("dist_beta", distributionSample("beta", .beta(concentration1: scalar(1.2), concentration0: scalar(2.5)))),
        ("dist_exponential", distributionSample("exponential", .exponential(rate: scalar(2.2)))),
        ("dist_gamma", distributionSample("gamma", .gamma(concentration: scalar(0.5), rate: scalar(1.2)))),
        ("dist_log_normal", distributionSample("log_normal", .logNormal(loc: scalar(0.5), scale: scalar(0.2)))),
        ("dist_binomial", distributionSample("binomial", .binomial(totalCount: scalar(10), probs: scalar(0.72)))),
        ("dist_weibull", distributionSample("weibull", .weibull(scale: scalar(1.1), concentration: scalar(0.6)))),
    ]

    /// The names of ``all``, for parameterized tests.
    static var names: [String] { all.map(\.name) }

    /// The message named `name`.
    static func message(named name: String) -> Message {
        guard let entry = all.first(where: { $0.name == name }) else { preconditionFailure("no golden \(name)") }
        return entry.message
    }
}
