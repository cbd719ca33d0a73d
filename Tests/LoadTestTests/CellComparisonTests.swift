import CollabCore
import Testing

@testable import LoadTestKit

@Suite struct CellComparisonTests {
    static let a: JSONValue = ["id": "a", "shape": "process", "x": 1]
    static let b: JSONValue = ["id": "b", "shape": "store", "x": 2]

    @Test func equalTablesHaveNoDifferenceWhateverTheOrder() {
        #expect(
            CellComparison.firstDifference(
                editor: "e", editorCells: ["a": Self.a, "b": Self.b], serverCells: [Self.b, Self.a]) == nil)
    }

    @Test func reportsTheFirstDifferingCellWithBothValues() {
        var changed = Self.b
        changed["x"] = 3
        let d = CellComparison.firstDifference(
            editor: "e1", editorCells: ["a": Self.a, "b": changed], serverCells: [Self.a, Self.b])
        #expect(d == CellDifference(editor: "e1", cellID: "b", editorValue: changed, serverValue: Self.b))
        #expect(d?.description.contains("\"x\":3") == true)
    }

    @Test func missingOnEitherSide() {
        let missing = CellComparison.firstDifference(
            editor: "e", editorCells: ["a": Self.a], serverCells: [Self.a, Self.b])
        #expect(missing?.cellID == "b" && missing?.editorValue == nil)
        let extra = CellComparison.firstDifference(
            editor: "e", editorCells: ["a": Self.a, "z": Self.b, "c": Self.b], serverCells: [Self.a])
        #expect(extra?.cellID == "c" && extra?.serverValue == nil)
        #expect(extra?.description.contains("server has nothing") == true)
    }

    @Test func verdictNamesTheFirstDivergentEditor() {
        let v = CellComparison.verdict(editors: [("ok", ["a": Self.a]), ("bad", [:])], serverCells: [Self.a])
        #expect(!v.converged && v.editorsChecked == 2 && v.difference?.editor == "bad")
        #expect(CellComparison.verdict(editors: [("ok", ["a": Self.a])], serverCells: [Self.a]).converged)
    }
}
