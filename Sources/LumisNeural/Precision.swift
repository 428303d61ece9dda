/// The floating-point format a layer's matrix products run in.
///
/// Parameters, optimizer state, activations kept for backpropagation and every accumulation outside a GEMM stay
/// float64 in both; `.float32` rounds a GEMM's operands to float32 and runs `sgemm` (about twice `dgemm`'s rate),
/// adding the float32 product into the float64 result. Weights are read from the store's float32 copy
/// (``ParameterStore/float32Values()``), rebuilt once after each change of the parameters.
public enum Precision: String, Sendable, Hashable, Codable, CaseIterable {
    /// `dgemm` throughout.
    case float64
    /// `sgemm` for the products, float64 elsewhere.
    case float32
}
