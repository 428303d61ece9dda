/// Why a distribution's parameters, or a value offered to it, were rejected.
///
/// Parameters are named by their wire names (``DistributionKind/parameterNames``) and elements by their flat
/// row-major index, so the description pinpoints the bad number: `Normal stddev[0] = -1.0 must be positive`.
public enum DistributionError: Error, Equatable, CustomStringConvertible {
    /// A condition a parameter element must satisfy.
    public enum Requirement: Sendable, Equatable, CustomStringConvertible {
        case finite, positive, nonNegative, unitInterval, nonNegativeInteger
        /// Uniform's `low` must be below the matching `high`, whose value is given.
        case lessThanHigh(Double)

        /// The requirement as a sentence ending, for example `must be positive`.
        public var description: String {
            switch self {
            case .finite: "must be finite"
            case .positive: "must be positive"
            case .nonNegative: "must be non-negative"
            case .unitInterval: "must be in [0, 1]"
            case .nonNegativeInteger: "must be a non-negative integer"
            case .lessThanHigh(let high): "must be less than high = \(high)"
            }
        }
    }

    /// A parameter tensor has no elements.
    case emptyParameter(DistributionKind, parameter: String)
    /// Element `index` of a parameter breaks `requirement`.
    case invalidParameter(DistributionKind, parameter: String, index: Int, value: Double, requirement: Requirement)
    /// The parameter shapes, in wire order, do not broadcast together.
    case incompatibleShapes(DistributionKind, parameterShapes: [[Int]])
    /// A row of Categorical probabilities sums to zero or overflows, so it cannot be normalised.
    case probsRowSum(DistributionKind, row: Int, sum: Double)
    /// An observed value has no elements.
    case emptyValue(DistributionKind)
    /// An observed value's shape does not broadcast with the distribution's value shape.
    case valueShapeMismatch(DistributionKind, valueShape: [Int], expected: [Int])
    /// Element `index` of an observed value is NaN.
    case nanValue(DistributionKind, index: Int)

    /// A one-line explanation naming the distribution kind, the parameter, the element and the bad value.
    public var description: String {
        switch self {
        case .emptyParameter(let kind, let parameter):
            "\(kind.name) \(parameter) is empty"
        case .invalidParameter(let kind, let parameter, let index, let value, let requirement):
            "\(kind.name) \(parameter)[\(index)] = \(value) \(requirement)"
        case .incompatibleShapes(let kind, let shapes):
            "\(kind.name) parameter shapes "
                + zip(kind.parameterNames, shapes).map { "\($0) \($1)" }.joined(separator: ", ")
                + " do not broadcast"
        case .probsRowSum(let kind, let row, let sum):
            "\(kind.name) probs row \(row) sums to \(sum); a row needs a positive, finite sum to be normalised"
        case .emptyValue(let kind):
            "\(kind.name) value is empty"
        case .valueShapeMismatch(let kind, let valueShape, let expected):
            "\(kind.name) value shape \(valueShape) does not broadcast with the distribution's shape \(expected)"
        case .nanValue(let kind, let index):
            "\(kind.name) value[\(index)] is NaN"
        }
    }
}
