/// A shell glob (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`), compiled once.
///
/// - `*` matches any run of characters, `?` exactly one character.
/// - `[abc]`, `[a-z]` match one character of the set; `[!x]` or `[^x]` one character outside it.
///   A `]` right after `[` (or `[!`) belongs to the set; a `-` first or last is literal.
/// - `\` makes the next character literal, inside a set too (`\*`, `[\]]`).
///
/// Matching runs on the text's UTF-8 bytes; `?` and sets consume one whole Unicode scalar.
/// With `caseInsensitive`, ASCII letters match either case (for emails); other letters match exactly.
/// A pattern without wildcards is a plain comparison, and one with a `*` only at its start and/or end
/// (`warp-connector-*`, `*@example.com`) is a prefix, suffix or substring test.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// A pattern that cannot be compiled, e.g. `unclosed "[" in "foo[ab"`.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        /// What is wrong and where, quoting the pattern.
        public var description: String
    }

    /// The pattern as written.
    public let pattern: String
    /// True when ASCII letters match regardless of case.
    public let isCaseInsensitive: Bool
    private let program: Program

    /// Compiles `pattern`.
    ///
    /// - Throws: ``SyntaxError`` for an unclosed `[`, a trailing `\` or a reversed range such as `[z-a]`.
    public init(_ pattern: String, caseInsensitive: Bool = false) throws(SyntaxError) {
        self.pattern = pattern
        self.isCaseInsensitive = caseInsensitive
        self.program = Program(try Self.tokens(of: pattern, caseInsensitive: caseInsensitive))
    }

    /// Returns true when `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        if let result = text.utf8.withContiguousStorageIfAvailable({ matches(bytes: $0) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer { matches(bytes: $0) }
    }

    /// The pattern as written.
    public var description: String { pattern }

    /// Globs are equal when their patterns and case sensitivity are.
    public static func == (lhs: Glob, rhs: Glob) -> Bool {
        lhs.pattern == rhs.pattern && lhs.isCaseInsensitive == rhs.isCaseInsensitive
    }

    /// Hashes the pattern and case sensitivity, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(pattern)
        hasher.combine(isCaseInsensitive)
    }

    // MARK: Compiling

    fileprivate enum Token: Sendable {
        case byte(UInt8)
        case anyScalar
        case anyRun
        case scalarClass(ScalarClass)

        var literal: UInt8? {
            if case .byte(let byte) = self { byte } else { nil }
        }
        var isAnyRun: Bool {
            if case .anyRun = self { true } else { false }
        }
    }

    private static func tokens(of pattern: String, caseInsensitive: Bool) throws(SyntaxError) -> [Token] {
        let scalars = Array(pattern.unicodeScalars)
        var tokens: [Token] = []
        var index = 0

        func appendLiteral(_ scalar: Unicode.Scalar) {
            for var byte in scalar.utf8 {
                if caseInsensitive { byte = byte.asciiLowercased }
                tokens.append(.byte(byte))
            }
        }

        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "*":
                // "**" means the same as "*"; collapsing keeps backtracking linear.
                if tokens.last?.isAnyRun != true { tokens.append(.anyRun) }
            case "?":
                tokens.append(.anyScalar)
            case "[":
                let (scalarClass, next) = try parseClass(
                    scalars,
                    from: index,
                    pattern: pattern,
                    caseInsensitive: caseInsensitive
                )
                tokens.append(.scalarClass(scalarClass))
                index = next
            case "\\":
                guard index < scalars.count else {
                    throw SyntaxError(
                        description: #"trailing "\" in "\#(pattern)"; write "\\" for a literal backslash"#
                    )
                }
                appendLiteral(scalars[index])
                index += 1
            default:
                appendLiteral(scalar)
            }
        }
        return tokens
    }

    /// Parses a set whose `[` is just before `start`; returns it and the index after its `]`.
    private static func parseClass(
        _ scalars: [Unicode.Scalar],
        from start: Int,
        pattern: String,
        caseInsensitive: Bool
    ) throws(SyntaxError) -> (ScalarClass, Int) {
        let unclosed = SyntaxError(description: #"unclosed "[" in "\#(pattern)""#)
        var index = start
        var isNegated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            isNegated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var isFirst = true

        func member() throws(SyntaxError) -> Unicode.Scalar {
            guard index < scalars.count else { throw unclosed }
            var scalar = scalars[index]
            index += 1
            if scalar == "\\" {
                guard index < scalars.count else { throw unclosed }
                scalar = scalars[index]
                index += 1
            }
            return scalar
        }

        while true {
            guard index < scalars.count else { throw unclosed }
            if scalars[index] == "]" && !isFirst {
                index += 1
                break
            }
            isFirst = false
            let lower = try member()
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                index += 1
                let upper = try member()
                guard lower.value <= upper.value else {
                    throw SyntaxError(
                        description:
                            #"reversed range "\#(lower)-\#(upper)" in "\#(pattern)"; write "\#(upper)-\#(lower)""#
                    )
                }
                ranges.append(lower.value...upper.value)
            } else {
                ranges.append(lower.value...lower.value)
            }
        }
        return (ScalarClass(ranges: ranges, isNegated: isNegated, caseInsensitive: caseInsensitive), index)
    }

    // MARK: Matching

    private func matches(bytes text: UnsafeBufferPointer<UInt8>) -> Bool {
        let folds = isCaseInsensitive
        // `program`'s arrays are read in place: binding them out of an enum payload retained them.
        switch program.shape {
        case .everything:
            return true
        case .exact:
            return text.count == program.head.count && text.hasLiteral(program.head, at: 0, folding: folds)
        case .prefix:
            return text.count >= program.head.count && text.hasLiteral(program.head, at: 0, folding: folds)
        case .suffix:
            return text.count >= program.tail.count
                && text.hasLiteral(program.tail, at: text.count - program.tail.count, folding: folds)
        case .prefixAndSuffix:
            return text.count >= program.head.count + program.tail.count
                && text.hasLiteral(program.head, at: 0, folding: folds)
                && text.hasLiteral(program.tail, at: text.count - program.tail.count, folding: folds)
        case .infix:
            guard text.count >= program.head.count else { return false }
            for start in 0...(text.count - program.head.count)
            where text.hasLiteral(program.head, at: start, folding: folds) {
                return true
            }
            return false
        case .general:
            return Self.matches(text, program.tokens, folding: folds)
        }
    }

    /// The classic single-backtrack wildcard matcher: on a mismatch, the last `*` takes one more scalar.
    private static func matches(_ text: UnsafeBufferPointer<UInt8>, _ tokens: [Token], folding: Bool) -> Bool {
        var tokenIndex = 0
        var textIndex = 0
        var lastRunToken = -1
        var lastRunStart = 0
        while textIndex < text.count {
            if tokenIndex < tokens.count {
                switch tokens[tokenIndex] {
                case .anyRun:
                    lastRunToken = tokenIndex
                    lastRunStart = textIndex
                    tokenIndex += 1
                    continue
                case .byte(let byte):
                    let candidate = folding ? text[textIndex].asciiLowercased : text[textIndex]
                    if candidate == byte {
                        tokenIndex += 1
                        textIndex += 1
                        continue
                    }
                case .anyScalar:
                    tokenIndex += 1
                    textIndex += text.scalarLength(at: textIndex)
                    continue
                case .scalarClass(let scalarClass):
                    let (scalar, length) = text.scalar(at: textIndex)
                    if scalarClass.contains(scalar) {
                        tokenIndex += 1
                        textIndex += length
                        continue
                    }
                }
            }
            guard lastRunToken >= 0 else { return false }
            tokenIndex = lastRunToken + 1
            lastRunStart += text.scalarLength(at: lastRunStart)
            textIndex = lastRunStart
        }
        while tokenIndex < tokens.count, tokens[tokenIndex].isAnyRun { tokenIndex += 1 }
        return tokenIndex == tokens.count
    }
}

