public import LumisDistributions
import LumisTensor
import RealModule

/// The proposal family of one controlled address: which distribution the inference network's head parameterises
/// for draws whose prior is of a given kind, and how many raw outputs the head must produce.
///
/// A family is created once per address (when its head is created); ``proposal(raw:prior:)`` then turns each
/// draw's raw head outputs (unconstrained reals) into a ``Proposal``, centred and scaled by that draw's prior so
/// that raw outputs near 0 give a proposal close to the prior and the head only learns the correction.
///
/// With `K` components, the raw outputs are laid out in blocks of `K` (block-major: all `m`, then all `s`, then
/// all `c`), per prior kind:
///
/// - Normal(μ₀, σ₀): mixture of K normals; raw `m`, `s`, `c` (3K); mean `μ₀ + (mₖ + δₖ)·σ₀`, stddev
///   `exp(sₖ)·σ₀`.
/// - Uniform(a, b): mixture of K normals truncated to [a, b]; raw `m`, `s`, `c` (3K); mean
///   `a + (b − a)·sigmoid(mₖ + δₖ)` (always inside [a, b], so no component is lost in a tail), stddev
///   `(b − a)·exp(sₖ)`.
/// - Categorical(p₀) with n categories: categorical; raw `ℓ` (n); probabilities `softmax(log p₀ + ℓ)` (a category
///   the prior excludes stays excluded).
/// - Bernoulli(p₀): Bernoulli; raw `ℓ` (1); `P(1) = sigmoid(logit p₀ + ℓ)`.
/// - Poisson(λ₀): mixture of K Poissons; raw `r`, `c` (2K); rate `λ₀·exp(rₖ + δₖ/√max(λ₀, 1))`.
/// - Binomial(n, p₀): mixture of K binomials with total count n; raw `r`, `c` (2K); probability
///   `sigmoid(logit p₀ + rₖ + δₖ/√max(n·p₀·(1 − p₀), 1))`.
/// - Beta: mixture of K logit-normals on (0, 1); raw `m`, `s`, `c` (3K);
///   `logit x ~ Normal(c₀ + (mₖ + δₖ)·s₀, exp(sₖ)·s₀)`; the density includes the Jacobian `1/(x(1 − x))`.
/// - Gamma, Exponential, LogNormal, Weibull: mixture of K log-normals on (0, ∞); raw `m`, `s`, `c` (3K);
///   `log x ~ Normal(c₀ + (mₖ + δₖ)·s₀, exp(sₖ)·s₀)`; the density includes the Jacobian `1/x`.
///
/// Mixture weights are `softmax(c)` (for K = 1 the single logit is present but has no effect, its gradient is 0).
/// The fixed offsets `δₖ = k/(K−1) − 1/2` (δ = 0 for K = 1) spread the components evenly over half a prior
/// standard deviation either side of the centre, so that at raw = 0 they differ (breaking the symmetry between
/// components) while the mixture stays close to the prior (Poisson and Binomial scale the offsets to half the
/// prior's standard deviation in log-rate and logit space). The transformed-space centre and scale `c₀`, `s₀` are
/// the prior's exact mean and standard deviation of `logit x` (Beta) or `log x` (the positive kinds):
///
/// ```
/// Beta(α, β):        c₀ = ψ(α) − ψ(β),    s₀² = ψ′(α) + ψ′(β)
/// Gamma(α, rate b):  c₀ = ψ(α) − log b,   s₀² = ψ′(α)
/// Exponential(λ):    c₀ = −γ − log λ,     s₀² = π²/6
/// LogNormal(μ, σ):   c₀ = μ,              s₀² = σ²
/// Weibull(λ, k):     c₀ = log λ − γ/k,    s₀² = π²/(6k²)
/// ```
///
/// so for K = 1 and raw = 0 the proposal is the prior exactly for Normal, LogNormal, Categorical, Bernoulli,
/// Poisson and Binomial, and the moment-matched logit-/log-normal for the others.
///
/// **Prior fallback.** Priors whose value has more than one element (tensor-valued draws) are not supported in
/// this version: their family is a *prior fallback* (``isPriorFallback``), with ``rawCount`` 0, and every
/// proposal it builds is the prior itself (so the importance weight of that draw is 1 and there is nothing to
/// learn). The same fallback proposal is returned by ``proposal(raw:prior:)`` when a draw's prior does not fit the
/// family (see ``matches(_:)``) or when the prior-derived centre or scale is not finite (e.g. a Uniform whose width
/// overflows); ``Proposal/isPriorFallback`` reports it so that the caller can count and report such draws.
public struct ProposalFamily: Sendable, Hashable {
    /// The kind of prior this family proposes for.
    public let priorKind: DistributionKind
    /// The number of mixture components `K` (ignored by Categorical and Bernoulli, which have one).
    public let components: Int
    /// The number of categories for a Categorical family, otherwise 0.
    public let categories: Int
    /// Whether this family only ever proposes from the prior (tensor-valued priors); then ``rawCount`` is 0.
    public let isPriorFallback: Bool
    /// How many raw network outputs the head must produce (0 for a prior fallback).
    public let rawCount: Int

