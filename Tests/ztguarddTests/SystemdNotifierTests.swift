import Testing

@testable import ztguardd

@Suite struct SystemdNotifierTests {
    @Test("a status is one line: a newline from an API message cannot start another sd_notify assignment", arguments: [
        "Run failed: bad\nWATCHDOG_USEC=1", "a\r\nb", "tab\tand\u{7}bell", "line\u{2028}separator", "esc\u{1B}[2Jclear",
    ])
    func statusIsOneLine(status: String) {
        let line = SystemdNotifier.singleLine(status)
        #expect(!line.unicodeScalars.contains { $0.properties.generalCategory == .control })
        #expect(!line.contains("\u{2028}"))
        #expect(line.unicodeScalars.count == status.unicodeScalars.count)
    }

    @Test("a long status is cut to 400 characters")
    func longStatusIsCut() {
        #expect(SystemdNotifier.singleLine(String(repeating: "x", count: 5_000)).count == 400)
    }
}