/// A compiled pattern, using the cheapest test its shape allows.
private struct Program: Sendable {
    enum Shape: Sendable {
        case everything
        case exact
        case prefix
        case suffix
        case prefixAndSuffix
        case infix
        case general
    }

    let shape: Shape
    /// The literal of `exact`, `prefix` and `infix`; the prefix of `prefixAndSuffix`.
    let head: [UInt8]
    /// The literal of `suffix`; the suffix of `prefixAndSuffix`.
    let tail: [UInt8]
    /// The tokens of `general`.
    let tokens: [Glob.Token]

    private init(_ shape: Shape, head: [UInt8] = [], tail: [UInt8] = [], tokens: [Glob.Token] = []) {
        self.shape = shape
        self.head = head
        self.tail = tail
        self.tokens = tokens
    }

    init(_ tokens: [Glob.Token]) {
        // Split on `*`: when every piece is plain bytes and there are at most two pieces (or one
        // surrounded by stars), a comparison does the job.
        var pieces: [[UInt8]] = [[]]
        for token in tokens {
            if token.isAnyRun {
                pieces.append([])
            } else if let byte = token.literal {
                pieces[pieces.count - 1].append(byte)
            } else {
                self.init(.general, tokens: tokens)
                return
            }
        }
        switch pieces.count {
        case 1: self.init(.exact, head: pieces[0])
        case 2:
            switch (pieces[0].isEmpty, pieces[1].isEmpty) {
            case (true, true): self.init(.everything)
            case (false, true): self.init(.prefix, head: pieces[0])
            case (true, false): self.init(.suffix, tail: pieces[1])
            case (false, false): self.init(.prefixAndSuffix, head: pieces[0], tail: pieces[1])
            }
        case 3 where pieces[0].isEmpty && pieces[2].isEmpty:
            self.init(.infix, head: pieces[1])
        default:
            self.init(.general, tokens: tokens)
        }
    }
}

