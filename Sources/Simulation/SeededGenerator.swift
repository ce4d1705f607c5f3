/// SplitMix64: a tiny deterministic generator, so a fleet is the same bytes for the same seed on every
/// machine and Swift version. The helpers below do their own range reduction instead of calling
/// `Int.random(in:using:)`, whose algorithm the standard library does not promise to keep.
/// Package-wide, so that the benchmarks build their synthetic fleets with it too.
package struct SeededGenerator {
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (Lemire's multiply-shift; the tiny bias is irrelevant here).
    package mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "empty range")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    package mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + int(below: range.upperBound - range.lowerBound + 1)
    }

    /// A number in `0..<1`.
    package mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    package mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    package mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[int(below: elements.count)]
    }

    /// A random version-4 UUID, lower-case, as Cloudflare writes registration and user ids.
    package mutating func uuid() -> String {
        let high = (next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        for (word, dashesAfter) in [(high, [8, 12]), (low, [4])] {
            for nibble in 0..<16 {
                bytes.append(Self.hexDigits[Int(word >> UInt64(60 - 4 * nibble) & 0xF)])
                if dashesAfter.contains(nibble + 1) { bytes.append(UInt8(ascii: "-")) }
            }
            bytes.append(UInt8(ascii: "-"))
        }
        bytes.removeLast()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A base64 string of 32 random bytes, shaped like a WireGuard public key.
    package mutating func publicKey() -> String {
        var bytes: [UInt8] = []
        for _ in 0..<4 {
            let word = next()
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return Base64.encode(bytes)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
