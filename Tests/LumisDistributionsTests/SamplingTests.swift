import LumisDistributions
import LumisTensor
import RealModule
import Testing

@Suite("Sampling shapes and reproducibility")
struct SamplingTests {
    @Test("Result shape is the broadcast parameter shape")
    func shapes() {
        var generator = Xoshiro256StarStar(seed: 1)
        let matrix = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(Distribution.normal(mean: matrix, stddev: Tensor(1)).sample(using: &generator).shape == [2, 3])
        #expect(
            Distribution.gamma(concentration: Tensor([1, 2, 3]), rate: Tensor(shape: [2, 1], scalars: [1, 2]))
                .sample(using: &generator).shape == [2, 3])
        #expect(Distribution.poisson(rate: Tensor(3)).sample(using: &generator).shape == [])
        #expect(Distribution.poisson(rate: Tensor([3])).sample(using: &generator).shape == [1])
        #expect(Distribution.categorical(probs: Tensor([0.5, 0.5])).sample(using: &generator).shape == [])
        let batched = Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 0, 1])
        let draw = Distribution.categorical(probs: batched).sample(using: &generator)
        #expect(draw == Tensor([0, 2]))
    }

    /// A tensor Normal mean with a scalar stddev: each element's draws centre on its own mean.
    @Test("Broadcast tensor mean with scalar stddev")
    func broadcastMoments() {
        let means = [-3.0, 0.0, 10.0]
        let distribution = Distribution.normal(mean: Tensor(means), stddev: Tensor(2))
        #expect(distribution.mean == Tensor(means))
        #expect(distribution.stddev == Tensor([2, 2, 2]))
        var generator = Xoshiro256StarStar(seed: 2)
        var moments = Array(repeating: SampleMoments(), count: 3)
        let count = 20_000
        for _ in 0..<count {
            let draw = distribution.sample(using: &generator)
            for k in 0..<3 { moments[k].add(draw.scalars[k]) }
        }
        for k in 0..<3 { #expect(abs(moments[k].mean - means[k]) <= 5 * 2 / Double(count).squareRoot()) }
    }

    @Test("Batched Categorical: each row sampled from its own probs, mean per row")
    func batchedCategorical() {
        let probs = Tensor(shape: [2, 3], scalars: [0.1, 0.2, 0.7, 0.6, 0.3, 0.1])
        let distribution = Distribution.categorical(probs: probs)
        #expect(distribution.valueShape == [2])
        let mean = distribution.mean
        #expect(mean.shape == [2])
        #expect(mean.scalars[0].isApproximatelyEqual(to: 1.6, relativeTolerance: 1e-12))
        #expect(mean.scalars[1].isApproximatelyEqual(to: 0.5, relativeTolerance: 1e-12))
        var generator = Xoshiro256StarStar(seed: 3)
        var rows = [SampleMoments(), SampleMoments()]
        let count = 20_000
        for _ in 0..<count {
            let draw = distribution.sample(using: &generator)
            rows[0].add(draw.scalars[0])
            rows[1].add(draw.scalars[1])
        }
        let stddev = distribution.stddev
        for row in 0..<2 {
            #expect(abs(rows[row].mean - mean.scalars[row]) <= 5 * stddev.scalars[row] / Double(count).squareRoot())
        }
        let expected = Double.log(0.7) + Double.log(0.6)
        #expect(distribution.logProb(of: Tensor([2, 0])).isApproximatelyEqual(to: expected, relativeTolerance: 1e-14))
    }

    @Test("Same generator state gives the same draws for every kind", arguments: MomentCase.all)
    func reproducible(_ c: MomentCase) {
        var a = Xoshiro256StarStar(seed: 123, stream: 4)
        var b = Xoshiro256StarStar(seed: 123, stream: 4)
        var other = Xoshiro256StarStar(seed: 123, stream: 5)
        let first = (0..<50).map { _ in c.distribution.sampleScalar(using: &a) }
        let second = (0..<50).map { _ in c.distribution.sample(using: &b).scalars[0] }
        let third = (0..<50).map { _ in c.distribution.sampleScalar(using: &other) }
        #expect(first == second)
        #expect(first != third)
    }

    @Test(
        "Invalid parameters never hang the samplers",
        arguments: [
            Distribution.poisson(rate: Tensor(.nan)), .poisson(rate: Tensor(.infinity)),
            .gamma(concentration: Tensor(.nan), rate: Tensor(1)),
            .beta(concentration1: Tensor(-1), concentration0: Tensor(1)),
            .binomial(totalCount: Tensor(.infinity), probs: Tensor(0.5)),
            .binomial(totalCount: Tensor(5), probs: Tensor(.nan)),
            .categorical(probs: Tensor([0, 0])),
        ])
    func invalidDoesNotHang(_ distribution: Distribution) {
        var generator = SplitMix64(seed: 0)
        _ = distribution.sample(using: &generator)
    }

    @Test("Uniform draws stay in [low, high) even for a one-ulp interval")
    func uniformHalfOpen() {
        let low = 1.0
        let distribution = Distribution.uniform(low: Tensor(low), high: Tensor(low.nextUp))
        var generator = SplitMix64(seed: 4)
        for _ in 0..<100 { #expect(distribution.sampleScalar(using: &generator) == low) }
    }

    @Test("Mismatched parameter shapes are a programmer error when sampling")
    func incompatibleShapes() async {
        await #expect(processExitsWith: .failure) {
            var generator = SplitMix64(seed: 0)
            _ = Distribution.normal(mean: Tensor([0, 1]), stddev: Tensor([1, 2, 3])).sample(using: &generator)
        }
        await #expect(processExitsWith: .failure) {
            var generator = SplitMix64(seed: 0)
            _ = Distribution.normal(mean: Tensor([0, 1]), stddev: Tensor(1)).sampleScalar(using: &generator)
        }
    }
}
