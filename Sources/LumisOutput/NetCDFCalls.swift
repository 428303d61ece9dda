import CNetCDF

/// A failed libnetcdf call: its status code, the operation and the library's message.
public struct NetCDFError: Error, Equatable, CustomStringConvertible {
    /// libnetcdf's status code (negative).
    public var code: Int32
    /// What was being done, for example `nc_def_var posterior/mu`.
    public var operation: String
    /// libnetcdf's text for `code`.
    public var message: String

    /// `<operation>: <message> (code <code>)`.
    public var description: String { "\(operation): \(message) (netCDF code \(code))" }
}

/// An open NetCDF-4 file being written; the only place Lumis calls libnetcdf.
///
/// One owner: the file closes when the value is consumed by ``close()`` or dropped (then errors are ignored).
struct NetCDFFile: ~Copyable {
    private let id: Int32
    private var isOpen = true

    /// The C `double` and `long long` types, as NetCDF type codes.
    enum ValueType {
        case double, int64
        var code: nc_type { self == .double ? NC_DOUBLE : NC_INT64 }
    }

    /// Creates (or truncates) a NetCDF-4 file.
    ///
    /// Wraps `nc_create`.
    init(creating path: String) throws(NetCDFError) {
        var id: Int32 = 0
        try check(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &id), "nc_create \(path)")
        self.id = id
    }

    /// The file's root group id.
    var root: Int32 { id }

    /// Defines a child group.
    ///
    /// Wraps `nc_def_grp`.
    func defineGroup(_ name: String, in parent: Int32) throws(NetCDFError) -> Int32 {
        var group: Int32 = 0
        try check(nc_def_grp(parent, name, &group), "nc_def_grp \(name)")
        return group
    }

    /// Defines a dimension.
    ///
    /// Wraps `nc_def_dim`.
    func defineDimension(_ name: String, length: Int, in group: Int32) throws(NetCDFError) -> Int32 {
        var dimension: Int32 = 0
        try check(nc_def_dim(group, name, length, &dimension), "nc_def_dim \(name)")
        return dimension
    }

    /// Defines a variable over `dimensions`.
    ///
    /// Wraps `nc_def_var`.
    func defineVariable(
        _ name: String, type: ValueType, dimensions: [Int32], in group: Int32
    ) throws(NetCDFError) -> Int32 {
        var variable: Int32 = 0
        let status = dimensions.withUnsafeBufferPointer { dims in
            nc_def_var(group, name, type.code, Int32(dims.count), dims.baseAddress, &variable)
        }
        try check(status, "nc_def_var \(name)")
        return variable
    }

    /// Sets an attribute on a variable, or on the group for `variable == nil`.
    ///
    /// Wraps `nc_put_att_text`, `nc_put_att_longlong`, `nc_put_att_ulonglong` and `nc_put_att_double`.
    func putAttribute(
        _ name: String, _ value: InferenceDataFile.AttributeValue, variable: Int32? = nil, in group: Int32
    ) throws(NetCDFError) {
        let target = variable ?? NC_GLOBAL
        let status: Int32
        switch value {
        case .text(let text):
            let bytes = Array(text.utf8)
            status = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    nc_put_att_text(group, target, name, buffer.count, $0.baseAddress)
                }
            }
        case .integer(let number):
            var long = CLongLong(number)
            status = nc_put_att_longlong(group, target, name, NC_INT64, 1, &long)
        case .unsigned(let number):
            var long = CUnsignedLongLong(number)
            status = nc_put_att_ulonglong(group, target, name, NC_UINT64, 1, &long)
        case .real(let number):
            var double = number
            status = nc_put_att_double(group, target, name, NC_DOUBLE, 1, &double)
        }
        try check(status, "nc_put_att \(name)")
    }

    /// Writes a whole double variable.
    ///
    /// Wraps `nc_put_var_double`.
    func put(_ values: [Double], variable: Int32, in group: Int32, name: String) throws(NetCDFError) {
        guard !values.isEmpty else { return }
        try check(
            values.withUnsafeBufferPointer { nc_put_var_double(group, variable, $0.baseAddress) },
            "nc_put_var_double \(name)")
    }

    /// Writes a whole 64-bit integer variable.
    ///
    /// Wraps `nc_put_var_longlong`.
    func put(_ values: [Int64], variable: Int32, in group: Int32, name: String) throws(NetCDFError) {
        guard !values.isEmpty else { return }
        let longs = values.map { CLongLong($0) }
        try check(
            longs.withUnsafeBufferPointer { nc_put_var_longlong(group, variable, $0.baseAddress) },
            "nc_put_var_longlong \(name)")
    }

    /// Flushes and closes the file.
    ///
    /// Wraps `nc_close`.
    consuming func close() throws(NetCDFError) {
        isOpen = false
        try check(nc_close(id), "nc_close")
    }

    deinit {
        if isOpen { _ = nc_close(id) }
    }
}

private func check(_ status: Int32, _ operation: @autoclosure () -> String) throws(NetCDFError) {
    guard status != NC_NOERR else { return }
    throw NetCDFError(code: status, operation: operation(), message: String(cString: nc_strerror(status)))
}