    /// The family used for controlled draws whose prior is `prior`.
    ///
    /// The kind selects the family; Categorical's number of categories sets ``rawCount``. A prior whose value
    /// has more than one element, or whose parameters do not broadcast, gives a prior fallback.
    /// - Parameters:
    ///   - prior: the prior of the first draw seen at the address (its kind and shape fix the family).
    ///   - components: the number of mixture components `K`, a setting (pyprob's default is 10).
    /// - Precondition: `components >= 1`.
    public init(prior: Distribution, components: Int) {
        precondition(components >= 1, "A proposal family needs at least one mixture component, got \(components)")
        priorKind = prior.kind
        self.components = components
        let width = Self.scalarWidth(of: prior)
        isPriorFallback = width == nil
        categories = prior.kind == .categorical ? width ?? 0 : 0
        if isPriorFallback {
            rawCount = 0
            return
        }
        switch prior.kind {
        case .normal, .uniform, .beta, .gamma, .exponential, .logNormal, .weibull: rawCount = 3 * components
        case .poisson, .binomial: rawCount = 2 * components
        case .categorical: rawCount = categories
        case .bernoulli: rawCount = 1
        }
    }

    /// Whether `prior` fits this family.
    ///
    /// It must have the same kind, a single-element value and, for Categorical, the same number of categories. A
    /// prior fallback family fits every prior of its kind.
    public func matches(_ prior: Distribution) -> Bool {
        guard prior.kind == priorKind else { return false }
        if isPriorFallback { return true }
        guard let width = Self.scalarWidth(of: prior) else { return false }
        return priorKind != .categorical || width == categories
    }

