import Rules
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct GraceMarksTests {
    @Test("encodes as an array sorted by rule and registration, with RFC 3339 dates, and decodes back")
    func roundTrips() throws {
        let marks = GraceMarks(firstSelected: [
            GraceMarks.Key(rule: "outdated", registrationID: "r2"): Date(timeIntervalSince1970: 1_785_575_520),
            GraceMarks.Key(rule: "outdated", registrationID: "r1"): Date(timeIntervalSince1970: 1_785_575_520.5),
            GraceMarks.Key(rule: "alpha", registrationID: "r9"): Date(timeIntervalSince1970: 0),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(marks), as: UTF8.self)
        #expect(
            json == #"[{"first_selected":"1970-01-01T00:00:00Z","registration_id":"r9","rule":"alpha"},"#
                + #"{"first_selected":"2026-08-01T09:12:00.500000Z","registration_id":"r1","rule":"outdated"},"#
                + #"{"first_selected":"2026-08-01T09:12:00Z","registration_id":"r2","rule":"outdated"}]"#
        )
        #expect(try JSONDecoder().decode(GraceMarks.self, from: Data(json.utf8)) == marks)
    }

    @Test(
        "rejects a mark whose date is missing or not RFC 3339",
        arguments: [
            #"[{"rule": "a", "registration_id": "r"}]"#,
            #"[{"rule": "a", "registration_id": "r", "first_selected": "yesterday"}]"#,
        ]
    )
    func rejectsBadDates(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(GraceMarks.self, from: Data(json.utf8)) }
    }
}
