import Foundation
import Rules
import Testing

@testable import ztguardd

/// Which revocations `undo` takes for the run's own: those whose `revoked_at` falls within the run, give or
/// take the clocks' margin.
@Suite struct UndoWindowTests {
    let started = Date(timeIntervalSince1970: 1_795_435_200)

    @Test("a revocation up to 5 minutes before the start or after the end is the run's; a second more is not")
    func windowEdges() {
        var report = RunReport(runID: "r", startedAt: started, dryRun: false, listed: 0, actions: [], aborted: nil)
        report.finishedAt = started + 60
        let window = Undo.window(of: report)
        #expect(window.contains(started - 300))
        #expect(!window.contains(started - 301))
        #expect(window.contains(started + 60 + 300))
        #expect(!window.contains(started + 60 + 301))
    }

    @Test("a report without finished_at (a run killed before it wrote one) bounds the window by its start only")
    func unfinishedRun() {
        let report = RunReport(runID: "r", startedAt: started, dryRun: false, listed: 0, actions: [], aborted: nil)
        let window = Undo.window(of: report)
        #expect(window.contains(started + 86_400 * 365))
        #expect(!window.contains(started - 301))
    }

    @Test("decide leaves a registration revoked outside the window revoked, with the reason, and lets one inside go",
        arguments: [(-301.0, false), (-300.0, true), (30.0, true), (360.0, true), (361.0, false)])
    func decideByRevocationTime(offset: TimeInterval, isTheRuns: Bool) {
        var report = RunReport(runID: "r", startedAt: started, dryRun: false, listed: 1, actions: [], aborted: nil)
        report.finishedAt = started + 60
        let registration = Registration(id: "a1", deviceID: "d1", deviceName: "LAPTOP", revokedAt: started + offset)
        let action = RunReport.Action(
            PlannedAction(rule: "outdated", action: .revoke, registration: registration, reason: "old client"), outcome: .done)
        let leftAlone = Undo.decide(
            revoked: [action], current: [registration], ruleSet: RuleSet(rules: []), directory: nil,
            graceMarks: GraceMarks(), at: started + 3_600, runWindow: Undo.window(of: report))
        if isTheRuns {
            #expect(leftAlone.isEmpty, "\(leftAlone)")
        } else {
            #expect(leftAlone["a1"]?.contains("not during the run") == true, "\(leftAlone)")
        }
    }
}
