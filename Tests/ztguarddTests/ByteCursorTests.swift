import Foundation
import Testing

@testable import ztguardd

/// The journal lines and the report check each string eight bytes at a time, and write into memory
/// sized beforehand: a special byte must be found wherever it sits, and nothing written may be lost.
@Suite struct ByteCursorTests {
    /// Every ASCII byte, and bytes of multi-byte characters (which never need an escape).
    static let probes: [[UInt8]] = (0...0x7F).map { [UInt8($0)] } + [Array("é".utf8), Array("💻".utf8), Array("’".utf8)]

    @Test("needsJSONEscape finds a quote, a backslash, a control character (and DEL, or a non-ASCII byte, when asked) at every position",
          arguments: [(false, false), (true, false), (true, true), (false, true)])
    func escapeCheckAtEveryPosition(orDelete: Bool, orNonASCII: Bool) {
        var checked = 0
        for length in 0...24 {
            for position in 0...length {
                for probe in Self.probes {
                    let bytes = Array(repeating: UInt8(ascii: "a"), count: position) + probe
                        + Array(repeating: UInt8(ascii: "z"), count: length - position)
                    let text = String(decoding: bytes, as: UTF8.self)
                    let expected = probe.contains {
                        $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || (orDelete && $0 == 0x7F) || (orNonASCII && $0 >= 0x80)
                    }
                    #expect(text.needsJSONEscape(orDelete: orDelete, orNonASCII: orNonASCII) == expected,
                        "\(probe) at \(position) of \(length + 1)")
                    checked += 1
                }
            }
        }
        #expect(checked == 325 * Self.probes.count)
    }

    @Test("a JSON line's strings read back exactly, wherever an escaped byte sits")
    func quotedReadsBack() throws {
        for length in 0...20 {
            for position in 0...length {
                for probe in ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\u{7F}", "é", "x"] {
                    let value = String(repeating: "a", count: position) + probe + String(repeating: "z", count: length - position)
                    let line = JSONLinesLogHandler.line([(name: "MESSAGE", value: value), (name: "ZTG_\(length)", value: value)])
                    let object = try JSONDecoder().decode([String: String].self, from: Data(line.dropLast()))
                    #expect(object == ["MESSAGE": value, "ZTG_\(length)": value])
                    #expect(line.last == 0x0A)
                    #expect(line.filter { $0 == 0x0A }.count == 1)
                }
            }
        }
    }

    @Test("a cursor writes bytes, strings and literals in order, and the array holds exactly what was written")
    func writesInOrder() {
        var taken: [Bool] = []
        let bytes = [UInt8](capacity: 64) { cursor in
            cursor.append(literal: "{")
            cursor.append("Sofia’s iPhone")
            cursor.append(UInt8(ascii: ","))
            taken.append(cursor.appendUnlessJSONEscaped("plain"))
            taken.append(cursor.appendUnlessJSONEscaped("say \"hi\""))
            cursor.append("")
            cursor.append(literal: "}")
        }
        #expect(taken == [true, false])
        #expect(String(decoding: bytes, as: UTF8.self) == "{Sofia’s iPhone,plain}")
        #expect(bytes.count == 24)
    }

    @Test("writing past the capacity given stops the process rather than overrun memory")
    func overrunTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = [UInt8](capacity: 4) { $0.append("five!") }
        }
    }
}
