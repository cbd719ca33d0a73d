#if canImport(Glibc)
    import Glibc
#endif

/// Reads a journal file back and decides how much of it is trustworthy.
///
/// The rule rests on how the writer works: records go to disk in batches, one `write` and one
/// `fdatasync` each; no record of a batch is acknowledged before that fsync returns, and the next
/// batch is written only afterwards. So after a crash only the *last* batch can be damaged, and
/// none of it was acknowledged. Each line names its batch (first and last sequence number), which
/// shows where the last batch begins:
///
/// - Damage confined to the final batch (a line without its newline, a bad checksum, a hole where
///   pages never reached the disk, a batch that stops early) is a torn write: the scan drops that
///   whole batch and reports where the good data ends, so the file is cut there before new appends.
/// - Damage followed by a line of any *other* batch, or a damaged line inside a batch whose records
///   are all readable, cannot come from a crash: it is `.corrupt`, because guessing would silently
///   drop acknowledged data.
struct JournalScan: Equatable {
    var records: [JournalRecord] = []
    /// Bytes from the start of the file that hold whole, valid batches.
    var validLength = 0
    /// Sequence number of the last valid record, if any.
    var lastSequence: UInt64? { records.last?.sequence }

    /// `allowTornTail`: true for the file that was being appended to at the crash; false for an
    /// older journal generation, which was complete and fsynced before the next one began.
    /// `firstSequence`: the sequence number the file's first record must carry, when known.
    static func scan(
        _ bytes: [UInt8], path: String, allowTornTail: Bool, firstSequence: UInt64? = nil
    ) throws(StorageError) -> JournalScan {
        try bytes.withUnsafeBytes { buf in
            Result { () throws(StorageError) in
                try scan(buf, path: path, allowTornTail: allowTornTail, firstSequence: firstSequence)
            }
        }.get()
    }

    static func scan(
        _ bytes: UnsafeRawBufferPointer, path: String, allowTornTail: Bool, firstSequence: UInt64? = nil
    ) throws(StorageError) -> JournalScan {
        var result = JournalScan()
        var offset = 0
        var batchStart = (offset: 0, index: 0)
        var previous: JournalLine.Parsed?
        var anomaly: (offset: Int, reason: String)?

        while offset < bytes.count {
            guard let newline = indexOfNewline(bytes, from: offset) else {
                anomaly = (offset, JournalLine.Invalid.incomplete.description)
                break
            }
            let parsed = JournalLine.parse(bytes, start: offset, end: newline)
            guard case .success(let line) = parsed else {
                if case .failure(let invalid) = parsed { anomaly = (offset, invalid.description) }
                break
            }
            if let reason = misfit(line, after: previous, firstSequence: firstSequence) {
                anomaly = (offset, reason)
                break
            }
            if line.sequence == line.batchFirst { batchStart = (offset, result.records.count) }
            let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[line.payload]))
            result.records.append(JournalRecord(sequence: line.sequence, bytes: payload))
            previous = line
            offset = newline + 1
        }

        let openBatch = previous.flatMap { $0.closesBatch ? nil : ($0.batchFirst, $0.batchLast) }
        guard anomaly != nil || openBatch != nil else {
            result.validLength = bytes.count
            return result
        }
        let at = anomaly?.offset ?? bytes.count
        let reason = anomaly?.reason ?? "file ends inside a batch"
        guard allowTornTail else { throw .corrupt(path: path, offset: at, reason: reason) }

        // The torn batch: the open batch of the last good line, or one starting at the damage.
        let cut = openBatch != nil ? batchStart : (at, result.records.count)
        let due = previous.map { $0.sequence + 1 } ?? firstSequence
        var batch: (first: UInt64?, last: UInt64?) = openBatch.map { ($0.0, $0.1) } ?? (due, nil)
        var present = Set(result.records[cut.index...].map(\.sequence))

        // Every readable line after the damage must belong to that same, final batch.
        var probe = at
        while probe < bytes.count, let newline = indexOfNewline(bytes, from: probe) {
            if case .success(let line) = JournalLine.parse(bytes, start: probe, end: newline) {
                guard batch.first.map({ $0 == line.batchFirst }) ?? true,
                    batch.last.map({ $0 == line.batchLast }) ?? true
                else {
                    throw .corrupt(
                        path: path, offset: at,
                        reason: "\(reason), yet a later batch follows (sequence \(line.sequence))")
                }
                batch = (line.batchFirst, line.batchLast)
                present.insert(line.sequence)
            }
            probe = newline + 1
        }
        // A batch whose records are all readable was complete, so it may have been acknowledged:
        // damage between its lines is not a torn write.
        if anomaly != nil, let first = batch.first, let last = batch.last,
            (first...last).allSatisfy(present.contains)
        {
            throw .corrupt(path: path, offset: at, reason: "\(reason) inside a complete batch")
        }
        result.records.removeLast(result.records.count - cut.index)
        result.validLength = cut.offset
        return result
    }

    /// Why `line` cannot follow `previous` (nil when it can): sequence numbers rise by one, a
    /// batch's lines agree on its bounds, and a new batch begins only after the last one closed.
    private static func misfit(
        _ line: JournalLine.Parsed, after previous: JournalLine.Parsed?, firstSequence: UInt64?
    ) -> String? {
        if let due = previous.map({ $0.sequence + 1 }) ?? firstSequence, line.sequence != due {
            return "sequence \(line.sequence) where \(due) was due"
        }
        if let previous, !previous.closesBatch {
            if line.batchFirst != previous.batchFirst || line.batchLast != previous.batchLast {
                return "batch \(previous.batchFirst)...\(previous.batchLast) is cut short"
            }
        } else if line.sequence != line.batchFirst {
            return "batch \(line.batchFirst)...\(line.batchLast) lacks its first records"
        }
        return nil
    }

    private static func indexOfNewline(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let hit = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }
}
