import Foundation

@testable import CollabCore

/// Random JSON documents for differential tests of the parser.
enum RandomJSON {
    static let alphabet: [Character] = Array("aZ09 _-\"\\/\n\t\u{1}\u{7F}é€😀中\u{FFFF}\u{10FFFF}")

    static func string(using rng: inout SeededRandom) -> String {
        String((0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func number(using rng: inout SeededRandom) -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: Double(Int.random(in: -1000...1000, using: &rng))
        case 1: Double(Int64.random(in: -(1 << 53)...(1 << 53), using: &rng))
        case 2: Double(Int.random(in: -99999...99999, using: &rng)) / 100
        default: Double.random(in: -1e6...1e6, using: &rng)
        }
    }

    static func value(depth: Int, using rng: inout SeededRandom) -> JSONValue {
        let kind = Int.random(in: 0..<(depth >= 4 ? 5 : 7), using: &rng)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(number(using: &rng))
        case 3, 4: return .string(string(using: &rng))
        case 5:
            return .array(
                (0..<Int.random(in: 0...5, using: &rng)).map { _ in value(depth: depth + 1, using: &rng) })
        default:
            var o: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                o[string(using: &rng)] = value(depth: depth + 1, using: &rng)
            }
            return .object(o)
        }
    }

    /// Writes `value` with random insignificant whitespace and randomly chosen escapes.
    static func write(_ value: JSONValue, to out: inout [UInt8], using rng: inout SeededRandom) {
        func ws() {
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                out.append([0x20, 0x09, 0x0A, 0x0D].randomElement(using: &rng)!)
            }
        }
        ws()
        switch value {
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(v, to: &out, using: &rng)
            }
            ws()
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                ws()
                writeString(k, to: &out, using: &rng)
                ws()
                out.append(UInt8(ascii: ":"))
                write(v, to: &out, using: &rng)
            }
            ws()
            out.append(UInt8(ascii: "}"))
        case .string(let s):
            writeString(s, to: &out, using: &rng)
        case .number(let n) where Bool.random(using: &rng) && n != n.rounded():
            out.append(contentsOf: String(format: "%.17e", n).utf8)
        default:
            value.write(to: &out, sortedKeys: false)
        }
        ws()
    }

    static func writeString(_ s: String, to out: inout [UInt8], using rng: inout SeededRandom) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            let mustEscape = scalar.value < 0x20 || scalar == "\"" || scalar == "\\"
            if mustEscape || Int.random(in: 0..<4, using: &rng) == 0 {
                for unit in String(scalar).utf16 {
                    out.append(contentsOf: String(format: "\\u%04X", unit).utf8)
                }
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Converts JSONSerialization's output into a `JSONValue`.
    static func fromFoundation(_ any: Any) -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(fromFoundation))
        case let o as [String: Any]: return .object(o.mapValues(fromFoundation))
        case let n as NSNumber:
            if String(describing: type(of: n)) == "__NSCFBoolean" { return .bool(n.boolValue) }
            return .number(n.doubleValue)
        default: return .string("unexpected \(type(of: any))")
        }
    }

    /// Structural equality with numbers equal to within a relative 1e-15.
    static func nearlyEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)):
            return x == y || abs(x - y) <= 1e-15 * max(abs(x), abs(y))
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { nearlyEqual($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { nearlyEqual(v, $0) } ?? false }
        default:
            return a == b
        }
    }
}
