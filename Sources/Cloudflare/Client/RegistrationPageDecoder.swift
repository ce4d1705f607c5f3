import FoundationEssentials
package import Rules

/// Reads a page of `GET …/devices/registrations` without `JSONDecoder`: the one answer ztguardd reads in
/// bulk.
///
/// `JSONDecoder` builds a dictionary of every object's keys before `Registration.init(from:)` asks for
/// one, and looks up generic metadata for every value; on a dry run over 100,000 registrations that was
/// 43 % of the process's CPU. This reader walks the bytes once and makes each ``Registration`` from the
/// fields it names, skipping the others.
///
/// It is a fast path, not a second JSON parser to trust: it takes only bodies it understands completely
/// and returns nil for anything else, and the caller then decodes the body with `JSONDecoder`, which
/// decides, and words the error. Left to `JSONDecoder`: an escape in a key or a timestamp, an escape JSON
/// does not define or a lone surrogate in any string, invalid UTF-8, a key that appears twice in one object, a non-empty `errors` array, a `result_info` number that is not a plain
/// integer, a value of another type than the field's, a byte order mark, nesting deeper than
/// ``maximumDepth``, and anything that is not strict JSON (RFC 8259),
/// whose lenient corners `JSONDecoder` resolves in its own way (it accepts trailing commas, for one).
/// What it returns equals what `JSONDecoder` gives for the same bytes: `RegistrationPageDecoderTests`
/// decode pages, edge cases and thousands of mutated pages both ways and compare.
package enum RegistrationPageDecoder {
    /// Deeper values are left to `JSONDecoder` rather than recursed into.
    static let maximumDepth = 64

    /// The page's envelope, or nil when the body is outside the fast path (see the type's summary).
    static func envelope(from body: [UInt8]) -> Envelope<[Registration]>? {
        var reader = Reader(bytes: body)
        return try? reader.envelope()
    }

    /// The page's registrations, for the benchmark that measures the fast path as the client uses it.
    package static func registrations(from body: [UInt8]) -> [Registration]? {
        envelope(from: body)?.result
    }
}

/// Thrown for anything the fast path leaves to `JSONDecoder`; never escapes ``RegistrationPageDecoder``.
private struct OutsideFastPath: Error {}

