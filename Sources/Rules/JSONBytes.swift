/// JSON string bytes checked eight at a time: the page decoder looks for the end of each string, and
/// the journal lines and the run report for a byte they would have to escape.
///
/// Public and `@inlinable`, not `package`: Swift 6.3 does not inline a `package` function into
/// another module (measured: a call per word cost the page decoder 45 % more instructions).
public enum JSONBytes {
    /// The high bit of each byte of `word` that is `"`, `\` or below 0x20 (or DEL, when `orDelete`),
    /// and possibly of bytes above the lowest of those; 0 when there is none.
    ///
    /// A byte's high bit survives `x - 1` and `& ~x` only where x was 0; XOR with a byte value makes
    /// that byte 0, and `word - 0x20…` borrows in each byte below 0x20. The borrow that flags a byte
    /// falsely only runs upwards from a true hit, so whether any byte is flagged is exact, and in a
    /// little-endian word the lowest flag is always a true one. Bytes of 0x80 and above, which all bytes
    /// of multi-byte characters are, never match: `~word` clears their high bit.
    @inlinable @inline(__always)
    public static func quoteBackslashOrControl(_ word: UInt64, orDelete: Bool) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        // Without `orDelete`, `word ^ 0` flags only bytes that are 0, which `word - 0x20…` flags already.
        let delete = word ^ (ones &* (orDelete ? 0x7F : 0))
        return ((word &- ones &* 0x20) | (quote &- ones) | (backslash &- ones) | (delete &- ones)) & ~word
            & 0x8080_8080_8080_8080
    }
}
