import FoundationEssentials
import Rules
import Testing

@testable import ztguardd

@Suite struct PlanPrinterTests {
    static let rules = [Rule(name: "stale", action: .delete, match: Match(lastSeenOlderThan: TimeSpan(parsing: "90d")))]

    static func report(listed: Int, actions: Int) -> RunReport {
        let planned = (0..<actions).map { index in
            RunReport.Action(PlannedAction(
                rule: "stale", action: .delete,
                registration: Registration(id: "r\(index)", deviceID: "d\(index)", deviceName: "LAPTOP-\(index)"),
                reason: "last seen 114 days ago (limit 90 days)"), outcome: .planned)
        }
        return RunReport(runID: "r", startedAt: Date(timeIntervalSince1970: 0), dryRun: true, listed: listed,
            actions: planned, aborted: nil)
    }

    @Test("a plan with nothing to do says so, with what was listed")
    func nothingToDo() {
        let text = PlanPrinter.table(Self.report(listed: 300, actions: 0), rules: Self.rules, waitingForGrace: [:])
        #expect(text.contains("Nothing to do: no rule selects any of the 300 registrations listed."))
        #expect(text.contains("Summary (300 registrations listed, dry run):"))
    }

    @Test("a listing narrowed to the rules' cutoff says what was listed and why")
    func narrowedListingExplainsItself() {
        let cutoff = Date(timeIntervalSince1970: 1_788_480_000)  // 2026-09-04
        let text = PlanPrinter.table(
            Self.report(listed: 46, actions: 3), rules: Self.rules, waitingForGrace: [:], listingSeenBefore: cutoff)
        #expect(text.contains("Summary (46 registrations seen before 2026-09-04 listed; newer ones cannot match, dry run):"))
        #expect(!text.contains("Nothing to do"))
    }

    @Test("the table fits the width it is given, and every reason survives whole", arguments: [80, 120])
    func tableKeepsReasons(width: Int) {
        var report = Self.report(listed: 10, actions: 2)
        let long = "last seen 90 days 5 hours ago (limit 90 days); client 2023.3.470.0 is below 2024.6.415; "
            + "user someone.with.a.long.name@subsidiary.example.com is not in Access"
        report.actions[1] = RunReport.Action(PlannedAction(
            rule: "stale", action: .delete, registration: Registration(id: "r1", deviceID: "d1", deviceName: "LAPTOP-1"),
            reason: long), outcome: .planned)
        let text = PlanPrinter.table(report, rules: Self.rules, waitingForGrace: [:], width: width)
        for line in text.split(separator: "\n") {
            #expect(line.count <= width, "\(line)")
        }
        #expect(text.contains("last seen 114 days ago (limit 90 days)"), "a reason that fits stays on its row")
        let rejoined = text.split(separator: "\n").map { $0.drop(while: { $0 == " " }) }.joined(separator: " ")
        #expect(rejoined.contains(long), "a long reason is wrapped, never cut")
        #expect(!text.contains("(limit 9…"))
    }
}
