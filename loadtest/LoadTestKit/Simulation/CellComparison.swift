import CollabCore

/// The first cell on which an editor's view and the server's state disagree.
public struct CellDifference: Sendable, Equatable, CustomStringConvertible {
    public var editor: String
    public var cellID: String
    /// The cell as the editor holds it; nil when the editor lacks it.
    public var editorValue: JSONValue?
    /// The cell as the server returns it; nil when the server lacks it.
    public var serverValue: JSONValue?

    public var description: String {
        "editor \(editor), cell \(cellID): editor has \(Self.show(editorValue)), server has \(Self.show(serverValue))"
    }

    static func show(_ v: JSONValue?) -> String {
        guard let v else { return "nothing" }
        let text = v.serializedString(sortedKeys: true)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}

/// Whether every editor ended with the server's cells.
public struct ConvergenceVerdict: Sendable, Equatable {
    public var converged: Bool
    public var editorsChecked: Int
    public var difference: CellDifference?

    public init(converged: Bool, editorsChecked: Int, difference: CellDifference?) {
        self.converged = converged
        self.editorsChecked = editorsChecked
        self.difference = difference
    }
}

public enum CellComparison {
    /// The first cell whose value differs between `editorCells` and `serverCells`, visiting the
    /// server's cells in its order and then any the editor has that the server lacks (sorted by
    /// id, so the answer is stable). Cells are matched by `id`; order does not matter.
    public static func firstDifference(
        editor: String, editorCells: [String: JSONValue], serverCells: [JSONValue]
    ) -> CellDifference? {
        var seen = Set<String>()
        for cell in serverCells {
            guard let id = cell["id"]?.stringValue else {
                return CellDifference(editor: editor, cellID: "(no id)", editorValue: nil, serverValue: cell)
            }
            seen.insert(id)
            let mine = editorCells[id]
            if mine != cell {
                return CellDifference(editor: editor, cellID: id, editorValue: mine, serverValue: cell)
            }
        }
        for id in editorCells.keys.sorted() where !seen.contains(id) {
            return CellDifference(editor: editor, cellID: id, editorValue: editorCells[id], serverValue: nil)
        }
        return nil
    }

    /// Checks every editor against the server and returns the verdict with the first difference.
    public static func verdict(
        editors: [(name: String, cells: [String: JSONValue])], serverCells: [JSONValue]
    )
        -> ConvergenceVerdict
    {
        for editor in editors {
            if let difference = firstDifference(
                editor: editor.name, editorCells: editor.cells, serverCells: serverCells)
            {
                return ConvergenceVerdict(
                    converged: false, editorsChecked: editors.count, difference: difference)
            }
        }
        return ConvergenceVerdict(converged: true, editorsChecked: editors.count, difference: nil)
    }
}
