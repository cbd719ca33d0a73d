import Testing

@testable import RESTGateway

@Suite struct UUIDTextTests {
    @Test func canonicalTextComesBackAsItIsAndUppercaseIsLowered() {
        let id = "6f1c2a3b-0000-4000-8000-00000000000a"
        #expect(UUIDText.normalized(id) == id)
        #expect(UUIDText.normalized("6F1C2A3B-0000-4000-8000-00000000000A") == id)
        #expect(UUIDText.normalized(UUIDText.random()) != nil)
    }

    @Test(arguments: [
        "", "6f1c2a3b-0000-4000-8000-00000000000", "6f1c2a3b-0000-4000-8000-00000000000aa",
        "6f1c2a3b00000-4000-8000-00000000000a", "6f1c2a3b-0000-4000-8000_00000000000a",
        "6f1c2a3g-0000-4000-8000-00000000000a", "{f1c2a3b-0000-4000-8000-00000000000a",
        "6f1c2a3b-0000-4000-8000-0000000000é", "6f1c2a3b-0000-4000-8000-0000000000\u{0}a",
    ])
    func anythingElseIsRefused(_ text: String) {
        #expect(UUIDText.normalized(text) == nil)
    }
}
