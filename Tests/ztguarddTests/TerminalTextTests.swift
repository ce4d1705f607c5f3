import Testing

@testable import ztguardd

@Suite struct TerminalTextTests {
    @Test("each character a terminal would obey or hide shows as one visible stand-in, everything else as it is", arguments: [
        ("laptop\u{1B}[1A\u{1B}[2K", "laptop␛[1A␛[2K"),
        ("a\u{7}b\u{7F}c\u{9B}d", "a␇b␡c\u{FFFD}d"),
        ("nul\u{0}here", "nul␀here"),
        ("evil\u{202E}gpj.exe", "evil\u{FFFD}gpj.exe"),
        ("isolate\u{2066}x\u{2069}", "isolate\u{FFFD}x\u{FFFD}"),
        ("mark\u{200E}\u{200F}\u{061C}", "mark\u{FFFD}\u{FFFD}\u{FFFD}"),
        ("zero\u{200B}width\u{200D}join\u{2060}word\u{FEFF}bom", "zero\u{FFFD}width\u{FFFD}join\u{FFFD}word\u{FFFD}bom"),
        ("line\nbreak\r", "line␊break␍"),
        ("separators\u{2028}\u{2029}", "separators\u{FFFD}\u{FFFD}"),
        ("Chloé's MacBook — 💻", "Chloé's MacBook — 💻"),
    ])
    func visible(raw: String, shown: String) {
        #expect(TerminalText.visible(raw) == shown)
        // One stand-in per character: the width a name takes is the width it had.
        #expect(TerminalText.visible(raw).unicodeScalars.count == raw.unicodeScalars.count)
    }

    @Test("what is hidden: Cc, Cf, Zl and Zp, and nothing printable")
    func hiddenCategories() {
        for value in UInt32(0)...0x2FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let category = scalar.properties.generalCategory
            let expected = [.control, .format, .lineSeparator, .paragraphSeparator].contains(category)
            if TerminalText.isHidden(scalar) != expected {
                Issue.record("U+\(String(value, radix: 16)) (\(category)) hidden: \(!expected)")
                return
            }
        }
    }

    @Test("a CSV field never starts a formula, and is quoted as RFC 4180 says", arguments: [
        ("=HYPERLINK(\"http://x\",\"y\")", #""'=HYPERLINK(""http://x"",""y"")""#),
        ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "␉x"),
        ("a,b", "\"a,b\""), ("plain", "plain"), ("", ""), ("two\nlines", "two␊lines"),
    ])
    func csvField(raw: String, field: String) {
        #expect(TerminalText.csvField(raw) == field)
    }

    @Test("a message of our own keeps its line breaks, and nothing else")
    func keepingNewlines() {
        #expect(TerminalText.visible("two problems\n  a\u{1B}[2J\r", keepingNewlines: true) == "two problems\n  a␛[2J␍")
    }

    @Test("a name behind escape sequences keeps its readable part in a 16-column cell")
    func tableCellKeepsTheName() {
        let row = TextTable.row(["\u{1B}[2KLAPTOP-1", "user"], widths: [16, 10])
        #expect(!row.unicodeScalars.contains("\u{1B}"))
        #expect(row.hasPrefix("␛[2KLAPTOP-1 "))
    }

    @Test("bounded: whole characters and the size, never more than the bound; short text as it is", arguments: [
        (String(repeating: "x", count: 5_000), 400), (String(repeating: "é", count: 300), 101), ("short", 400),
    ])
    func bounded(text: String, limit: Int) {
        let result = TerminalText.bounded(text, toUTF8Bytes: limit)
        #expect(result.utf8.count <= limit)
        if text.utf8.count <= limit {
            #expect(result == text)
        } else {
            #expect(result.hasSuffix("… (\(text.utf8.count) bytes)"))
            #expect(text.hasPrefix(result.prefix { $0 != "…" }))
        }
    }
}
