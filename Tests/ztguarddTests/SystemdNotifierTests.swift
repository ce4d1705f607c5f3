import Testing

@testable import ztguardd

@Suite struct SystemdNotifierTests {
    @Test("a status is one line a person can read: a newline from an API message cannot start another sd_notify assignment", arguments: [
        "Run failed: bad\nWATCHDOG_USEC=1", "a\r\nb", "tab\tand\u{7}bell", "line\u{2028}separator", "esc\u{1B}[2Jclear",
        "bidi\u{202E}override", "nul\u{0}byte",
    ])
    func statusIsOneLine(status: String) {
        let line = SystemdNotifier.singleLine(status)
        #expect(!line.unicodeScalars.contains(where: TerminalText.isHidden))
        #expect(line.unicodeScalars.count == status.unicodeScalars.count)
    }

    @Test("a long status is cut to 400 bytes, saying how long it was")
    func longStatusIsCut() {
        let line = SystemdNotifier.singleLine(String(repeating: "x", count: 5_000))
        #expect(line.utf8.count <= 400 && line.utf8.count > 380)
        #expect(line.hasSuffix("… (5000 bytes)"))
    }
}
