import ArgumentParser
import Foundation

/// A `--simulator` endpoint, checked before ZeroMQ sees it (its own message is "Invalid argument").
struct Endpoint {
    /// The host of a `tcp://` endpoint, `nil` for `ipc://`.
    var host: String?

    /// Whether this is a tcp endpoint on another machine (anything but a loopback address).
    var isRemote: Bool {
        guard let host else { return false }
        let bare = host.trimmingCharacters(in: ["[", "]"])
        return !(bare == "localhost" || bare.hasPrefix("127.") || bare == "::1")
    }

    /// Parses `tcp://HOST:PORT` or `ipc://PATH`.
    ///
    /// - Throws: `ValidationError` naming the endpoint, the accepted forms and a likely fix.
    init(checking text: String) throws {
        if text.hasPrefix("ipc://") {
            guard text.count > "ipc://".count else { throw Self.error(text, suggestion: "ipc:///tmp/sim") }
            host = nil
            return
        }
        let rest = text.hasPrefix("tcp://") ? String(text.dropFirst("tcp://".count)) : nil
        if let rest, let colon = rest.lastIndex(of: ":"), colon != rest.startIndex,
            let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port)
        {
            host = String(rest[..<colon])
            return
        }
        // The likely intent: a bare host:port, or a path.
        let suggestion =
            text.contains("://")
            ? nil : text.hasPrefix("/") ? "ipc://\(text)" : text.contains(":") ? "tcp://\(text)" : nil
        throw Self.error(text, suggestion: suggestion)
    }

    private static func error(_ text: String, suggestion: String?) -> ValidationError {
        ValidationError(
            "--simulator \(text): not an endpoint Lumis can connect to; use tcp://HOST:PORT or ipc://PATH"
                + (suggestion.map { " (did you mean \($0)?)" } ?? "") + ".")
    }
}
