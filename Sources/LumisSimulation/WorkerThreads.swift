import Foundation

/// Runs `body(0)`, …, `body(count − 1)` on threads of their own and waits for all of them.
///
/// Workers block in ZeroMQ receives, so they get dedicated threads rather than Swift-concurrency tasks (whose
/// pool has about one thread per core). One worker runs on the calling thread.
/// - Precondition: `count > 0`.
package func runOnWorkerThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    precondition(count > 0, "at least one worker")
    if count == 1 {
        body(0)
        return
    }
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    group.wait()
}
