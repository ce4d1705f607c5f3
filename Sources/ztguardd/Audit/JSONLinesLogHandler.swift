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
    /// every other character as its UTF-8 bytes.
    static func appendQuoted(_ text: String, to line: inout ByteCursor) {
        line.append(UInt8(ascii: "\""))
        // Bytes of multi-byte characters are all 0x80 or above, so a byte test cannot split a character.
        if !line.appendUnlessJSONEscaped(text) {
            for byte in text.utf8 {
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
                    line.append(UInt8(ascii: "u"))
                    line.append(UInt8(ascii: "0"))
                    line.append(UInt8(ascii: "0"))
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
