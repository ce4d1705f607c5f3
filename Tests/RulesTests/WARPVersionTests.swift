import Rules
import Testing

struct WARPVersionTests {
    @Test(
        "orders versions component by component, a missing component counting as 0",
        arguments: [
            ("2024.6.415", "2024.6.415.1"), ("2024.6.415.1", "2024.11.0"), ("2024.1.160.0", "2024.6.415"),
            ("2024.6.415.0", "2024.6.416"), ("9.9.9", "10.0"), ("2024", "2024.0.1"), ("2024.6.415", "2024.6.415.0.0.1"),
        ]
    )
    func ordering(lower: String, higher: String) throws {
        let (low, high) = (try #require(WARPVersion(lower)), try #require(WARPVersion(higher)))
        #expect(low < high)
        #expect(!(high < low))
        #expect(low != high)
    }

    @Test(
        "treats trailing zero components and leading zeros as equal",
        arguments: [("2024.6.415", "2024.6.415.0"), ("2024.06.415", "2024.6.415"), ("2024", "2024.0.0.0")]
    )
    func equality(left: String, right: String) throws {
        let (a, b) = (try #require(WARPVersion(left)), try #require(WARPVersion(right)))
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
    }

    @Test(
        "rejects empty, non-numeric and pre-release versions",
        arguments: [
            "", "2024.6.415-beta", "2024.6.415b", "v2024.6", "2024..415", "2024.6.", ".2024", " 2024.6", "2024.6 ",
            "-1.0", "1.2.3.4.5.6.7.8.9", "18446744073709551616", "2024,6",
        ]
    )
    func rejectsInvalid(text: String) {
        #expect(WARPVersion(text) == nil)
    }

    @Test("accepts up to eight components, each up to 2^64 - 1")
    func accepts() {
        #expect(WARPVersion("1.2.3.4.5.6.7.8") != nil)
        #expect(WARPVersion("18446744073709551615") != nil)
    }

    @Test("describes itself as written")
    func describesAsWritten() {
        #expect(WARPVersion("2024.06.415.0")?.description == "2024.06.415.0")
    }
}
