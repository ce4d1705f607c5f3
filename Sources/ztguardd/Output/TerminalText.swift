/// Text from the network or from a file made safe for the places a person reads it: a terminal,
/// `systemctl status`, a spreadsheet. The one filter every such road goes through.
///
/// A device name or user email is whatever bytes someone typed on a laptop, and an API error message
/// whatever the server sent. Printed raw, `ESC[1A ESC[2K` erases rows from the plan an administrator
/// reviews before turning dry run off, and a right-to-left override reorders what they read; opened
/// in a spreadsheet, `=HYPERLINK(…)` runs. The journal is not such a place: it keeps the exact bytes
/// (bounded, ``bounded(_:toUTF8Bytes:)``), and `journalctl` escapes them on display; JSON output is
/// exact too, in JSON's own escapes.
enum TerminalText {
    /// `text` with every character a terminal would obey or hide instead of show replaced by one
    /// visible stand-in (``standIn(for:)``), so that a name keeps its width and its readable part:
    /// `ESC[2KLAPTOP-1` shows as `␛[2KLAPTOP-1`. Everything else is left as it is.
    ///
    /// - Parameter keepingNewlines: true for a message of several lines of our own (an error listing
    ///   every problem of a configuration), whose line breaks are meant.
    static func visible(_ text: String, keepingNewlines: Bool = false) -> String {
        let isHidden: (Unicode.Scalar) -> Bool = { keepingNewlines && $0 == "\n" ? false : Self.isHidden($0) }
        guard text.unicodeScalars.contains(where: isHidden) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            result.append(isHidden(scalar) ? standIn(for: scalar) : scalar)
        }
        return String(result)
    }

    /// Whether a terminal acts on `scalar`, or shows nothing for it, rather than showing it: the
    /// controls (Cc: C0, DEL, C1), the format characters (Cf: the bidirectional embeddings, overrides,
    /// isolates and marks, the zero-width characters, the byte order mark, soft hyphen) and the line
    /// and paragraph separators (Zl, Zp: U+2028, U+2029).
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        // Printable ASCII, nearly every character of every name, without a table lookup.
        if scalar.value >= 0x20 && scalar.value < 0x7F { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// What a hidden scalar shows as: its picture from the Control Pictures block for C0 and DEL (`␛` for
    /// ESC, `␀` for NUL, `␊` for a line feed, `␡`), and `�` (U+FFFD) for the others.
    static func standIn(for scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x00...0x1F: Unicode.Scalar(0x2400 + scalar.value) ?? "\u{FFFD}"
        case 0x7F: "\u{2421}"
        default: "\u{FFFD}"
        }
    }

    /// ``visible(_:keepingNewlines:)`` on one line bounded to `limit` bytes of UTF-8: for a line a
    /// person reads among others, such as `systemctl status`'s Status: line.
    static func line(_ text: String, toUTF8Bytes limit: Int) -> String {
        bounded(visible(text), toUTF8Bytes: limit)
    }

    /// `text`, or its first whole characters and "… (N bytes)" when it is longer than `limit` bytes of
    /// UTF-8; the result is never longer than `limit`.
    static func bounded(_ text: String, toUTF8Bytes limit: Int) -> String {
        let size = text.utf8.count
        guard size > limit else { return text }
        let suffix = "… (\(size) bytes)"
        var kept = ""
        for character in text {
            guard kept.utf8.count + character.utf8.count + suffix.utf8.count <= limit else { break }
            kept.append(character)
        }
        return kept + suffix
    }

    /// A CSV field (RFC 4180) that a spreadsheet shows as text: hidden characters replaced, a leading
    /// `=`, `+`, `-`, `@`, tab or carriage return disarmed with a `'` (OWASP's advice for CSV injection),
    /// then quoted when it holds a comma or a quote, inner quotes doubled.
    static func csvField(_ text: String) -> String {
        var field = visible(text)
        if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}
