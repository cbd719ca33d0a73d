/// Why an HTTP message could not be parsed; each maps to one status code in one place.
public enum HTTPParseError: Error, Sendable, Equatable {
    /// Request line longer than the limit (RFC 9112 §3: 414).
    case requestLineTooLong
    /// Head longer than the limit (RFC 6585 §5: 431).
    case headTooLarge
    /// More header fields than allowed (431).
    case tooManyFields
    /// Body longer than the route's limit (RFC 9110 §15.5.14: 413).
    case bodyTooLarge
    /// Malformed syntax or framing; the reason is for logs and the error description.
    case badRequest(String)
    /// A transfer coding other than chunked (RFC 9112 §6.1: 501).
    case unsupportedTransferCoding
    /// An `Expect` other than `100-continue` (RFC 9110 §10.1.1: 417).
    case unsupportedExpectation
    /// An HTTP major version other than 1 (505).
    case unsupportedVersion

    /// The response status for this error.
    public var status: Int {
        switch self {
        case .requestLineTooLong: 414
        case .headTooLarge, .tooManyFields: 431
        case .bodyTooLarge: 413
        case .badRequest: 400
        case .unsupportedTransferCoding: 501
        case .unsupportedExpectation: 417
        case .unsupportedVersion: 505
        }
    }

    /// The `error` code of the JSON error body.
    public var code: String {
        switch self {
        case .requestLineTooLong: "uri_too_long"
        case .headTooLarge, .tooManyFields: "request_header_fields_too_large"
        case .bodyTooLarge: "payload_too_large"
        case .badRequest: "invalid_request"
        case .unsupportedTransferCoding: "not_implemented"
        case .unsupportedExpectation: "expectation_failed"
        case .unsupportedVersion: "http_version_not_supported"
        }
    }

    /// The `error_description` of the JSON error body.
    public var description: String {
        switch self {
        case .requestLineTooLong: "The request line is longer than the server accepts."
        case .headTooLarge: "The request head is larger than the server accepts."
        case .tooManyFields: "The request has more header fields than the server accepts."
        case .bodyTooLarge: "The request body is larger than this endpoint accepts."
        case .badRequest(let reason): "Malformed request: \(reason)."
        case .unsupportedTransferCoding: "Only the chunked transfer coding is supported."
        case .unsupportedExpectation: "Only the 100-continue expectation is supported."
        case .unsupportedVersion: "Only HTTP/1.x is supported."
        }
    }
}

/// The spec's error body `{"error": ..., "error_description": ...}`.
public enum HTTPErrorBody {
    public static func json(error: String, description: String) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"error":""#.utf8)
        appendEscaped(error, to: &out)
        out.append(contentsOf: #"","error_description":""#.utf8)
        appendEscaped(description, to: &out)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }

    /// A JSON error response with the given status.
    public static func response(status: Int, error: String, description: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: HTTPHeaders([("Content-Type", "application/json")]),
            body: json(error: error, description: description))
    }

    private static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
    }
}
