/// A running sum with Neumaier's compensation, so long sums of weights and weighted values keep nearly
/// full precision (error O(ε) instead of O(Nε)) without depending on summation order tricks.
struct CompensatedSum {
    private var sum = 0.0
    private var compensation = 0.0

    /// The current total.
    var value: Double { sum.isFinite ? sum + compensation : sum }

    /// Adds `term` to the total.
    @inline(__always)
    mutating func add(_ term: Double) {
        let next = sum + term
        // Infinite or NaN terms make the total non-finite; compensating them would only turn ±∞ into NaN.
        guard next.isFinite else {
            sum = next
            return
        }
        if abs(sum) >= abs(term) {
            compensation += (sum - next) + term
        } else {
            compensation += (term - next) + sum
        }
        sum = next
    }
}
