import ArgumentParser
import Foundation
import LumisCompilation
import LumisCore
import LumisNeural

extension LumisCommand {
    struct NetworkInfo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "network-info", abstract: "Describe a network file written by lumis train.",
            discussion: """
                Prints what the network was trained on (the simulator's model and observations, the addresses), \
                its sizes, parameter count and precision, the optimizer, the traces it has seen and the last \
                points of its loss history. 'lumis plot net.lumisnet --out dir/' draws the whole loss curve. \
                Files written before the model and history were recorded show them as unknown.
                """)

        @Argument(help: "A network file (.lumisnet).")
        var path: String

        @Option(
            help: "Show at most this many of the last loss-history points (default: 5).", transform: Count.nonNegative)
        var points = 5

        @Option(
            help: "List at most this many addresses, the most trained first (default: 10).",
            transform: Count.nonNegative)
        var addresses = 10

        func run() throws {
            let trainer = try NetworkFile.read(from: path)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            print(Self.render(trainer, path: path, byteCount: size, points: points, addresses: addresses))
        }

        /// The description, one `label  value` line per fact, then the address list and the loss table.
        static func render(_ trainer: Trainer, path: String, byteCount: Int?, points: Int, addresses: Int) -> String {
            let network = trainer.network
            let configuration = network.configuration
            let state = trainer.state
            let signature = network.signature
            var lines = ["network       \(path)" + (byteCount.map { " (\($0) bytes)" } ?? "")]
            lines.append(
                "model         "
                    + (signature.model.map { "'\($0.escapedForMessage)'" } ?? "unknown (not recorded in this file)"))
            let embedded = configuration.observations.map {
                "\($0.name) \($0.shape) \($0.architecture.rawValue) \($0.dimension)"
            }
            lines.append("embedded      " + embedded.joined(separator: ", "))
            if let observed = signature.observations {
                let text = observed.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
                lines.append("observed      " + (text.isEmpty ? "nothing named" : text))
            } else {
                lines.append("observed      unknown (not recorded in this file)")
            }
            lines.append(
                "sizes         LSTM \(configuration.lstmHidden) hidden × \(configuration.lstmLayers) "
                    + "layer\(configuration.lstmLayers == 1 ? "" : "s") (input \(configuration.lstmInput)); "
                    + "embeddings: observations \(configuration.observationEmbedding), "
                    + "address \(configuration.addressEmbedding), value \(configuration.sampleEmbedding), "
                    + "kind \(configuration.kindEmbedding); \(configuration.components) mixture components")
            lines.append("parameters    \(network.parameterCount)")
            lines.append("precision     \(configuration.precision.rawValue) parameters, optimizer state and products")
            lines.append("optimizer     \(describe(trainer.optimizer))")
            lines.append(
                "traces seen   \(state.traces) (\(state.iterations) steps, \(state.skippedBatches) skipped batches, "
                    + "\(state.rejectedTraces) rejected traces; data seed \(state.seed))")
            lines.append(
                "validation    \(state.validationCount) traces, last loss "
                    + (state.validationLoss.map(format) ?? "-"))
            let records = network.addresses
            lines.append("addresses     \(records.count)")
            let listed = records.sorted { $0.trainingCount > $1.trainingCount }.prefix(addresses)
            for record in listed {
                lines.append("  \(String(record.trainingCount).leftPadded(to: 10))  \(record.key)")
            }
            if records.count > listed.count { lines.append("  ... \(records.count - listed.count) more") }
            let history = state.history
            if history.isEmpty {
                lines.append("loss history  none recorded")
            } else {
                let shown = history.suffix(points)
                lines.append(
                    "loss history  \(history.count) point\(history.count == 1 ? "" : "s")"
                        + (shown.count < history.count ? ", the last \(shown.count):" : ":"))
                if !shown.isEmpty {
                    lines.append(
                        "  " + "traces".leftPadded(to: 12) + "loss".leftPadded(to: 12)
                            + "validation".leftPadded(to: 12))
                    for point in shown {
                        lines.append(
                            "  " + String(point.traces).leftPadded(to: 12)
                                + (point.loss.map(format) ?? "-").leftPadded(to: 12)
                                + (point.validationLoss.map(format) ?? "-").leftPadded(to: 12))
                    }
                }
            }
            return lines.joined(separator: "\n")
        }

        /// `Adam, learning rate 0.001, 312 steps`.
        static func describe(_ optimizer: Optimizer) -> String {
            let name =
                switch optimizer {
                case .adam: "Adam"
                case .sgd: "SGD"
                case .larcAdam: "LARC(Adam)"
                case .larcSGD: "LARC(SGD)"
                }
            return "\(name), learning rate \(format(optimizer.learningRate)), \(optimizer.step) steps"
        }

        static func format(_ value: Double) -> String { String(format: "%.6g", value) }
    }
}

extension String {
    /// The text right-aligned in `width` characters (unchanged if longer).
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
