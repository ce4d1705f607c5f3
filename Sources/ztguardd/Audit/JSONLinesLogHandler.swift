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
    /// Built as bytes in one buffer: with no journal, every action of a run comes through here.
    static func line(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var line: [UInt8] = []
        // Quotes, colon and comma add 4 bytes a field; escapes rarely add more, so one allocation usually does.
        line.reserveCapacity(fields.reduce(16) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        line.append(UInt8(ascii: "{"))
        for (index, field) in fields.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            appendQuoted(field.name, to: &line)
            line.append(UInt8(ascii: ":"))
            appendQuoted(field.value, to: &line)
        }
        line.append(UInt8(ascii: "}"))
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// Appends `text` as a JSON string literal (RFC 8259 §7): `"`, `\` and control characters
    /// escaped, every other character as its UTF-8 bytes.
    static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        let bytes = text.utf8
        // Bytes of multi-byte characters are all 0x80 or above, so a byte test cannot split a character.
        if !text.containsUTF8Byte(where: needsEscape) {
            line.append(contentsOf: bytes)
        } else {
            for byte in bytes {
                guard needsEscape(byte) else {
                    line.append(byte)
                    continue
                }
                line.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): line.append(byte)
                case UInt8(ascii: "\n"): line.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): line.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): line.append(UInt8(ascii: "t"))
                default:
                    // \u00XX in lower-case hex, as these lines have always been written.
                    line.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    line.append(hexDigits[Int(byte >> 4)])
                    line.append(hexDigits[Int(byte & 0x0F)])
                }
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

extension JSONLinesLogHandler: JournalFieldsHandler {}

extension String {
    /// Whether one of the string's UTF-8 bytes satisfies `test`: the check JSON writers make before
    /// copying a value verbatim. Through a span: several times faster than `utf8.contains(where:)`,
    /// and most values pass.
    @inline(__always)
    func containsUTF8Byte(where test: (UInt8) -> Bool) -> Bool {
        let span = utf8.span
        for index in span.indices where test(span[index]) { return true }
        return false
    }
}

/// Human-readable diagnostics on stderr for interactive commands: `level: message key=value …`.
struct ConsoleLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(level: Logger.Level) { logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = all.filter { $0.key != "message_id" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let line = "ztguardd: \(event.level): \(event.message)" + (details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")") + "\n"
        StandardStream.write(line.utf8, to: 2)
    }
}
