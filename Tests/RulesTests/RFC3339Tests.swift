import Rules
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct RFC3339Tests {
    @Test(
        "parses UTC, offsets, lower-case separators and leap days",
        arguments: [
            ("2026-08-01T09:12:00Z", 1_785_575_520), ("2026-08-01t09:12:00z", 1_785_575_520),
            ("2026-08-01 09:12:00Z", 1_785_575_520), ("2026-08-01T11:12:00+02:00", 1_785_575_520),
            ("2026-08-01T03:42:00-05:30", 1_785_575_520), ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("1970-01-01T00:00:00Z", 0), ("1969-12-31T23:59:59Z", -1), ("2026-11-23T10:00:00Z", 1_795_428_000),
        ] as [(String, TimeInterval)]
    )
    func parses(text: String, secondsSince1970: TimeInterval) {
        #expect(RFC3339.date(from: text)?.timeIntervalSince1970 == secondsSince1970)
    }

    @Test("keeps fractional seconds")
    func parsesFractions() throws {
        let micro = try #require(RFC3339.date(from: "2026-08-01T09:12:00.123456Z"))
        #expect(abs(micro.timeIntervalSince1970 - 1_785_575_520.123456) < 1e-6)
        let nano = try #require(RFC3339.date(from: "2026-08-01T09:12:00.5+00:00"))
        #expect(nano.timeIntervalSince1970 == 1_785_575_520.5)
    }

    @Test(
        "rejects anything that is not a complete, valid RFC 3339 timestamp",
        arguments: [
            "", "not a date", "2026-08-01", "2026-08-01T09:12Z", "2026-08-01T09:12:00", "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z", "2026-08-32T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
            "2026-08-01T24:00:00Z", "2026-08-01T09:60:00Z", "2026-08-01T09:12:61Z", "2026-08-01T09:12:00.Z",
            "2026-08-01T09:12:00+0200", "2026-08-01T09:12:00+24:00", "2026-08-01T09:12:00Zjunk", "2026-8-01T09:12:00Z",
            "2026-08-01X09:12:00Z",
        ]
    )
    func rejects(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }

    @Test(
        "formats in UTC, with microseconds only when there is a fraction",
        arguments: [
            (1_785_575_520, "2026-08-01T09:12:00Z"), (1_785_575_520.25, "2026-08-01T09:12:00.250000Z"),
            (0, "1970-01-01T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"), (1_709_164_800, "2024-02-29T00:00:00Z"),
            (1_785_575_519.9999999, "2026-08-01T09:12:00Z"),
        ] as [(TimeInterval, String)]
    )
    func formats(secondsSince1970: TimeInterval, text: String) {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: secondsSince1970)) == text)
    }

    @Test(
        "reads back what it writes",
        arguments: [
            "2026-08-01T09:12:00Z", "2026-08-01T09:12:00.123456Z", "2000-02-29T23:59:59.000001Z",
            "0001-01-01T00:00:00Z",
        ]
    )
    func roundTrips(text: String) throws {
        let date = try #require(RFC3339.date(from: text))
        #expect(RFC3339.string(from: date) == text)
    }
}
