import Rules
import Testing

struct GlobTests {
    @Test(
        "matches case-sensitively by default",
        arguments: [
            ("warp-connector-*", "warp-connector-01", true), ("warp-connector-*", "warp-connector-", true),
            ("warp-connector-*", "my-warp-connector-01", false), ("*@example.com", "jdoe@example.com", true),
            ("*@example.com", "jdoe@example.com.evil", false), ("*@example.com", "x@EXAMPLE.com", false),
            ("exact", "exact", true), ("exact", "Exact", false), ("exact", "exactly", false),
            ("LAPTOP-????", "LAPTOP-8F2K", true), ("LAPTOP-????", "LAPTOP-8F2", false),
            ("host[0-9]", "host7", true), ("host[0-9]", "hostx", false), ("host[!0-9]", "hostx", true),
            ("host[^0-9]", "host7", false), ("[abc]*", "bob", true), ("[abc]*", "dave", false),
            ("[]]x", "]x", true), ("[a-]", "-", true), ("[!]]", "a", true), ("[\\]]", "]", true),
            ("a\\*b", "a*b", true), ("a\\*b", "axb", false), ("a\\?", "a?", true), ("a\\?", "ab", false),
            ("*", "", true), ("*", "anything", true), ("**", "x", true), ("", "", true), ("", "x", false),
            ("a*b*c", "aXbYc", true), ("a*b*c", "abc", true), ("a*b*c", "aXbY", false), ("*a*b", "xaxxab", true),
            ("*mid*", "amidst", true), ("*mid*", "middle", true), ("*mid*", "mi-d", false),
            ("ab*cd", "abcd", true), ("ab*cd", "abXYcd", true), ("ab*cd", "abc", false),
            ("*.example.com", "example.com", false), ("caf?", "café", true), ("caf[é]", "café", true),
            ("caf[!é]", "café", false), ("*é", "café", true), ("?", "é", true), ("??", "é", false),
        ]
    )
    func matchesCaseSensitively(pattern: String, text: String, matches: Bool) throws {
        let glob = try Glob(pattern, caseInsensitive: false)
        #expect(glob.matches(text) == matches)
    }

    @Test(
        "with caseInsensitive, matches ASCII letters of either case (emails)",
        arguments: [
            ("*@Example.COM", "JDoe@example.com", true), ("ceo@example.com", "CEO@EXAMPLE.COM", true),
            ("ceo@example.com", "ceo@example.co", false), ("[a-c]*", "Bob", true), ("[A-C]*", "bob", true),
            ("*@contractor.example.com", "jdoe@Contractor.Example.com", true), ("*SVC*", "x@svc.example.com", true),
            ("j?oe@x.com", "JDOE@X.COM", true), ("jdoe@x.com", "jdoe@y.com", false),
        ]
    )
    func matchesCaseInsensitively(pattern: String, text: String, matches: Bool) throws {
        let glob = try Glob(pattern, caseInsensitive: true)
        #expect(glob.matches(text) == matches)
    }

    @Test(
        "rejects a malformed pattern with a description that quotes it",
        arguments: [
            ("foo[ab", #"unclosed "[" in "foo[ab""#), ("[", #"unclosed "[" in "[""#), ("[]", #"unclosed "[" in "[]""#),
            ("[!]", #"unclosed "[" in "[!]""#), ("[a\\", #"unclosed "[" in "[a\""#),
            ("foo\\", #"trailing "\" in "foo\"; write "\\" for a literal backslash"#),
            ("[z-a]", #"reversed range "z-a" in "[z-a]"; write "a-z""#),
        ]
    )
    func rejectsMalformedPatterns(pattern: String, description: String) {
        let error = #expect(throws: Glob.SyntaxError.self) { try Glob(pattern, caseInsensitive: false) }
        #expect(error?.description == description)
    }

    @Test("keeps the pattern as written and compares by pattern and case sensitivity")
    func identity() throws {
        let glob = try Glob("*@Example.com", caseInsensitive: true)
        #expect(glob.pattern == "*@Example.com")
        #expect(glob.description == "*@Example.com")
        #expect(glob.isCaseInsensitive)
        let same = try Glob("*@Example.com", caseInsensitive: true)
        let caseSensitive = try Glob("*@Example.com", caseInsensitive: false)
        #expect(glob == same)
        #expect(glob != caseSensitive)
    }

    @Test("matches long texts against many stars without blowing up")
    func manyStars() throws {
        let glob = try Glob("*a*a*a*a*a*a*a*b", caseInsensitive: false)
        #expect(!glob.matches(String(repeating: "a", count: 2_000)))
        #expect(glob.matches(String(repeating: "a", count: 2_000) + "b"))
    }
}
