import Testing

@testable import WireProtocol

@Suite struct PollerDeadlineHeapTests {
    @Test func popsInDeadlineOrderOnlyWhenDue() {
        var heap = DeadlineHeap()
        let deadlines = [50, 10, 40, 30, 20, 60, 5]
        for (key, deadline) in deadlines.enumerated() { heap.insert(key: key, deadline: Int64(deadline)) }
        #expect(heap.earliest == 5)
        #expect(heap.popDue(now: 4) == nil)
        var popped: [Int] = []
        while let key = heap.popDue(now: 45) { popped.append(key) }
        #expect(popped == [6, 1, 4, 3, 2])
        #expect(heap.count == 2)
    }

    @Test func removeAndReinsertByKey() {
        var heap = DeadlineHeap()
        for key in 0..<100 { heap.insert(key: key, deadline: Int64((key * 37) % 101)) }
        for key in stride(from: 0, to: 100, by: 2) { heap.remove(key: key) }
        heap.insert(key: 1, deadline: 1000)
        heap.remove(key: 12345)
        var last = Int64.min
        var keys: [Int] = []
        while let earliest = heap.earliest, let key = heap.popDue(now: .max) {
            #expect(earliest >= last)
            last = earliest
            keys.append(key)
        }
        #expect(keys.count == 50)
        #expect(keys.allSatisfy { $0 % 2 == 1 })
        #expect(keys.last == 1)
    }

    /// Random inserts, moves, removals and pops against a plain dictionary of deadlines.
    @Test func agreesWithAPlainModelUnderRandomOperations() {
        var heap = DeadlineHeap()
        var model: [Int: Int64] = [:]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let key = Int.random(in: 0..<300, using: &generator)
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                let deadline = Int64.random(in: 0..<1_000, using: &generator)
                heap.insert(key: key, deadline: deadline)
                model[key] = deadline
            case 5..<8:
                heap.remove(key: key)
                model[key] = nil
            default:
                let now = Int64.random(in: 0..<1_000, using: &generator)
                let popped = heap.popDue(now: now)
                let due = model.filter { $0.value <= now }
                if let popped {
                    #expect(due[popped] == due.values.min())
                    model[popped] = nil
                } else {
                    #expect(due.isEmpty)
                }
            }
            #expect(heap.count == model.count)
            #expect(heap.earliest == model.values.min())
        }
    }

    @Test func tokenPacksGenerationAboveTheDescriptor() {
        let registration = PollerRegistration(fd: 7, generation: 3)
        #expect(registration.token == (3 << 32) | 7)
    }
}