/// The members of a `[...]` set, with an ASCII bitmap so the common case needs no range search.
private struct ScalarClass: Sendable {
    private var asciiLow: UInt64 = 0
    private var asciiHigh: UInt64 = 0
    private let nonASCII: [ClosedRange<UInt32>]
    private let isNegated: Bool

    init(ranges: [ClosedRange<UInt32>], isNegated: Bool, caseInsensitive: Bool) {
        self.isNegated = isNegated
        self.nonASCII = ranges.filter { $0.upperBound >= 0x80 }
        for range in ranges where range.lowerBound < 0x80 {
            for value in range.lowerBound...min(range.upperBound, 0x7F) {
                let byte = UInt8(value)
                insert(byte)
                if caseInsensitive {
                    insert(byte.asciiLowercased)
                    insert(byte.asciiUppercased)
                }
            }
        }
    }

    private mutating func insert(_ byte: UInt8) {
        if byte < 64 { asciiLow |= 1 << UInt64(byte) } else { asciiHigh |= 1 << UInt64(byte - 64) }
    }

    func contains(_ scalar: UInt32) -> Bool {
        let isMember: Bool
        if scalar < 64 {
            isMember = asciiLow & (1 << UInt64(scalar)) != 0
        } else if scalar < 128 {
            isMember = asciiHigh & (1 << UInt64(scalar - 64)) != 0
        } else {
            isMember = nonASCII.contains { $0.contains(scalar) }
        }
        return isMember != isNegated
    }
}

extension UInt8 {
    /// The byte with ASCII `A`–`Z` mapped to `a`–`z`.
    @inline(__always) var asciiLowercased: UInt8 { self &- UInt8(ascii: "A") < 26 ? self | 0x20 : self }
    /// The byte with ASCII `a`–`z` mapped to `A`–`Z`.
    @inline(__always) var asciiUppercased: UInt8 { self &- UInt8(ascii: "a") < 26 ? self & ~0x20 : self }
}

extension UnsafeBufferPointer<UInt8> {
    /// True when `literal` (already lower-cased when `folding`) occurs at `start`; the caller checks bounds.
    @inline(__always) fileprivate func hasLiteral(_ literal: [UInt8], at start: Int, folding: Bool) -> Bool {
        literal.withUnsafeBufferPointer { literal in
            if folding {
                for offset in 0..<literal.count where self[start + offset].asciiLowercased != literal[offset] {
                    return false
                }
            } else {
                for offset in 0..<literal.count where self[start + offset] != literal[offset] {
                    return false
                }
            }
            return true
        }
    }

    /// The length of the UTF-8 sequence that starts at `index` (the text is valid UTF-8).
    @inline(__always) fileprivate func scalarLength(at index: Int) -> Int {
        let lead = self[index]
        let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        return Swift.min(length, count - index)
    }

    /// The Unicode scalar value that starts at `index`, and its length in bytes.
    @inline(__always) fileprivate func scalar(at index: Int) -> (UInt32, Int) {
        let length = scalarLength(at: index)
        let lead = UInt32(self[index])
        var value: UInt32
        switch length {
        case 1: return (lead, 1)
        case 2: value = lead & 0x1F
        case 3: value = lead & 0x0F
        default: value = lead & 0x07
        }
        for offset in 1..<length {
            value = value << 6 | UInt32(self[index + offset] & 0x3F)
        }
        return (value, length)
    }
}
