import Foundation
import Logging
import Synchronization
import Testing

@testable import ztguardd

@Suite struct JSONLinesLogHandlerTests {
    @Test("escapes quote, backslash, controls and what a terminal would hide; passes every other character through as UTF-8", arguments: [
        (value: "plain", literal: #""plain""#),
        (value: "say \"hi\"", literal: #""say \"hi\"""#),
        (value: #"C:\Users"#, literal: #""C:\\Users""#),
        (value: "two\nlines", literal: #""two\nlines""#),
        (value: "a\tb\rc", literal: #""a\tb\rc""#),
        (value: "\u{01}", literal: #""\u0001""#),
        (value: "\u{08}\u{0C}", literal: #""\u0008\u000c""#),
        (value: "\u{1F}", literal: #""\u001f""#),
        (value: "\u{7F}", literal: #""\u007f""#),
        (value: "c1\u{9B}", literal: #""c1\u009b""#),
        (value: "evil\u{202E}gpj", literal: #""evil\u202egpj""#),
        (value: "line\u{2028}sep", literal: #""line\u2028sep""#),
        (value: "zero\u{200B}width", literal: #""zero\u200bwidth""#),
        (value: "tag\u{E0001}", literal: #""tag\udb40\udc01""#),
        (value: "café", literal: "\"café\""),
        (value: "🛡️ laptop", literal: "\"🛡️ laptop\""),
        (value: "/path/\u{00}end", literal: #""/path/\u0000end""#),
        (value: "", literal: #""""#),
        (value: "Sofia’s \"iPhone\"\u{7F}\u{85}ß\u{FEFF}💻\n", literal: #""Sofia’s \"iPhone\"\u007f\u0085ß\ufeff💻\n""#),
    ])
    func escaping(value: String, literal: String) throws {
        let line = [UInt8](capacity: JSONLinesLogHandler.quotedCapacity(value)) { JSONLinesLogHandler.appendQuoted(value, to: &$0) }
        #expect(String(decoding: line, as: UTF8.self) == literal)
        #expect(line == Array(literal.utf8))
        // Any JSON reader gets the value back.
        #expect(try JSONDecoder().decode(String.self, from: Data(line)) == value)
    }

    @Test("a record is one line: the fields in order as one JSON object")
    func line() throws {
        let fields = [("MESSAGE", "Registration revoked"), ("PRIORITY", "5"), ("ZTG_DEVICE_NAME", "Zoë's \"mac\"\n")]
        let line = JSONLinesLogHandler.line(fields.map { (name: $0.0, value: $0.1) })
        #expect(String(decoding: line, as: UTF8.self)
            == #"{"MESSAGE":"Registration revoked","PRIORITY":"5","ZTG_DEVICE_NAME":"Zoë's \"mac\"\n"}"# + "\n")
        #expect(line.filter { $0 == 0x0A }.count == 1)
        let object = try JSONDecoder().decode([String: String].self, from: Data(line))
        #expect(object == Dictionary(uniqueKeysWithValues: fields))
    }

    /// Every audit key with a value, and each alone.
    static let auditFieldSets: [[AuditKey: String]] =
        [Dictionary(uniqueKeysWithValues: AuditKey.allCases.filter { $0 != .event }.map { ($0, "value of \($0.rawValue)") })]
        + AuditKey.allCases.map { [$0: "only \($0.rawValue)"] } + [[:]]

    @Test("an audit record given as journal fields is, byte for byte, the line the logger's metadata gives",
          arguments: AuditEvent.allCases, auditFieldSets)
    func auditFieldsMatchTheMetadataPath(event: AuditEvent, values: [AuditKey: String]) {
        // The same record through AuditLog twice: to a handler that is not ours (swift-log's metadata,
        // made into fields as our handlers' `log(event:)` does) and to one that takes fields.
        var fields = AuditFields()
        for (key, value) in values { fields[key] = value }
        let plain = CapturingLogHandler()
        AuditLog(logger: Logger(label: "test") { _ in plain }).record(event, "Registration revoked", fields)
        let direct = CapturingFieldsHandler(logLevel: .trace)
        AuditLog(logger: Logger(label: "test") { _ in direct }).record(event, "Registration revoked", fields)
        let viaMetadata = plain.fields.withLock { $0 }
        let viaFields = direct.written.withLock { $0 }
        #expect(viaMetadata.count == 1)
        #expect(viaFields.map(JSONLinesLogHandler.line) == viaMetadata.map(JSONLinesLogHandler.line))
    }

    @Test("AuditLog gives our handlers the journal fields directly, honouring their level", arguments: [
        (level: Logger.Level.info, recorded: true), (level: .notice, recorded: true), (level: .warning, recorded: false),
    ])
    func auditLogWritesFieldsDirectly(level: Logger.Level, recorded: Bool) {
        let handler = CapturingFieldsHandler(logLevel: level)
        let audit = AuditLog(logger: Logger(label: "test") { _ in handler })
        audit.record(.action, "Registration revoked", [.registrationID: "r1", .outcome: "done"])
        let expected = recorded ? [JournalFields.fields(message: "Registration revoked", event: .action, audit: [.registrationID: "r1", .outcome: "done"])] : []
        #expect(handler.written.withLock { $0.map { $0.map(\.name) } } == expected.map { $0.map(\.name) })
        #expect(handler.written.withLock { $0.map { $0.map(\.value) } } == expected.map { $0.map(\.value) })
        #expect(handler.logged.withLock { $0 } == 0)
    }

    @Test("AuditLog logs through the metadata when our handler carries metadata of its own")
    func auditLogFallsBackWithHandlerMetadata() {
        var handler = CapturingFieldsHandler(logLevel: .info)
        handler.metadata["unit"] = "test"
        let audit = AuditLog(logger: Logger(label: "test") { _ in handler })
        audit.record(.runStarted, "Run started", [.runID: "r"])
        #expect(handler.written.withLock { $0.isEmpty })
        #expect(handler.logged.withLock { $0 } == 1)
    }
}

private final class Box<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// A handler that is not ours: keeps the fields our handlers would make of each record's metadata.
private struct CapturingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    let fields = Box<[[(name: String, value: String)]]>([])

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        fields.withLock { $0.append(JournalFields.fields(message: "\(event.message)", level: event.level, metadata: merged)) }
    }
}

/// Records what AuditLog gives it, by path.
private struct CapturingFieldsHandler: JournalFieldsHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let written = Box<[[(name: String, value: String)]]>([])
    let logged = Box(0)

    init(logLevel: Logger.Level) { self.logLevel = logLevel }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { logged.withLock { $0 += 1 } }

    func write(_ fields: [(name: String, value: String)]) { written.withLock { $0.append(fields) } }
}