/// A cursor over the body's bytes. Every method starts at its value's first byte (whitespace already
/// skipped) and ends just past the value.
private struct Reader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    // MARK: The envelope and its parts

    mutating func envelope() throws(OutsideFastPath) -> Envelope<[Registration]> {
        var success: Bool?
        var result: [Registration]?
        var resultInfo: ResultInfo?
        var seen = SeenKeys()
        skipWhitespace()
        var more = try openObject()
        while more {
            let key = PackedKey(bytes, try memberKey())
            if key == .success {
                try seen.insert(0)
                success = try bool()
            } else if key == .errors {
                try seen.insert(1)
                try emptyArrayOrNull()
            } else if key == .result {
                try seen.insert(2)
                result = try registrations()
            } else if key == .resultInfo {
                try seen.insert(3)
                resultInfo = try self.resultInfo()
            } else {
                try skipValue(depth: 1)
            }
            more = try nextMember()
        }
        skipWhitespace()
        guard index == bytes.count, let success else { throw OutsideFastPath() }
        return Envelope(success: success, errors: [], result: result, resultInfo: resultInfo)
    }

    mutating func registrations() throws(OutsideFastPath) -> [Registration]? {
        if null() { return nil }
        var registrations: [Registration] = []
        var more = try openArray()
        while more {
            registrations.append(try registration())
            more = try nextElement()
        }
        return registrations
    }

    /// The fields of ``Registration/init(from:)``, with its rules: `id` and `device.id` required,
    /// a missing or null `device.name` is "", an empty timestamp is nil.
    mutating func registration() throws(OutsideFastPath) -> Registration {
        var id: String?
        var createdAt: Date?, lastSeenAt: Date?, revokedAt: Date?
        var keyType: String?, tunnelType: String?
        var deviceID: String?, deviceName: String?, clientVersion: String?
        var userID: String?, userEmail: String?, userName: String?
        var profileID: String?, profileName: String?
        var seen = SeenKeys()
        var more = try openObject()
        while more {
            let key = PackedKey(bytes, try memberKey())
            if key == .id {
                try seen.insert(0)
                id = try string()
            } else if key == .lastSeenAt {
                try seen.insert(1)
                lastSeenAt = try timestamp()
            } else if key == .createdAt {
                try seen.insert(2)
                createdAt = try timestamp()
            } else if key == .revokedAt {
                try seen.insert(3)
                revokedAt = try timestamp()
            } else if key == .keyType {
                try seen.insert(4)
                keyType = try optionalString()
            } else if key == .tunnelType {
                try seen.insert(5)
                tunnelType = try optionalString()
            } else if key == .device {
                // Required: JSONDecoder throws for a missing or null device, or a null device.id.
                try seen.insert(6)
                (deviceID, deviceName, clientVersion) = try stringMembers(.id, .name, .clientVersion)
                guard deviceID != nil else { throw OutsideFastPath() }
            } else if key == .user {
                try seen.insert(7)
                if !null() { (userID, userEmail, userName) = try stringMembers(.id, .email, .name) }
            } else if key == .policy {
                try seen.insert(8)
                if !null() { (profileID, profileName, _) = try stringMembers(.id, .name, nil) }
            } else {
                try skipValue(depth: 2)
            }
            more = try nextMember()
        }
        guard let id, let deviceID else { throw OutsideFastPath() }
        return Registration(
            id: id, deviceID: deviceID, deviceName: deviceName ?? "", clientVersion: clientVersion,
            createdAt: createdAt, lastSeenAt: lastSeenAt, revokedAt: revokedAt, keyType: keyType,
            tunnelType: tunnelType, userID: userID, userEmail: userEmail, userName: userName,
            profileID: profileID, profileName: profileName)
    }

    mutating func resultInfo() throws(OutsideFastPath) -> ResultInfo? {
        if null() { return nil }
        var info = ResultInfo()
        var seen = SeenKeys()
        var more = try openObject()
        while more {
            let key = PackedKey(bytes, try memberKey())
            if key == .cursor {
                try seen.insert(0)
                info.cursor = try optionalString()
            } else if key == .count {
                try seen.insert(1)
                info.count = try optionalInteger()
            } else if key == .page {
                try seen.insert(2)
                info.page = try optionalInteger()
            } else if key == .perPage {
                try seen.insert(3)
                info.perPage = try optionalInteger()
            } else if key == .totalCount {
                try seen.insert(4)
                info.totalCount = try optionalInteger()
            } else if key == .totalPages {
                try seen.insert(5)
                info.totalPages = try optionalInteger()
            } else {
                try skipValue(depth: 2)
            }
            more = try nextMember()
        }
        return info
    }

    /// The members `first`, `second` and `third` of a nested object (`device`, `user`, `policy`), each
    /// a string or null, nil when missing; the object's other members are skipped.
    mutating func stringMembers(
        _ first: PackedKey, _ second: PackedKey, _ third: PackedKey?
    ) throws(OutsideFastPath) -> (String?, String?, String?) {
        var values: (String?, String?, String?) = (nil, nil, nil)
        var seen = SeenKeys()
        var more = try openObject()
        while more {
            let key = PackedKey(bytes, try memberKey())
            if key == first {
                try seen.insert(0)
                values.0 = try optionalString()
            } else if key == second {
                try seen.insert(1)
                values.1 = try optionalString()
            } else if key == third {
                try seen.insert(2)
                values.2 = try optionalString()
            } else {
                try skipValue(depth: 3)
            }
            more = try nextMember()
        }
        return values
    }

    /// `errors` is only read on the fast path when it says nothing; messages go through `JSONDecoder`.
    mutating func emptyArrayOrNull() throws(OutsideFastPath) {
        if null() { return }
        guard try !openArray() else { throw OutsideFastPath() }
    }

    // MARK: Values

    mutating func string() throws(OutsideFastPath) -> String {
        let (contents, escaped, isASCII) = try scanString()
        // Non-ASCII contents are validated by making the string itself, not once to check and again to keep.
        if !escaped, !isASCII {
            guard let text = String(validating: bytes[contents], as: UTF8.self) else { throw OutsideFastPath() }
            return text
        }
        try validateUTF8(contents, isASCII: isASCII)
        return escaped ? try unescaped(contents) : String(decoding: bytes[contents], as: UTF8.self)
    }

    /// The contents of a string that holds escapes, decoded: a second pass over bytes the first
    /// (``stringContents()``) checked, so the runs between escapes are whole UTF-8.
    mutating func unescaped(_ contents: Range<Int>) throws(OutsideFastPath) -> String {
        let end = index
        var text = ""
        text.reserveCapacity(contents.count)
        index = contents.lowerBound
        var run = index
        while index < contents.upperBound {
            guard bytes[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            text += String(decoding: bytes[run..<index], as: UTF8.self)
            text.unicodeScalars.append(try escapedScalar())
            run = index
        }
        text += String(decoding: bytes[run..<index], as: UTF8.self)
        index = end
        return text
    }

    mutating func optionalString() throws(OutsideFastPath) -> String? {
        null() ? nil : try string()
    }

    /// An RFC 3339 timestamp, nil for null or an empty string. One written with escapes is left to
    /// `JSONDecoder`.
    mutating func timestamp() throws(OutsideFastPath) -> Date? {
        if null() { return nil }
        let (contents, escaped) = try stringContents()
        guard !escaped else { throw OutsideFastPath() }
        if contents.isEmpty { return nil }
        guard let date = RFC3339.date(utf8: bytes[contents]) else { throw OutsideFastPath() }
        return date
    }

    mutating func bool() throws(OutsideFastPath) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw OutsideFastPath()
    }

    /// A plain integer (`-?(0|[1-9][0-9]*)`) that fits an `Int`, or null.
    mutating func optionalInteger() throws(OutsideFastPath) -> Int? {
        if null() { return nil }
        let number = try numberContents()
        var position = number.lowerBound
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        var value = 0
        while position < number.upperBound {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { throw OutsideFastPath() }  // a fraction or an exponent
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowedAgain) = times10.addingReportingOverflow(negative ? -Int(digit) : Int(digit))
            guard !overflowed, !overflowedAgain else { throw OutsideFastPath() }
            value = sum
            position += 1
        }
        return value
    }

    // MARK: JSON syntax (RFC 8259, strict)

    /// The range of a string's contents, between its quotes (consumed), and whether it holds escapes.
    /// Every escape is checked: one of JSON's, a surrogate only as a high and low pair. Invalid UTF-8 is
    /// outside the fast path, as are control characters, which JSON forbids.
    mutating func stringContents() throws(OutsideFastPath) -> (range: Range<Int>, escaped: Bool) {
        let (contents, escaped, isASCII) = try scanString()
        try validateUTF8(contents, isASCII: isASCII)
        return (contents, escaped)
    }

    /// ``stringContents()`` but for the UTF-8 check, which is left to the caller: whether the contents
    /// are ASCII tells it whether one is needed.
    mutating func scanString() throws(OutsideFastPath) -> (range: Range<Int>, escaped: Bool, isASCII: Bool) {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw OutsideFastPath() }
        index += 1
        let start = index
        var union: UInt64 = 0
        var escaped = false
        while true {
            // Eight bytes at a time to the first quote, backslash or control character: most of a page is
            // the contents of strings, and most strings have none of them before their closing quote.
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: bytes.withUnsafeBytes { [index] in
                    $0.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                })
                let hits = JSONBytes.quoteBackslashOrControl(word, orDelete: false)
                guard hits == 0 else {
                    // The lowest flagged byte is a true one (``JSONBytes``); the bytes before it
                    // are contents.
                    let before = hits.trailingZeroBitCount / 8
                    union |= word & ((1 << (8 * UInt64(before))) &- 1)
                    index += before
                    break
                }
                union |= word
                index += 8
            }
            guard index < bytes.count else { throw OutsideFastPath() }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let contents = start..<index
                index += 1
                return (contents, escaped, union & 0x8080_8080_8080_8080 == 0)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                _ = try escapedScalar()
                continue
            }
            // The last few bytes of the body, read one at a time.
            guard byte >= 0x20 else { throw OutsideFastPath() }
            union |= UInt64(byte)
            index += 1
        }
    }

    /// Throws for contents that are not UTF-8; escapes are ASCII and do not change the answer.
    func validateUTF8(_ contents: Range<Int>, isASCII: Bool) throws(OutsideFastPath) {
        guard isASCII || String(validating: bytes[contents], as: UTF8.self) != nil else { throw OutsideFastPath() }
    }

    /// The character the escape at `index` (its backslash) stands for, stepping past it; a surrogate
    /// pair is one escape. `JSONDecoder` refuses a lone surrogate in a string it decodes.
    mutating func escapedScalar() throws(OutsideFastPath) -> Unicode.Scalar {
        guard index + 1 < bytes.count else { throw OutsideFastPath() }
        let kind = bytes[index + 1]
        index += 2
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return Unicode.Scalar(kind)
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let first = try hexQuad()
            switch first {
            case 0xD800...0xDBFF:
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw OutsideFastPath() }
                index += 2
                let second = try hexQuad()
                guard (0xDC00...0xDFFF).contains(second),
                    let scalar = Unicode.Scalar(0x10000 + (first - 0xD800) << 10 + (second - 0xDC00))
                else { throw OutsideFastPath() }
                return scalar
            default:
                guard let scalar = Unicode.Scalar(first) else { throw OutsideFastPath() }  // a low surrogate
                return scalar
            }
        default:
            throw OutsideFastPath()
        }
    }

    /// Four hexadecimal digits, either case.
    mutating func hexQuad() throws(OutsideFastPath) -> UInt32 {
        guard index + 4 <= bytes.count else { throw OutsideFastPath() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw OutsideFastPath()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// The range of a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    mutating func numberContents() throws(OutsideFastPath) -> Range<Int> {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
        } else {
            guard skipDigits() else { throw OutsideFastPath() }
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() else { throw OutsideFastPath() }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() else { throw OutsideFastPath() }
        }
        return start..<index
    }

    /// Skips one or more digits; false when there is none.
    mutating func skipDigits() -> Bool {
        let start = index
        while let byte = peek, byte &- UInt8(ascii: "0") < 10 { index += 1 }
        return index > start
    }

    /// Consumes `word` (`true`, `false`, `null`) when it is next; the delimiter after it is checked by
    /// whoever reads on.
    mutating func literal(_ word: String) -> Bool {
        let length = word.utf8.count
        guard index + length <= bytes.count, bytes[index..<index + length].elementsEqual(word.utf8) else {
            return false
        }
        index += length
        return true
    }

    mutating func null() -> Bool { literal("null") }

    /// Any value, checked and dropped.
    mutating func skipValue(depth: Int) throws(OutsideFastPath) {
        guard depth <= RegistrationPageDecoder.maximumDepth, let byte = peek else { throw OutsideFastPath() }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try stringContents()
        case UInt8(ascii: "{"):
            var more = try openObject()
            while more {
                _ = try memberKey()
                try skipValue(depth: depth + 1)
                more = try nextMember()
            }
        case UInt8(ascii: "["):
            var more = try openArray()
            while more {
                try skipValue(depth: depth + 1)
                more = try nextElement()
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try numberContents()
        default:
            guard literal("true") || literal("false") || literal("null") else { throw OutsideFastPath() }
        }
    }

    /// Consumes `{`; true when a member follows, false when the object is empty (`}` consumed too).
    mutating func openObject() throws(OutsideFastPath) -> Bool {
        guard peek == UInt8(ascii: "{") else { throw OutsideFastPath() }
        index += 1
        skipWhitespace()
        guard peek == UInt8(ascii: "}") else { return true }
        index += 1
        return false
    }

    /// A member's key and the colon after it; leaves `index` at the value.
    mutating func memberKey() throws(OutsideFastPath) -> Range<Int> {
        let (key, escaped) = try stringContents()
        guard !escaped else { throw OutsideFastPath() }  // keys are matched by their bytes
        skipWhitespace()
        guard peek == UInt8(ascii: ":") else { throw OutsideFastPath() }
        index += 1
        skipWhitespace()
        return key
    }

    /// After a member's value: true when `,` and another member follow, false at `}` (consumed).
    mutating func nextMember() throws(OutsideFastPath) -> Bool {
        try next(closing: UInt8(ascii: "}"))
    }

    /// Consumes `[`; true when an element follows, false when the array is empty (`]` consumed too).
    mutating func openArray() throws(OutsideFastPath) -> Bool {
        guard peek == UInt8(ascii: "[") else { throw OutsideFastPath() }
        index += 1
        skipWhitespace()
        guard peek == UInt8(ascii: "]") else { return true }
        index += 1
        return false
    }

    /// After an element: true when `,` and another element follow, false at `]` (consumed).
    mutating func nextElement() throws(OutsideFastPath) -> Bool {
        try next(closing: UInt8(ascii: "]"))
    }

    private mutating func next(closing: UInt8) throws(OutsideFastPath) -> Bool {
        skipWhitespace()
        guard let byte = peek else { throw OutsideFastPath() }
        index += 1
        if byte == closing { return false }
        guard byte == UInt8(ascii: ",") else { throw OutsideFastPath() }
        skipWhitespace()
        return true
    }

    mutating func skipWhitespace() {
        while let byte = peek,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

}

