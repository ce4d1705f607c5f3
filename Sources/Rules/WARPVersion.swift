/// A WARP client version, compared as dotted numbers.
///
/// Components compare left to right, a missing component counting as 0: `2024.6.415` <
/// `2024.6.415.1` < `2024.11.0`, and `2024.6.415` == `2024.6.415.0`. Leading zeros are ignored
/// (`2024.06` == `2024.6`).
public struct WARPVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The version as written.
    public let description: String
    let number: VersionNumber

    /// Parses one to eight dot-separated non-negative integers, each below 2^64.
    ///
    /// Returns nil for a missing, empty or non-numeric version (pre-release suffixes included:
    /// `"2024.6.415-beta"`, `"2024.6.415b"`), empty components (`"2024..415"`, `"2024.6."`), signs,
    /// spaces, and more than eight components.
    public init?(_ text: String) {
        guard let number = VersionNumber(parsing: text) else { return nil }
        self.description = text
        self.number = number
    }

    /// Versions compare component by component.
    public static func < (lhs: WARPVersion, rhs: WARPVersion) -> Bool { lhs.number < rhs.number }

    /// Versions are equal when every component is, missing components counting as 0.
    public static func == (lhs: WARPVersion, rhs: WARPVersion) -> Bool { lhs.number == rhs.number }

    /// Hashes the components, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(number) }
}

/// The numeric value of a version, stored inline so that reading a registration's version allocates
/// nothing. Unused components are 0, which makes `2024.6.415` and `2024.6.415.0` the same value.
struct VersionNumber: Sendable, Hashable, Comparable {
    static let maximumComponents = 8
    private var components: SIMD8<UInt64>

    init?(parsing text: String) {
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ Self(bytes: $0) }) {
            guard let parsed else { return nil }
            self = parsed
        } else {
            guard let parsed = Array(text.utf8).withUnsafeBufferPointer({ Self(bytes: $0) }) else { return nil }
            self = parsed
        }
    }

    private init?(bytes: UnsafeBufferPointer<UInt8>) {
        var components = SIMD8<UInt64>()
        var component = 0
        var value: UInt64 = 0
        var hasDigit = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard hasDigit, component + 1 < Self.maximumComponents else { return nil }
                components[component] = value
                component += 1
                value = 0
                hasDigit = false
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowedAgain) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflowed, !overflowedAgain else { return nil }
            value = sum
            hasDigit = true
        }
        guard hasDigit else { return nil }
        components[component] = value
        self.components = components
    }

    static func < (lhs: VersionNumber, rhs: VersionNumber) -> Bool {
        for index in 0..<maximumComponents where lhs.components[index] != rhs.components[index] {
            return lhs.components[index] < rhs.components[index]
        }
        return false
    }
}
