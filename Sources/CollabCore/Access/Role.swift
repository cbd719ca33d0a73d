/// A role on a threat model (DESIGN §5), ordered reader < writer < owner.
public enum Role: String, Sendable, Hashable, Comparable, CaseIterable {
    case reader
    case writer
    case owner

    var rank: Int {
        switch self {
        case .reader: 1
        case .writer: 2
        case .owner: 3
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
}
