import LumisTensor

/// The numpy broadcast of two shapes, or `nil` if some aligned pair of extents differs and neither is 1.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let x = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
        let y = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
        if x == y || y == 1 {
            result[axis] = x
        } else if x == 1 {
            result[axis] = y
        } else {
            return nil
        }
    }
    return result
}

/// Walks the elements of a broadcast shape in row-major order, tracking the flat offsets of up to three operands.
///
/// An operand's offset advances by its own row-major stride along axes where its extent matches the result and
/// stays put along axes where it is broadcast (extent 1 or missing). Allocates its stride tables once, at `init`.
struct BroadcastWalk {
    private let extents: [Int]
    private let strides: [(Int, Int, Int)]
    private var counter: [Int]
    /// The flat offsets of the three operands at the current element.
    private(set) var offsets: (Int, Int, Int) = (0, 0, 0)

    /// - Precondition: each operand shape broadcasts to `shape` (unused operands may pass `[]`).
    init(shape: [Int], _ first: [Int], _ second: [Int] = [], _ third: [Int] = []) {
        extents = shape
        counter = [Int](repeating: 0, count: shape.count)
        let a = BroadcastWalk.strides(of: first, in: shape)
        let b = BroadcastWalk.strides(of: second, in: shape)
        let c = BroadcastWalk.strides(of: third, in: shape)
        strides = (0..<shape.count).map { (a[$0], b[$0], c[$0]) }
    }

    private static func strides(of operand: [Int], in shape: [Int]) -> [Int] {
        precondition(operand.count <= shape.count, "Operand shape \(operand) does not broadcast to \(shape)")
        var result = [Int](repeating: 0, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let operandAxis = axis - (shape.count - operand.count)
            guard operandAxis >= 0 else { break }
            let extent = operand[operandAxis]
            precondition(
                extent == shape[axis] || extent == 1, "Operand shape \(operand) does not broadcast to \(shape)")
            if extent != 1 { result[axis] = step }
            step *= extent
        }
        return result
    }

    /// Moves to the next element in row-major order.
    mutating func advance() {
        var axis = extents.count - 1
        while axis >= 0 {
            let step = strides[axis]
            counter[axis] += 1
            offsets.0 += step.0
            offsets.1 += step.1
            offsets.2 += step.2
            if counter[axis] < extents[axis] { return }
            let extent = extents[axis]
            offsets.0 -= step.0 * extent
            offsets.1 -= step.1 * extent
            offsets.2 -= step.2 * extent
            counter[axis] = 0
            axis -= 1
        }
    }
}

extension Tensor {
    /// A tensor of `shape` whose element `i` is `body(i, offsets)` for the broadcast offsets of the operands.
    static func broadcasting(
        shape: [Int], _ first: [Int], _ second: [Int] = [], _ third: [Int] = [],
        _ body: (_ offsets: (Int, Int, Int)) -> Double
    ) -> Tensor {
        let count = Tensor.elementCount(of: shape) ?? 0
        var walk = BroadcastWalk(shape: shape, first, second, third)
        var scalars = ContiguousArray<Double>()
        scalars.reserveCapacity(count)
        for _ in 0..<count {
            scalars.append(body(walk.offsets))
            walk.advance()
        }
        return Tensor(shape: shape, scalars: scalars)
    }
}
