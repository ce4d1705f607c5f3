import Logging

/// A swift-log handler that turns each record into one journal entry: `MESSAGE`, `PRIORITY`,
/// `SYSLOG_IDENTIFIER=ztguardd`, `MESSAGE_ID` for audit events, and every metadata key as a
/// `ZTG_*` field (see ``AuditKey``).
struct JournalLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let writer: JournalWriter

    init(writer: JournalWriter, level: Logger.Level) {
        self.writer = writer
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        write(JournalFields.fields(message: "\(event.message)", level: event.level, metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }

    func write(_ fields: [(name: String, value: String)]) {
        writer.send(fields)
    }
}

/// A handler that can take a record already made into journal fields: ``AuditLog`` gives its records
/// to one directly, without swift-log's metadata dictionary.
protocol JournalFieldsHandler: LogHandler {
    /// Writes one record: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER` first, as ``JournalFields`` makes them.
    func write(_ fields: [(name: String, value: String)])
}

extension JournalLogHandler: JournalFieldsHandler {}

/// The journal fields of one record, shared by the journal and the stderr JSON lines so both
/// carry the same names.
enum JournalFields {
    static func fields(message: String, level: Logger.Level, metadata: Logger.Metadata) -> [(name: String, value: String)] {
        var fields = leading(message: message, level: level, capacity: metadata.count + 3)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let name = key == "message_id" ? "MESSAGE_ID" : AuditKey.journalField(for: key)
            // Audit values are strings: take them as they are rather than through an interpolation's copy.
            if case .string(let text) = value {
                fields.append((name, text))
            } else {
                fields.append((name, "\(value)"))
            }
        }
        return fields
    }

    /// The fields of an audit record: the same, in the same order, as ``fields(message:level:metadata:)``
    /// makes of the metadata ``AuditLog`` would log (`event`, `message_id` and every key of `audit`),
    /// without building that metadata.
    static func fields(message: String, event: AuditEvent, audit: AuditFields) -> [(name: String, value: String)] {
        var fields = leading(message: message, level: event.level, capacity: AuditKey.count + 4)
        for slot in AuditKey.recordOrder {
            guard let key = slot else {
                fields.append(("MESSAGE_ID", event.messageID))
                continue
            }
            // As in the metadata: a value given for `event` replaces the event's name.
            if let value = audit[key] ?? (key == .event ? event.rawValue : nil) {
                fields.append((key.journalField, value))
            }
        }
        return fields
    }

    /// `MESSAGE`, `PRIORITY` and `SYSLOG_IDENTIFIER`, which every record starts with, in an array with
    /// room for `capacity` fields.
    private static func leading(message: String, level: Logger.Level, capacity: Int) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(capacity)
        fields.append(("MESSAGE", message))
        fields.append(("PRIORITY", "\(priority(of: level))"))
        fields.append(("SYSLOG_IDENTIFIER", "ztguardd"))
        return fields
    }

    /// syslog(3) priorities, as journald stores them.
    static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
