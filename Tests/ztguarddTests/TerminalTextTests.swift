import Testing

@testable import ztguardd

@Suite struct TerminalTextTests {
    @Test("controls a terminal would obey are shown as escapes, everything else as it is", arguments: [
        ("laptop\u{1B}[1A\u{1B}[2K", "laptop\\u{1b}[1A\\u{1b}[2K"),
        ("a\u{7}b\u{7F}c\u{9B}d", "a\\u{7}b\\u{7f}c\\u{9b}d"),
        ("evil\u{202E}gpj.exe", "evil\\u{202e}gpj.exe"),
        ("isolate\u{2066}x\u{2069}", "isolate\\u{2066}x\\u{2069}"),
        ("line\nbreak\r", "line\\u{a}break\\u{d}"),
        ("Chloé's MacBook — 💻", "Chloé's MacBook — 💻"),
    ])
    func visible(raw: String, shown: String) {
        #expect(TerminalText.visible(raw) == shown)
    }

    @Test("a CSV field never starts a formula, and is quoted as RFC 4180 says", arguments: [
        ("=HYPERLINK(\"http://x\",\"y\")", #""'=HYPERLINK(""http://x"",""y"")""#),
        ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "\\u{9}x"),
        ("a,b", "\"a,b\""), ("plain", "plain"), ("", ""),
    ])
    func csvField(raw: String, field: String) {
        #expect(TerminalText.csvField(raw) == field)
    }

    @Test("a message of our own keeps its line breaks, and nothing else")
    func keepingNewlines() {
        #expect(TerminalText.visible("two problems\n  a\u{1B}[2J\r", keepingNewlines: true) == "two problems\n  a\\u{1b}[2J\\u{d}")
    }

    @Test("a table cell is made visible before it is cut to its width")
    func tableCellsAreVisible() {
        let row = TextTable.row(["\u{1B}[2Jwiped", "user"], widths: [10, 10])
        #expect(!row.unicodeScalars.contains("\u{1B}"))
        #expect(row.hasPrefix("\\u{1b}[2J…"))
    }
}
