/// The vtable slots and union tags of the PPX 1.0 schema (see PROTOCOL.md); one place for both codec halves.
enum WireSchema {
    /// `Message` fields.
    enum MessageSlot {
        static let bodyType = 0
        static let body = 1
    }

    /// `MessageBody` union tags.
    enum BodyTag {
        static let handshake: UInt8 = 1
        static let handshakeResult: UInt8 = 2
        static let run: UInt8 = 3
        static let runResult: UInt8 = 4
        static let sample: UInt8 = 5
        static let sampleResult: UInt8 = 6
        static let observe: UInt8 = 7
        static let observeResult: UInt8 = 8
        static let tag: UInt8 = 9
        static let tagResult: UInt8 = 10
        static let reset: UInt8 = 11
    }

    /// Slots shared by `Sample`, `Observe` and `Tag` (`Tag` has `value` in slot 2).
    enum SiteSlot {
        static let address = 0
        static let name = 1
        static let distributionType = 2
        static let distribution = 3
        /// `Sample.control` and `Observe.value`.
        static let controlOrValue = 4
        static let tagValue = 2
    }

    /// `Tensor` fields.
    enum TensorSlot {
        static let data = 0
        static let shape = 1
    }
}
