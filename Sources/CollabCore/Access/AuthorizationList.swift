/// Rules for a threat model's `authorization` list (DESIGN §5).
public enum AuthorizationList {
    /// Most entries one list may hold: enough to name every member of a large team one by one
    /// (groups cover more), small enough that a list stays well inside the 2 MiB body limit.
    /// Access checks do not scan the list (see `AccessIndex`), so its length costs only at write.
    public static let maxEntries = 10_000

    /// Parses and validates a list: each entry per the spec, and no subject twice (subjects
    /// compare case-insensitively, as emails do), since two entries for one subject would make
    /// its role ambiguous.
    public static func parse(_ json: JSONValue, pointer: String = "/authorization") throws(ValidationError)
        -> [Authorization]
    {
        guard let items = json.arrayValue else {
            throw ValidationError(pointer, .wrongType, "must be an array")
        }
        guard items.count <= maxEntries else {
            throw ValidationError(
                pointer, .tooManyItems,
                "must have at most \(maxEntries) entries (has \(items.count)); share with a group instead")
        }
        var out: [Authorization] = []
        for (i, item) in items.enumerated() {
            out.append(try Authorization.parse(item, pointer: Pointer.join(pointer, i)))
        }
        if let error = firstDuplicate(out, pointer: pointer) { throw error }
        return out
    }

    /// The first entry whose subject (or principal) already appeared, as a validation error.
    public static func firstDuplicate(_ list: [Authorization], pointer: String = "/authorization")
        -> ValidationError?
    {
        var seen = Set<String>()
        seen.reserveCapacity(list.count)
        for (i, entry) in list.enumerated() where !seen.insert(entry.uniquenessKey).inserted {
            return ValidationError(
                Pointer.join(Pointer.join(pointer, i), entry.principal == nil ? "subject" : "provider_id"),
                .duplicate, "names '\(entry.subject)' a second time",
                suggestion: "give each subject one entry")
        }
        return nil
    }

    /// `list` with `subject` as an owner entry: an existing entry is raised to owner, else one is
    /// appended.
    public static func ensuringOwnerEntry(_ subject: String, in list: [Authorization]) -> [Authorization] {
        var out = list
        if let i = out.firstIndex(where: {
            $0.principal == nil && $0.subject.lowercased() == subject.lowercased()
        }) {
            out[i].role = .owner
        } else {
            out.append(Authorization(subject: subject, role: .owner))
        }
        return out
    }

    /// The list after the owner changes from `previous` to `next`: the previous owner stays an
    /// owner through an entry (DESIGN §5), and the new owner gets one too.
    public static func transferOwnership(from previous: String, to next: String, in list: [Authorization])
        -> [Authorization]
    {
        ensuringOwnerEntry(next, in: ensuringOwnerEntry(previous, in: list))
    }
}
