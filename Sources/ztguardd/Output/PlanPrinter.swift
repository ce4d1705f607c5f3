import FoundationEssentials
import Rules

/// Prints a run report as the JSON of ztguardd(8), RUN REPORTS, or as a table that fits 80 columns.
enum PlanPrinter {
    static func json(_ report: RunReport) -> [UInt8] {
        report.jsonBytes() + [0x0A]
    }

    /// DEVICE and USER after a two-space indent, narrower on a narrow terminal; REASON takes the rest
    /// (38 columns at 80: "last seen 250 days ago (limit 90 days)" fits).
    static func widths(for width: Int) -> [Int] { width < 100 ? [16, 22] : [20, 28] }

    /// Actions grouped by rule, then a summary per rule and a total, then the limit that stopped the run.
    ///
    /// - Parameter listingSeenBefore: the cutoff the listing was narrowed to, if it was: the summary then
    ///   says what was listed and why, rather than a count that reads as the whole account.
    static func table(
        _ report: RunReport, rules: [Rule], waitingForGrace: [String: Int], listingSeenBefore: Date? = nil,
        width: Int = 80
    ) -> String {
        actions(report, rules: rules, width: width)
            + summary(report, rules: rules, waitingForGrace: waitingForGrace, listingSeenBefore: listingSeenBefore)
            + abort(report, width: width)
    }

    /// The actions grouped by rule, at most `rowsPerRule` of each (all when nil), the rows that are left
    /// out counted. The reason is what a reviewer reads: it is never cut. One that does not fit beside the
    /// device and the user goes on a line of its own below them, wrapped to the width.
    static func actions(_ report: RunReport, rules: [Rule], width: Int, rowsPerRule: Int? = nil) -> String {
        let widths = Self.widths(for: width)
        let reasonWidth = max(20, width - (2 + widths[0] + 1 + widths[1] + 1))
        var text = ""
        let byRule = Dictionary(grouping: report.actions, by: \.rule)
        for rule in rules {
            guard let actions = byRule[rule.name], !actions.isEmpty else { continue }
            let outcomes = Dictionary(grouping: actions, by: \.outcome).sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value.count) \($0.key.rawValue)" }.joined(separator: ", ")
            text += "\n" + TerminalText.visible("\(rule.name): \(rule.action.rawValue)\(rule.dryRun ? " (rule in dry run)" : ""), \(outcomes)") + "\n"
            text += "  " + TextTable.row(["DEVICE", "USER", "REASON"], widths: widths + [reasonWidth]) + "\n"
            for action in actions.prefix(rowsPerRule ?? actions.count) {
                let record = action.record
                let reason = TerminalText.visible(record.reason)
                if reason.count <= reasonWidth {
                    text += "  " + TextTable.row([record.deviceName, record.userEmail ?? "-", reason], widths: widths + [reasonWidth])
                        + "\n"
                } else {
                    text += "  " + TextTable.row([record.deviceName, record.userEmail ?? "-"], widths: widths + [widths[1]]) + "\n"
                    for line in Self.wrapped(reason, width: width - 6) { text += "      " + line + "\n" }
                }
            }
            if let rowsPerRule, actions.count > rowsPerRule { text += "  … and \(actions.count - rowsPerRule) more\n" }
        }
        return text
    }

    /// What was listed, a line per rule, and the total.
    static func summary(
        _ report: RunReport, rules: [Rule], waitingForGrace: [String: Int], listingSeenBefore: Date? = nil
    ) -> String {
        var text = ""
        let selected = Dictionary(grouping: report.actions, by: \.rule).mapValues(\.count)
        let registrations = "\(report.listed) registration\(report.listed == 1 ? "" : "s")"
        var listed = "\(registrations) listed"
        if let cutoff = listingSeenBefore {
            listed = "\(registrations) seen before \(RFC3339.string(from: cutoff).prefix(10)) listed; newer ones cannot match"
        }
        if report.actions.isEmpty {
            text += "\nNothing to do: no rule selects any of the \(registrations) listed.\n"
        }
        text += "\nSummary (\(listed)\(report.dryRun ? ", dry run" : "")):\n"
        for rule in rules {
            let count = selected[rule.name] ?? 0
            var line = "  " + TextTable.row([rule.name, rule.action.rawValue, "\(count) selected"], widths: [24, 9, 14])
            if let waiting = waitingForGrace[rule.name], waiting > 0 { line += ", \(waiting) waiting for grace" }
            text += line + "\n"
        }
        text += "  total: \(report.actions.count) action\(report.actions.count == 1 ? "" : "s")"
        if report.doneCount > 0 || report.failedCount > 0 { text += ", \(report.doneCount) done, \(report.failedCount) failed" }
        return text + "\n"
    }

    /// The safety limit that stopped the run, and what an administrator changes to let a first clean-up
    /// through; empty when none did.
    static func abort(_ report: RunReport, width: Int = 80) -> String {
        guard let aborted = report.aborted else { return "" }
        let change = aborted.limit == "max_fraction"
            ? "raise [limits] max_fraction"
            : "raise [limits] max_actions_per_run above \(report.actions.count)"
        let detail = TerminalText.visible("ABORTED by the \(aborted.limit) limit: \(aborted.detail). Nothing will be changed.")
        return "\n" + paragraph(detail, width: width)
            + paragraph("A first clean-up of a neglected account selects much: review the actions, then \(change) "
                + "for one run, or narrow the rules, and put the limit back afterwards.", width: width)
    }

    /// `text` wrapped to `width`, each line ended.
    static func paragraph(_ text: String, width: Int) -> String {
        wrapped(text, width: width).map { $0 + "\n" }.joined()
    }

    /// `text` in lines of at most `width` characters, broken at spaces (a word longer than a line is cut
    /// into pieces of the width).
    static func wrapped(_ text: String, width: Int) -> [String] {
        let width = max(10, width)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            var word = Substring(word)
            while word.count > width {
                if !line.isEmpty { lines.append(line); line = "" }
                lines.append(String(word.prefix(width)))
                word = word.dropFirst(width)
            }
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