    /// The proposal for one draw, from the head's raw outputs and the draw's prior.
    ///
    /// Raw outputs are unconstrained; see the type's documentation for how each family maps them. If `prior`
    /// does not fit the family (``matches(_:)``), or the family is a prior fallback, the proposal is the prior.
    /// Non-finite raw outputs give a proposal whose samples and log probabilities are NaN (never a trap or a
    /// hang); raw outputs beyond about ±700 overflow `exp` likewise.
    /// - Parameters:
    ///   - raw: the head's outputs for this draw, ``rawCount`` of them.
    ///   - prior: the draw's prior; it should have passed ``Distribution/validate()``.
    /// - Precondition: `raw.count == rawCount`.
    /// - Complexity: O(rawCount); allocates one array of about `rawCount` elements.
    public func proposal(raw: UnsafeBufferPointer<Double>, prior: Distribution) -> Proposal {
        precondition(raw.count == rawCount, "Proposal head gave \(raw.count) raw outputs, family takes \(rawCount)")
        guard !isPriorFallback && matches(prior) else { return Proposal(family: self, prior: prior) }
        // One-element parameters (checked by `matches`); switching on the cases avoids building `parameters`.
        switch prior {
        case .normal(let mean, let stddev):
            return normalMixture(raw, prior, space: .real, centre: mean.scalars[0], scale: stddev.scalars[0])
        case .uniform(let low, let high):
            return truncatedNormalMixture(raw, prior, low: low.scalars[0], high: high.scalars[0])
        case .categorical(let probs):
            return categorical(raw, prior, probs: probs)
        case .bernoulli(let probs):
            let p = probs.scalars[0]
            let logit = Double.log(p) - Double.log(onePlus: -p)
            return Proposal(family: self, prior: prior, form: .bernoulli(logit: logit + raw[0]))
        case .poisson(let rate):
            return poissonMixture(raw, prior, rate: rate.scalars[0])
        case .binomial(let totalCount, let probs):
            return binomialMixture(raw, prior, totalCount: totalCount.scalars[0], probs: probs.scalars[0])
        case .beta(let concentration1, let concentration0):
            let (a, b) = (concentration1.scalars[0], concentration0.scalars[0])
            let centre = Special.digamma(a) - Special.digamma(b)
            let scale = (Special.trigamma(a) + Special.trigamma(b)).squareRoot()
            return normalMixture(raw, prior, space: .unitInterval, centre: centre, scale: scale)
        case .gamma(let concentration, let rate):
            let a = concentration.scalars[0]
            let centre = Special.digamma(a) - Double.log(rate.scalars[0])
            return normalMixture(raw, prior, space: .positive, centre: centre, scale: Special.trigamma(a).squareRoot())
        case .exponential(let rate):
            let centre = -Special.eulerGamma - Double.log(rate.scalars[0])
            return normalMixture(raw, prior, space: .positive, centre: centre, scale: Double.pi / 6.squareRoot())
        case .logNormal(let loc, let scale):
            return normalMixture(raw, prior, space: .positive, centre: loc.scalars[0], scale: scale.scalars[0])
        case .weibull(let scale, let concentration):
            let k = concentration.scalars[0]
            let centre = Double.log(scale.scalars[0]) - Special.eulerGamma / k
            return normalMixture(raw, prior, space: .positive, centre: centre, scale: Double.pi / (6.squareRoot() * k))
        }
    }

    /// The number of categories (Categorical) or 1 (other kinds) if `prior`'s value has one element, else `nil`.
    private static func scalarWidth(of prior: Distribution) -> Int? {
        // A value of shape [] broadcasts with every shape, so this asks only whether the parameters broadcast.
        guard prior.valueShapeMatches([]), Tensor.elementCount(of: prior.valueShape) == 1 else { return nil }
        guard case .categorical(let probs) = prior else { return 1 }
        let width = probs.shape.last ?? 1
        return width >= 1 && probs.scalarCount == width ? width : nil
    }

    /// The fixed offset δₖ of component `k` (see the type's documentation).
    static func offset(_ k: Int, of count: Int) -> Double {
        count == 1 ? 0 : Double(k) / Double(count - 1) - 0.5
    }

    /// Writes `c − logsumexp(c)` for the mixture logits `raw[start ..< start + K]` into `values[0 ..< K]`.
    private func writeLogWeights(
        _ raw: UnsafeBufferPointer<Double>, start: Int, into values: inout ContiguousArray<Double>
    ) {
        var largest = -Double.infinity
        for k in 0..<components { largest = max(largest, raw[start + k]) }
        var sum = 0.0
        for k in 0..<components { sum += Double.exp(raw[start + k] - largest) }
        let logNormaliser = largest + Double.log(sum)
        for k in 0..<components { values[k] = raw[start + k] - logNormaliser }
    }

    private func normalMixture(
        _ raw: UnsafeBufferPointer<Double>, _ prior: Distribution, space: Proposal.Space, centre: Double,
        scale: Double
    ) -> Proposal {
        guard centre.isFinite && scale.isFinite && scale > 0 else { return Proposal(family: self, prior: prior) }
        let count = components
        var values = ContiguousArray<Double>(repeating: 0, count: 3 * count)
        writeLogWeights(raw, start: 2 * count, into: &values)
        for k in 0..<count {
            values[count + k] = centre + (raw[k] + Self.offset(k, of: count)) * scale
            values[2 * count + k] = Double.exp(raw[count + k]) * scale
        }
        return Proposal(family: self, prior: prior, form: .normalMixture(space: space, scale: scale), values: values)
    }

