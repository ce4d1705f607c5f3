/// Finds the elements of an envelope's top-level `"result"` array without decoding them, so that
/// `inventory --format json` can print registrations exactly as the API returned them.
public enum RawJSON {
    /// The byte ranges of each element of the top-level `"result"` array, in order; empty when
    /// there is no such array.
    public static func resultElements(in body: [UInt8]) -> [Range<Int>] {
        var scanner = Scanner(bytes: body)
        return scanner.resultElements()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func resultElements() -> [Range<Int>] {
            skipSpace()
            guard peek == UInt8(ascii: "{") else { return [] }
            index += 1
            while index < bytes.count {
                skipSpace()
                guard peek == UInt8(ascii: "\"") else { return [] }
                let keyStart = index + 1
                skipString()
                let key = bytes[keyStart..<(index - 1)]
                skipSpace()
                guard peek == UInt8(ascii: ":") else { return [] }
                index += 1
                skipSpace()
                if key.elementsEqual("result".utf8), peek == UInt8(ascii: "[") {
                    return arrayElements()
                }
                skipValue()
                skipSpace()
                guard peek == UInt8(ascii: ",") else { return [] }
                index += 1
            }
            return []
        }

        mutating func arrayElements() -> [Range<Int>] {
            var elements: [Range<Int>] = []
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { return [] }
            while index < bytes.count {
                skipSpace()
                let start = index
                skipValue()
                elements.append(start..<index)
                skipSpace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                } else {
                    break
                }
            }
            return elements
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        /// Skips a string starting at its opening quote, escapes included.
        mutating func skipString() {
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""): index += 1; return
                default: index += 1
                }
            }
        }

        /// Skips any value: string, object, array, number, literal.
        mutating func skipValue() {
            var depth = 0
            while let byte = peek {
                switch byte {
                case UInt8(ascii: "\""):
                    skipString()
                    if depth == 0 { return }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return }
                    depth -= 1
                    if depth == 0 { index += 1; return }
                case UInt8(ascii: ","):
                    if depth == 0 { return }
                default:
                    break
                }
                index += 1
            }
        }
    }
}
