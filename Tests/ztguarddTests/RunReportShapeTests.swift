import FoundationEssentials
import Rules
import Testing

@testable import ztguardd

/// The report's JSON against the shape ztguardd(8), RUN REPORTS, documents, written out by hand here:
/// field names, their order, the value types, null for no abort. Not the encoder's word for it.
@Suite struct RunReportShapeTests {
    @Test("a report is the documented object, byte for byte")
    func documentedShape() throws {
        let started = Date(timeIntervalSince1970: 1_795_435_200)  // 2026-11-23T12:00:00Z
        let registration = Registration(
            id: "0b9f1c2e-0000-4000-8000-000000000001", deviceID: "f174e90a-fafe-4643-bbbc-4a0ed4fc8415",
            deviceName: "LAPTOP-8F2K1", clientVersion: "2024.6.415.0", lastSeenAt: started - 114 * 86_400,
            userEmail: "jdoe@example.com")
        let action = RunReport.Action(
            PlannedAction(rule: "stale-90-days", action: .delete, registration: registration,
                reason: "last seen 114 days ago (limit 90 days)"), outcome: .planned)
        let report = RunReport(runID: "0b9f", startedAt: started, dryRun: true, listed: 5000, actions: [action], aborted: nil)
        let text = String(decoding: try PlanPrinter.json(report), as: UTF8.self)
        let expected = """
            {
              "aborted" : null,
              "actions" : [
                {
                  "action" : "delete",
                  "client_version" : "2024.6.415.0",
                  "device_id" : "f174e90a-fafe-4643-bbbc-4a0ed4fc8415",
                  "device_name" : "LAPTOP-8F2K1",
                  "last_seen_at" : "2026-08-01T12:00:00Z",
                  "outcome" : "planned",
                  "reason" : "last seen 114 days ago (limit 90 days)",
                  "registration_id" : "0b9f1c2e-0000-4000-8000-000000000001",
                  "rule" : "stale-90-days",
                  "user_email" : "jdoe@example.com"
                }
              ],
              "dry_run" : true,
              "listed" : 5000,
              "run_id" : "0b9f",
              "started_at" : "2026-11-23T12:00:00Z"
            }

            """
        #expect(text == expected, "\(text)")
    }
}
