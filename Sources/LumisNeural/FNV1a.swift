/// The 64-bit FNV-1a hash of `bytes` (Fowler–Noll–Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3):
/// parameter-file checksums, the cross-rank identity check of a data-parallel run, address-derived seeds.
///
/// Inlinable so that callers in other modules iterate their concrete byte collection without generic dispatch
/// (a parameter file is tens of megabytes).
@inlinable
package func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    return hash
}
