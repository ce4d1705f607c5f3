import FoundationEssentials
import Rules

/// Prints a run report as the JSON of ztguardd(8), RUN REPORTS, or as a table that fits 80 columns.
enum PlanPrinter {
    static func json(_ report: RunReport) throws -> [UInt8] {
        try report.jsonBytes() + [0x0A]
    }

    /// DEVICE, USER, REASON after a two-space indent: 2 + 21 + 25 + 32 = 80 columns.
    static let widths = [20, 24, 32]

    /// Actions grouped by rule, then a summary per rule and a total.
    ///
    /// - Parameter listingSeenBefore: the cutoff the listing was narrowed to, if it was: the summary then
    ///   says what was listed and why, rather than a count that reads as the whole account.
    static func table(
        _ report: RunReport, rules: [Rule], waitingForGrace: [String: Int], listingSeenBefore: Date? = nil
    ) -> String {
        var text = ""
        let byRule = Dictionary(grouping: report.actions, by: \.rule)
        for rule in rules {
            guard let actions = byRule[rule.name], !actions.isEmpty else { continue }
            let outcomes = Dictionary(grouping: actions, by: \.outcome).sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value.count) \($0.key.rawValue)" }.joined(separator: ", ")
            text += "\n\(rule.name): \(rule.action.rawValue)\(rule.dryRun ? " (rule in dry run)" : ""), \(outcomes)\n"
            text += "  " + TextTable.row(["DEVICE", "USER", "REASON"], widths: widths) + "\n"
            for action in actions {
                let record = action.record
                text += "  " + TextTable.row([record.deviceName, record.userEmail ?? "-", record.reason], widths: widths) + "\n"
            }
        }
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
            let count = byRule[rule.name]?.count ?? 0
            var line = "  " + TextTable.row([rule.name, rule.action.rawValue, "\(count) selected"], widths: [24, 9, 14])
            if let waiting = waitingForGrace[rule.name], waiting > 0 { line += ", \(waiting) waiting for grace" }
            text += line + "\n"
        }
        text += "  total: \(report.actions.count) action\(report.actions.count == 1 ? "" : "s")"
        if report.doneCount > 0 || report.failedCount > 0 { text += ", \(report.doneCount) done, \(report.failedCount) failed" }
        text += "\n"
        if let aborted = report.aborted {
            text += "\nABORTED by the \(aborted.limit) limit: \(aborted.detail). Nothing will be changed.\n"
        }
        return text
    }
}
