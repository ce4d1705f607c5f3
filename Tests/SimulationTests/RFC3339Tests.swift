import Foundation
import Testing

@testable import Simulation

@Suite("RFC 3339 timestamps")
struct RFC3339Tests {
    @Test(
        "formats UTC with whole or fractional seconds",
        arguments: [
            (0.0, false, "1970-01-01T00:00:00Z"), (1_795_000_000, false, "2026-11-18T11:06:40Z"),
            (1_795_000_000.25, true, "2026-11-18T11:06:40.250000Z"), (951_782_400, false, "2000-02-29T00:00:00Z"),
            (-1, false, "1969-12-31T23:59:59Z"),
        ]
    )
    func format(seconds: Double, fractional: Bool, expected: String) {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: seconds), fractional: fractional) == expected)
    }

    @Test(
        "parses Z, numeric offsets and fractions",
        arguments: [
            ("2026-11-18T11:06:40Z", 1_795_000_000.0), ("2026-11-18T13:06:40+02:00", 1_795_000_000),
            ("2026-11-18T06:06:40.5-05:00", 1_795_000_000.5), ("2000-02-29t00:00:00z", 951_782_400),
        ]
    )
    func parse(text: String, seconds: Double) {
        #expect(RFC3339.date(from: text) == Date(timeIntervalSince1970: seconds))
    }

    @Test(
        "refuses what is not RFC 3339",
        arguments: [
            "2026-11-18", "2026-11-18T07:46:40", "2026-11-18 07:46:40Z", "2026-02-30T00:00:00Z",
            "2026-11-18T07:46:40+0200",
            "2026-11-18T07:46:40.Z", "90d", "",
        ]
    )
    func refuse(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }
}
