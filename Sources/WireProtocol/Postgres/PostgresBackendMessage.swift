/// A message from the server (PostgreSQL protocol v3, "Message Formats" in the manual).
///
/// `PostgresMessageDecoder` produces these from bytes; the connection interprets them. Copy and
/// function-call messages are decoded so that an unexpected one is a clear error rather than a
/// desynchronized stream, though the client never asks for them.
public enum PostgresBackendMessage: Sendable, Equatable {
    case authentication(PostgresAuthenticationRequest)
    case backendKeyData(processID: Int32, secretKey: Int32)
    case bindComplete
    case closeComplete
    case commandComplete(tag: String)
    case copyData([UInt8])
    case copyDone
    /// CopyInResponse ('G'), CopyOutResponse ('H') or CopyBothResponse ('W'), by type byte.
    case copyResponse(type: UInt8)
    /// One row: each column's bytes, nil for SQL NULL.
    case dataRow([[UInt8]?])
    case emptyQueryResponse
    case errorResponse(PostgresErrorFields)
    case functionCallResponse([UInt8]?)
    case negotiateProtocolVersion(newestMinor: Int32, unrecognizedOptions: [String])
    case noData
    case noticeResponse(PostgresErrorFields)
    case notification(processID: Int32, channel: String, payload: String)
    case parameterDescription([UInt32])
    case parameterStatus(name: String, value: String)
    case parseComplete
    case portalSuspended
    case readyForQuery(PostgresTransactionStatus)
    case rowDescription([PostgresColumn])
}

/// What an 'R' message asks of the client.
public enum PostgresAuthenticationRequest: Sendable, Equatable {
    case ok
    case kerberosV5
    case cleartextPassword
    case md5Password(salt: [UInt8])
    case gss
    case gssContinue([UInt8])
    case sspi
    case sasl(mechanisms: [String])
    case saslContinue([UInt8])
    case saslFinal([UInt8])
}

/// The transaction state reported by ReadyForQuery.
public enum PostgresTransactionStatus: UInt8, Sendable, Equatable {
    case idle = 0x49  // 'I'
    case inTransaction = 0x54  // 'T'
    case failedTransaction = 0x45  // 'E'
}

/// One column of a RowDescription.
public struct PostgresColumn: Sendable, Equatable {
    public var name: String
    public var tableOID: UInt32
    public var attributeNumber: Int16
    public var typeOID: UInt32
    public var typeSize: Int16
    public var typeModifier: Int32
    /// 0 text, 1 binary.
    public var formatCode: Int16

    public init(
        name: String, tableOID: UInt32 = 0, attributeNumber: Int16 = 0, typeOID: UInt32,
        typeSize: Int16 = -1, typeModifier: Int32 = -1, formatCode: Int16 = 0
    ) {
        self.name = name
        self.tableOID = tableOID
        self.attributeNumber = attributeNumber
        self.typeOID = typeOID
        self.typeSize = typeSize
        self.typeModifier = typeModifier
        self.formatCode = formatCode
    }
}

/// The fields of an ErrorResponse or NoticeResponse, keyed by their one-byte codes
/// ("Error and Notice Message Fields" in the manual).
public struct PostgresErrorFields: Sendable, Equatable {
    public var fields: [UInt8: String]

    public init(_ fields: [UInt8: String] = [:]) { self.fields = fields }

    public subscript(code: Character) -> String? {
        guard let ascii = code.asciiValue else { return nil }
        return fields[ascii]
    }
}
