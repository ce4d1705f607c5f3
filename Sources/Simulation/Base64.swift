/// Standard base64 (with padding), for device keys and cursors; no Foundation needed.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8], urlSafe: Bool = false) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            output.append(symbol(Int(triple >> 18 & 63), urlSafe: urlSafe))
            output.append(symbol(Int(triple >> 12 & 63), urlSafe: urlSafe))
            if index + 1 < bytes.count {
                output.append(symbol(Int(triple >> 6 & 63), urlSafe: urlSafe))
            } else if !urlSafe {
                output.append(UInt8(ascii: "="))
            }
            if index + 2 < bytes.count {
                output.append(symbol(Int(triple & 63), urlSafe: urlSafe))
            } else if !urlSafe {
                output.append(UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes unpadded base64url; nil for anything that is not.
    static func decodeURLSafe(_ text: String) -> [UInt8]? {
        var values: [UInt32] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(UInt32(byte - UInt8(ascii: "A")))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(UInt32(byte - UInt8(ascii: "a")) + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(UInt32(byte - UInt8(ascii: "0")) + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var accumulator: UInt32 = 0
            for (offset, value) in chunk.enumerated() { accumulator |= value << UInt32(18 - 6 * offset) }
            output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
            if chunk.count > 2 { output.append(UInt8(truncatingIfNeeded: accumulator >> 8)) }
            if chunk.count > 3 { output.append(UInt8(truncatingIfNeeded: accumulator)) }
            index += 4
        }
        return output
    }

    private static func symbol(_ value: Int, urlSafe: Bool) -> UInt8 {
        guard urlSafe else { return alphabet[value] }
        switch value {
        case 62: return UInt8(ascii: "-")
        case 63: return UInt8(ascii: "_")
        default: return alphabet[value]
        }
    }
}
