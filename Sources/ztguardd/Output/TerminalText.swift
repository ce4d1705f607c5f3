/// Text from the network made safe for the places a person reads it: a terminal, a spreadsheet.
///
/// A device name or user email is whatever bytes someone typed on a laptop. Printed raw, `ESC[1A
/// ESC[2K` erases rows from the plan an administrator reviews before turning dry run off, and a
/// right-to-left override reorders what they read; opened in a spreadsheet, `=HYPERLINK(…)` runs.
enum TerminalText {
    /// `text` with every character a terminal would obey instead of show written as a visible escape:
    /// C0 controls and DEL (`\u{1b}`), C1 controls, and the bidirectional and line-separator controls
    /// (U+200E–U+200F, U+202A–U+202E, U+2066–U+2069, U+2028–U+2029). Everything else is left as it is.
    ///
    /// - Parameter keepingNewlines: true for a message of several lines of our own (an error listing
    ///   every problem of a configuration), whose line breaks are meant.
    static func visible(_ text: String, keepingNewlines: Bool = false) -> String {
        let isHidden: (Unicode.Scalar) -> Bool = { keepingNewlines && $0 == "\n" ? false : Self.isHidden($0) }
        guard text.unicodeScalars.contains(where: isHidden) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isHidden(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Whether a terminal acts on `scalar` rather than showing it.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x200E...0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// A CSV field (RFC 4180) that a spreadsheet shows as text: controls made visible, a leading `=`,
    /// `+`, `-`, `@`, tab or carriage return disarmed with a `'` (OWASP's advice for CSV injection),
    /// then quoted when it holds a comma, a quote or a line break, inner quotes doubled.
    static func csvField(_ text: String) -> String {
        var field = visible(text)
        if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}
