import ArgumentParser

/// Parsers for whole-number options (`--traces`, `--workers`, ...), given as `transform:` with
/// `parsing: .unconditional` so that `--traces -5` reaches them instead of reading as a missing value.
///
/// A count may be written `20000`, `20_000` or `2e4` (it must be a whole number).
enum Count {
    /// A count of at least 1.
    static func positive(_ text: String) throws -> Int {
        guard let value = parse(text), value > 0 else { throw ValidationError("must be a positive integer") }
        return value
    }

    /// A count of at least 0.
    static func nonNegative(_ text: String) throws -> Int {
        guard let value = parse(text), value >= 0 else { throw ValidationError("must be a non-negative integer") }
        return value
    }

    /// The whole number `text` spells, or `nil`.
    static func parse(_ text: String) -> Int? {
        let plain = text.replacing("_", with: "")
        if let value = Int(plain) { return value }
        // Scientific notation, only when it names a whole number that fits an Int.
        guard plain.contains(where: { $0 == "e" || $0 == "E" }), let number = Double(plain), number.isFinite,
            number == number.rounded(), abs(number) < 9.0e18
        else { return nil }
        return Int(number)
    }
}
