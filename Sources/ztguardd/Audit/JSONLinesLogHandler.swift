import Logging

/// Writes each record to stderr as one JSON object per line, with the journal's field names;
/// used when no journal socket exists (containers, a developer's shell).
struct JSONLinesLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(level: Logger.Level) { logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.isEmpty ? event.metadata ?? [:] : metadata.merging(event.metadata ?? [:]) { $1 }
        write(JournalFields.fields(message: "\(event.message)", level: event.level, metadata: merged))
    }

    func write(_ fields: [(name: String, value: String)]) {
        // One write per line keeps lines whole when several threads log at once.
        StandardStream.write(Self.line(fields), to: 2)
    }

    /// One JSON object holding `fields` in order, then a newline, as UTF-8.
    ///
    /// Written in one pass into memory sized for the worst case: with no journal, every action of a
    /// run comes through here.
    static func line(_ fields: [(name: String, value: String)]) -> [UInt8] {
        // Braces and newline, then per field two quoted strings, a colon and a comma.
        let capacity = fields.reduce(3) { $0 + quotedCapacity($1.name) + quotedCapacity($1.value) + 2 }
        return [UInt8](capacity: capacity) { line in
            line.append(UInt8(ascii: "{"))
            for (index, field) in fields.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendQuoted(field.name, to: &line)
                line.append(UInt8(ascii: ":"))
                appendQuoted(field.value, to: &line)
            }
            line.append(UInt8(ascii: "}"))
            line.append(UInt8(ascii: "\n"))
        }
    }

    /// The most bytes ``appendQuoted(_:to:)`` writes for `text`: every byte escaped as `\u00XX`.
    static func quotedCapacity(_ text: String) -> Int {
        text.utf8.count * 6 + 2
    }

    /// Writes `text` as a JSON string literal (RFC 8259 §7): `"`, `\` and control characters escaped,
    /// and so is every character a terminal would obey or hide (``TerminalText/isHidden(_:)``: DEL,
    /// C1 controls, bidirectional and zero-width characters, U+2028): these lines go to stderr, which
    /// may be a terminal, and the escape keeps the value exact. Every other character as its UTF-8 bytes.
    static func appendQuoted(_ text: String, to line: inout ByteCursor) {
        line.append(UInt8(ascii: "\""))
        // Nearly every value is ASCII with nothing to escape: copied as it is, after one scan eight bytes
        // at a time (checking for non-ASCII a byte at a time was 18 % of a 100k dry run's instructions).
        if !line.appendUnlessJSONEscaped(text, orDelete: true, orNonASCII: true) {
            text.utf8.span.withUnsafeBufferPointer { appendEscaped($0, to: &line) }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// The escaping half of ``appendQuoted(_:to:)``, for valid UTF-8: ASCII a byte at a time, and each
    /// other character decoded only to ask whether it is hidden, its bytes copied when it is not.
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to line: inout ByteCursor) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 0x80 else {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): line.append(UInt8(ascii: "\\")); line.append(byte)
                case UInt8(ascii: "\n"): line.append(literal: "\\n")
                case UInt8(ascii: "\r"): line.append(literal: "\\r")
                case UInt8(ascii: "\t"): line.append(literal: "\\t")
                // The other C0 controls and DEL: hidden, like every Cc character.
                case 0..<0x20, 0x7F: appendUnicodeEscape(UInt16(byte), to: &line)
                default: line.append(byte)
                }
                index += 1
                continue
            }
            // A lead byte says how many bytes its character has; a String's UTF-8 is always valid.
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
            if let scalar = Unicode.Scalar(value), TerminalText.isHidden(scalar) {
                // \uXXXX in lower-case hex (a pair of surrogates above U+FFFF), as these lines have
                // always written controls.
                for unit in scalar.utf16 { appendUnicodeEscape(unit, to: &line) }
            } else {
                for offset in 0..<length { line.append(bytes[index + offset]) }
            }
            index += length
        }
    }

    private static func appendUnicodeEscape(_ unit: UInt16, to line: inout ByteCursor) {
        line.append(literal: "\\u")
        for shift in [12, 8, 4, 0] as [UInt16] { line.append(hexDigits[Int((unit >> shift) & 0x0F)]) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

extension JSONLinesLogHandler: JournalFieldsHandler {}

/// Human-readable diagnostics on stderr for interactive commands: `level: message key=value …`.
struct ConsoleLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(level: Logger.Level) { logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// One line per event; the message and every metadata value through ``TerminalText/visible(_:keepingNewlines:)``:
    /// a failed run's error quotes the API's own message, and a device name is whatever someone typed.
    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = all.filter { $0.key != "message_id" }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(TerminalText.visible("\($0.value)"))" }
        let line = "ztguardd: \(event.level): \(TerminalText.visible("\(event.message)"))"
            + (details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")") + "\n"
        StandardStream.write(line.utf8, to: 2)
    }
}
