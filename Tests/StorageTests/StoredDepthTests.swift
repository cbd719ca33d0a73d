import CollabCore
import Testing

@testable import Storage

/// A value a client may send (nested up to `JSONValue.maxParseDepth`) sits a few levels deeper
/// inside a journal record or a snapshot; reading the store back must not refuse it, or the
/// server could not start again after accepting it.
@Suite struct StoredDepthTests {
    /// A cell as deep as a request body allows: the body `{"cells":[cell]}` adds two levels.
    static func deepestAcceptedCell() throws -> JSONValue {
        var inner = "1"
        for _ in 0..<(JSONValue.maxParseDepth - 3) { inner = "[\(inner)]" }
        let body = "{\"cells\":[{\"id\":\"c1\",\"shape\":\"process\",\"data\":\(inner)}]}"
        let parsed = try JSONValue.parse(body)
        guard case .array(let cells)? = parsed["cells"], let cell = cells.first else {
            throw StoreCodec.DecodeError(description: "no cell")
        }
        return cell
    }

    @Test func aJournalRecordWithTheDeepestAcceptedCellDecodes() throws {
        let cell = try Self.deepestAcceptedCell()
        let batch: [StoreMutation] = [
            .patchCells(model: "m", diagram: "d", upserts: [cell], removes: [], updateVector: 1)
        ]
        let bytes = StoreCodec.encode(batch: batch)
        // The record is deeper than a client may send, which is why the store reads with more room.
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes) }
        let decoded = try StoreCodec.decode(batch: bytes)
        guard case .patchCells(_, _, let upserts, _, _)? = decoded.first else {
            Issue.record("not a patch_cells record")
            return
        }
        #expect(upserts == [cell])
    }
}
