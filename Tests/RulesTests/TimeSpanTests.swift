import Rules
import Testing

struct TimeSpanTests {
    @Test(
        "parses a whole number followed by s, m, h, d or w",
        arguments: [
            ("30s", 30), ("15m", 900), ("12h", 43_200), ("90d", 7_776_000), ("2w", 1_209_600), ("090d", 7_776_000),
            ("9223372036854775807s", Int64.max),
        ] as [(String, Int64)]
    )
    func parsesValidSpans(text: String, seconds: Int64) {
        #expect(TimeSpan(parsing: text)?.seconds == seconds)
    }

    @Test(
        "rejects words, spaces, signs, fractions, zero, missing parts, upper-case units and overflow",
        arguments: [
            "90 days", "90D", " 90d", "90d ", "-1d", "+1d", "1.5h", "d", "90", "", "0d", "0s", "00w", "1y", "1dd",
            "9223372036854775808s", "15250284452472w", "99999999999999999999999d",
        ]
    )
    func rejectsInvalidSpans(text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    @Test(
        "describes a parsed span in the unit it was written in",
        arguments: [
            ("90d", "90 days"), ("1d", "1 day"), ("15m", "15 minutes"), ("1m", "1 minute"), ("2w", "2 weeks"),
            ("1h", "1 hour"), ("30s", "30 seconds"), ("28d", "28 days"), ("120m", "120 minutes"),
        ]
    )
    func describesParsedSpans(text: String, description: String) {
        #expect(TimeSpan(parsing: text)?.description == description)
    }

    @Test(
        "describes a span built from seconds in the largest unit that divides it",
        arguments: [
            (1_209_600, "2 weeks"), (86_400, "1 day"), (90_000, "25 hours"), (90, "90 seconds"), (0, "0 seconds"),
        ]
            as [(Int64, String)]
    )
    func describesSecondSpans(seconds: Int64, description: String) {
        #expect(TimeSpan(seconds: seconds).description == description)
    }

    @Test("spans written in different units are equal when they last equally long")
    func equalityIgnoresUnit() {
        #expect(span("14d") == span("2w"))
        #expect(Set([span("14d"), span("2w"), span("336h")]).count == 1)
    }

    @Test("spans order by length")
    func ordering() {
        #expect(span("23h") < span("1d"))
        #expect(span("1w") > span("6d"))
    }
}