/// An object key packed into two words, so that telling which field a key names takes a few integer
/// comparisons rather than a walk over its bytes for every field it might be. A key longer than 16
/// bytes packs to a value no field's name has.
private struct PackedKey: Equatable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var length: Int

    init(_ bytes: [UInt8], _ key: Range<Int>) {
        length = key.count
        guard length <= 16 else { return }
        for (offset, index) in key.enumerated() {
            if offset < 8 {
                low |= UInt64(bytes[index]) << (offset * 8)
            } else {
                high |= UInt64(bytes[index]) << ((offset - 8) * 8)
            }
        }
    }

    init(_ name: String) {
        let bytes = Array(name.utf8)
        self.init(bytes, bytes.indices)
    }

    static let clientVersion = PackedKey("client_version")
    static let count = PackedKey("count")
    static let createdAt = PackedKey("created_at")
    static let cursor = PackedKey("cursor")
    static let device = PackedKey("device")
    static let email = PackedKey("email")
    static let errors = PackedKey("errors")
    static let id = PackedKey("id")
    static let keyType = PackedKey("key_type")
    static let lastSeenAt = PackedKey("last_seen_at")
    static let name = PackedKey("name")
    static let page = PackedKey("page")
    static let perPage = PackedKey("per_page")
    static let policy = PackedKey("policy")
    static let result = PackedKey("result")
    static let resultInfo = PackedKey("result_info")
    static let revokedAt = PackedKey("revoked_at")
    static let success = PackedKey("success")
    static let totalCount = PackedKey("total_count")
    static let totalPages = PackedKey("total_pages")
    static let tunnelType = PackedKey("tunnel_type")
    static let user = PackedKey("user")
}

/// The keys an object has already given, so that a repeated one leaves the fast path: `JSONDecoder`
/// keeps the first of two equal keys, and what it does with them is its business.
private struct SeenKeys {
    private var bits: UInt16 = 0

    mutating func insert(_ bit: Int) throws(OutsideFastPath) {
        let mask: UInt16 = 1 << bit
        guard bits & mask == 0 else { throw OutsideFastPath() }
        bits |= mask
    }
}
