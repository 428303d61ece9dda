/// The floating-point format a network stores its parameters in and runs its products in.
///
/// In `.float32` a ``ParameterStore`` holds values and gradients as `Float`, Adam keeps its moments as `Float`,
/// and every layer's matrix product (dense layers, heads, convolutions, the LSTM) runs on `sgemm`, about twice
/// `dgemm`'s rate, reading the float32 parameters directly and accumulating weight gradients directly into the
/// float32 gradients. Float64 stays where accuracy needs it: activations and the caches kept for backpropagation
/// are `Double` (a product's float32 result is added into them), the LSTM's pointwise gate arithmetic, losses,
/// log-sum-exp and their accumulation, and Adam's per-element arithmetic (moments are loaded, updated in float64
/// registers and rounded once when stored).
public enum Precision: String, Sendable, Hashable, Codable, CaseIterable {
    /// `Double` storage, `dgemm` throughout: the reference, checked against central differences.
    case float64
    /// `Float` storage of parameters, gradients and Adam's moments; `sgemm` products.
    case float32
}