    private func truncatedNormalMixture(
        _ raw: UnsafeBufferPointer<Double>, _ prior: Distribution, low: Double, high: Double
    ) -> Proposal {
        let width = high - low
        guard low.isFinite && width.isFinite && width > 0 else { return Proposal(family: self, prior: prior) }
        let count = components
        var values = ContiguousArray<Double>(repeating: 0, count: 5 * count)
        writeLogWeights(raw, start: 2 * count, into: &values)
        for k in 0..<count {
            let t = raw[k] + Self.offset(k, of: count)
            let u = Special.sigmoid(t)
            let mean = min(max(low + width * u, low), high)
            let stddev = width * Double.exp(raw[count + k])
            values[count + k] = mean
            values[2 * count + k] = stddev
            values[3 * count + k] = Special.logNormalIntervalProbability((low - mean) / stddev, (high - mean) / stddev)
            values[4 * count + k] = width * u * Special.sigmoid(-t)  // ∂mean/∂m
        }
        let form = Proposal.Form.truncatedNormalMixture(low: low, high: high)
        return Proposal(family: self, prior: prior, form: form, values: values)
    }

    private func categorical(
        _ raw: UnsafeBufferPointer<Double>, _ prior: Distribution, probs: Tensor
    ) -> Proposal {
        var values = ContiguousArray<Double>(repeating: 0, count: categories)
        var sum = 0.0
        for j in 0..<categories { sum += probs.scalars[j] }
        let logSum = Double.log(sum)
        var largest = -Double.infinity
        for j in 0..<categories {
            // A category the prior excludes stays excluded whatever the head says.
            let logit = Double.log(probs.scalars[j]) - logSum + raw[j]
            values[j] = logit
            largest = max(largest, logit)
        }
        var total = 0.0
        for j in 0..<categories { total += Double.exp(values[j] - largest) }
        let logNormaliser = largest + Double.log(total)
        for j in 0..<categories { values[j] -= logNormaliser }
        return Proposal(family: self, prior: prior, form: .categorical, values: values)
    }

    private func poissonMixture(_ raw: UnsafeBufferPointer<Double>, _ prior: Distribution, rate: Double) -> Proposal {
        guard rate.isFinite && rate >= 0 else { return Proposal(family: self, prior: prior) }
        let count = components
        let spread = 1 / max(rate, 1).squareRoot()
        let logRate = Double.log(rate)
        var values = ContiguousArray<Double>(repeating: 0, count: 3 * count)
        writeLogWeights(raw, start: count, into: &values)
        for k in 0..<count {
            let logRateK = logRate + raw[k] + Self.offset(k, of: count) * spread
            values[count + k] = logRateK
            values[2 * count + k] = Double.exp(logRateK)
        }
        return Proposal(family: self, prior: prior, form: .poissonMixture, values: values)
    }

    private func binomialMixture(
        _ raw: UnsafeBufferPointer<Double>, _ prior: Distribution, totalCount: Double, probs: Double
    ) -> Proposal {
        guard totalCount.isFinite && totalCount >= 0 && probs >= 0 && probs <= 1 else {
            return Proposal(family: self, prior: prior)
        }
        let count = components
        let spread = 1 / max(totalCount * probs * (1 - probs), 1).squareRoot()
        let logit = Double.log(probs) - Double.log(onePlus: -probs)
        var values = ContiguousArray<Double>(repeating: 0, count: 4 * count)
        writeLogWeights(raw, start: count, into: &values)
        for k in 0..<count {
            let logitK = logit + raw[k] + Self.offset(k, of: count) * spread
            values[count + k] = -Special.softplus(-logitK)  // log p
            values[2 * count + k] = -Special.softplus(logitK)  // log(1 − p)
            values[3 * count + k] = Special.sigmoid(logitK)
        }
        let form = Proposal.Form.binomialMixture(totalCount: totalCount)
        return Proposal(family: self, prior: prior, form: form, values: values)
    }
}
