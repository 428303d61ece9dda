/// Where a statement was recorded: everything about a trace entry except its value and density.
///
/// The one definition of this record: traces, proposal policies, the posterior's column table and datasets'
/// trace types all hold a `Site`.
public struct Site: Sendable, Hashable {
    /// The statement kind.
    public var kind: Trace.Kind
    /// The simulator's address text for the call site (without instance number).
    public var address: String
    /// How many times `address` has occurred in its trace so far, counting this one (1-based).
    public var instance: Int
    /// The user's label, `""` when none.
    public var name: String
    /// Whether inference may steer this sample (`Sample.control`); `false` for observes and tags.
    public var isControlled: Bool

    /// Creates a site.
    public init(kind: Trace.Kind, address: String, instance: Int, name: String, isControlled: Bool) {
        self.kind = kind
        self.address = address
        self.instance = instance
        self.name = name
        self.isControlled = isControlled
    }
}

/// A record made at a ``Site`` (a trace entry, a posterior column, a dataset trace type's entry): its site's fields
/// read as its own.
public protocol SiteRecord {
    /// Where the record was made.
    var site: Site { get }
}

extension SiteRecord {
    /// The statement kind.
    @inlinable public var kind: Trace.Kind { site.kind }
    /// The simulator's address text for the call site (without instance number).
    @inlinable public var address: String { site.address }
    /// How many times `address` has occurred in its trace so far, counting this one (1-based).
    @inlinable public var instance: Int { site.instance }
    /// The user's label, `""` when none.
    @inlinable public var name: String { site.name }
    /// Whether inference may steer this sample (`Sample.control`); `false` for observes and tags.
    @inlinable public var isControlled: Bool { site.isControlled }
}
