import Rules

/// Writes bytes into memory sized beforehand: the journal's JSON lines and the report's actions are
/// built this way, their length bounded first and each byte then stored once. Appending to an array
/// checked its capacity and uniqueness for each of a record's 60 pieces, about 120 instructions a
/// piece before the copy, for every action of a run.
///
/// Writing past the capacity given traps: a wrong bound is a bug, never a memory overrun. Not copyable,
/// and made only by ``Swift/Array/init(capacity:writing:)`` for the call of its closure: its pointers
/// cannot outlive the array's initialisation.
struct ByteCursor: ~Copyable {
    private let end: UnsafeMutablePointer<UInt8>
    private var position: UnsafeMutablePointer<UInt8>
    private let start: UnsafeMutablePointer<UInt8>

    fileprivate init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        start = buffer.baseAddress!
        position = start
        end = start + buffer.count
    }

    /// Bytes written so far.
    var count: Int { position - start }

    mutating func append(_ byte: UInt8) {
        precondition(position < end, "ByteCursor: more bytes than the capacity given")
        position.initialize(to: byte)
        position += 1
    }

    /// Appends `text`'s UTF-8 bytes as they are.
    mutating func append(_ text: String) {
        text.utf8.span.withUnsafeBufferPointer { append($0) }
    }

    /// Appends the UTF-8 bytes of a literal.
    mutating func append(literal text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends `text`'s UTF-8 bytes as they are and returns true; or, when one would need an escape
    /// in a JSON string (``Swift/String/needsJSONEscape(orDelete:orNonASCII:)``), appends nothing and
    /// returns false.
    mutating func appendUnlessJSONEscaped(_ text: String, orDelete: Bool = false, orNonASCII: Bool = false) -> Bool {
        text.utf8.span.withUnsafeBufferPointer { bytes in
            guard !String.needsJSONEscape(bytes, orDelete: orDelete, orNonASCII: orNonASCII) else { return false }
            append(bytes)
            return true
        }
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(end - position >= bytes.count, "ByteCursor: more bytes than the capacity given")
        guard let source = bytes.baseAddress else { return }
        position.initialize(from: source, count: bytes.count)
        position += bytes.count
    }
}

extension Array where Element == UInt8 {
    /// An array of the bytes `body` writes, at most `capacity` of them.
    init(capacity: Int, writing body: (inout ByteCursor) -> Void) {
        self.init(unsafeUninitializedCapacity: Swift.max(capacity, 1)) { buffer, initialized in
            var cursor = ByteCursor(buffer)
            body(&cursor)
            initialized = cursor.count
        }
    }
}

extension String {
    /// Whether the string has a byte a JSON string literal must escape: `"`, `\` or a control
    /// character (below 0x20); and DEL too when `orDelete`, and any byte of a non-ASCII character when
    /// `orNonASCII`, for the JSON lines, which also escape what a terminal would hide.
    func needsJSONEscape(orDelete: Bool = false, orNonASCII: Bool = false) -> Bool {
        utf8.span.withUnsafeBufferPointer { Self.needsJSONEscape($0, orDelete: orDelete, orNonASCII: orNonASCII) }
    }

    /// ``needsJSONEscape(orDelete:orNonASCII:)`` for UTF-8 bytes.
    ///
    /// Eight bytes at a time, the last eight read again rather than one by one (four and four for a
    /// string shorter than eight): every audit value of every action is checked before it is copied
    /// verbatim, and nearly all pass.
    static func needsJSONEscape(_ bytes: UnsafeBufferPointer<UInt8>, orDelete: Bool, orNonASCII: Bool = false) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        // A byte of a non-ASCII character is one with its high bit set.
        let highBits: UInt64 = orNonASCII ? 0x8080_8080_8080_8080 : 0
        func hit(_ word: UInt64) -> Bool {
            JSONBytes.quoteBackslashOrControl(word, orDelete: orDelete) | (word & highBits) != 0
        }
        let raw = UnsafeRawPointer(base)
        guard bytes.count >= 8 else {
            guard bytes.count >= 4 else {
                return bytes.contains {
                    $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || (orDelete && $0 == 0x7F)
                        || (orNonASCII && $0 >= 0x80)
                }
            }
            // Four to seven bytes: the first four and the last four, overlapping, in one word.
            let first = UInt64(raw.loadUnaligned(as: UInt32.self))
            let last = UInt64(raw.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self))
            return hit(first | last << 32)
        }
        var offset = 0
        while offset + 8 < bytes.count {
            if hit(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) { return true }
            offset += 8
        }
        return hit(raw.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self))
    }
}
