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
        let fields = JournalFields.fields(
            message: "\(event.message)", level: event.level, metadata: metadata.merging(event.metadata ?? [:]) { $1 })
        var line = "{"
        for (index, field) in fields.enumerated() {
            if index > 0 { line += "," }
            line += Self.quoted(field.name) + ":" + Self.quoted(field.value)
        }
        line += "}\n"
        // One write per line keeps lines whole when several threads log at once.
        StandardStream.write(line.utf8, to: 2)
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
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
