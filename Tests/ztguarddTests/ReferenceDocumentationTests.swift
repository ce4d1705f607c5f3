import Foundation
import Testing

@testable import ztguardd

/// The reference (the man page sources in doc/) cannot go stale: every configuration key the reader
/// accepts, every journal field and every event has exactly one entry there, and the reference names
/// nothing the code does not know.
@Suite struct ReferenceDocumentationTests {
    /// The text of `doc/NAME`, found from this file's place in the repository.
    static func reference(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("doc").appendingPathComponent(name)
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The first capture of `pattern` on every line that matches it, in order.
    static func entries(_ text: String, _ pattern: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    @Test("ztguardd.toml(5) documents every key the reader accepts, once, and no other")
    func configurationKeys() throws {
        let documented = try Self.entries(Self.reference("ztguardd.toml.5.scd"), #"^\*([a-z_]+(?:\.[a-z_]+)*)\*"#)
        let accepted = ConfigurationKeys.valuePaths
        #expect(Set(accepted).subtracting(documented).sorted() == [], "accepted by the reader, missing from the reference")
        #expect(Set(documented).subtracting(accepted).sorted() == [], "in the reference, rejected by the reader")
        #expect(documented.count == Set(documented).count, "documented twice: \(documented)")
    }

    @Test("ztguardd(8) documents every journal field of an audit record, once, and no other")
    func journalFields() throws {
        let documented = try Self.entries(Self.reference("ztguardd.8.scd"), #"^\*(ZTG_[A-Z0-9_]+)\*"#)
        let fields = AuditKey.allCases.map(\.journalField)
        #expect(Set(fields).subtracting(documented).sorted() == [], "written to the journal, missing from the reference")
        #expect(Set(documented).subtracting(fields).sorted() == [], "in the reference, never written")
        #expect(documented.count == Set(documented).count, "documented twice: \(documented)")
    }

    @Test("ztguardd(8) documents every audit event with its MESSAGE_ID, once, and no other")
    func events() throws {
        let text = try Self.reference("ztguardd.8.scd")
        let names = try Self.entries(text, #"^\*([a-z]+(?:-[a-z]+)*)\* MESSAGE_ID="#)
        let ids = try Self.entries(text, #"^\*[a-z]+(?:-[a-z]+)*\* MESSAGE_ID=([0-9a-f]{32})"#)
        #expect(names.count == ids.count)
        let documented = Dictionary(zip(names, ids), uniquingKeysWith: { first, _ in first })
        let events = Dictionary(uniqueKeysWithValues: AuditEvent.allCases.map { ($0.rawValue, $0.messageID) })
        #expect(documented == events)
        #expect(names.count == Set(names).count, "documented twice: \(names)")
    }
}
