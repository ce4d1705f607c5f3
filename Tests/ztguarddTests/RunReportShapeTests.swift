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
        let text = String(decoding: PlanPrinter.json(report), as: UTF8.self)
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

    @Test("a finished run: done and failed actions, missing optionals as null, error only when failed, the closing fields")
    func finishedRun() async throws {
        let started = Date(timeIntervalSince1970: 1_795_435_200)  // 2026-11-23T12:00:00Z
        var done = RunReport.Action(
            PlannedAction(rule: "outdated", action: .revoke, registration: Registration(
                id: "r-1", deviceID: "d-1", deviceName: "LAPTOP-1", clientVersion: "2024.3.409.0",
                lastSeenAt: started - 3 * 86_400, userEmail: "ana@example.com"),
                reason: "client 2024.3.409.0 is below 2024.6.415"), outcome: .pending)
        done.outcome = .done
        var failed = RunReport.Action(
            PlannedAction(rule: "stale", action: .delete, registration: Registration(id: "r-2", deviceID: "d-2", deviceName: "KIOSK"),
                reason: "last seen 120 days ago (limit 90 days)"), outcome: .pending)
        failed.outcome = .failed
        failed.error = "HTTP 500: internal error"
        var report = RunReport(runID: "5d1c", startedAt: started, dryRun: false, listed: 1200, actions: [done, failed], aborted: nil)
        report.finishedAt = started + 3.5
        report.apiRequests = 14
        report.durationMS = 3_512
        try await expectEverywhere(report, """
            {
              "aborted" : null,
              "actions" : [
                {
                  "action" : "revoke",
                  "client_version" : "2024.3.409.0",
                  "device_id" : "d-1",
                  "device_name" : "LAPTOP-1",
                  "last_seen_at" : "2026-11-20T12:00:00Z",
                  "outcome" : "done",
                  "reason" : "client 2024.3.409.0 is below 2024.6.415",
                  "registration_id" : "r-1",
                  "rule" : "outdated",
                  "user_email" : "ana@example.com"
                },
                {
                  "action" : "delete",
                  "client_version" : null,
                  "device_id" : "d-2",
                  "device_name" : "KIOSK",
                  "error" : "HTTP 500: internal error",
                  "last_seen_at" : null,
                  "outcome" : "failed",
                  "reason" : "last seen 120 days ago (limit 90 days)",
                  "registration_id" : "r-2",
                  "rule" : "stale",
                  "user_email" : null
                }
              ],
              "api_requests" : 14,
              "dry_run" : false,
              "duration_ms" : 3512,
              "finished_at" : "2026-11-23T12:00:03.500000Z",
              "listed" : 1200,
              "run_id" : "5d1c",
              "started_at" : "2026-11-23T12:00:00Z"
            }

            """)
    }

    @Test("a run that failed before acting: no actions, and the failure")
    func failedRun() async throws {
        let started = Date(timeIntervalSince1970: 1_795_435_200)
        var report = RunReport(runID: "9e0a", startedAt: started, dryRun: true, listed: 0, actions: [], aborted: nil)
        report.failure = "GET /devices/registrations: HTTP 403 (code 10000): Authentication error"
        report.finishedAt = started + 1
        report.apiRequests = 2
        report.durationMS = 310
        try await expectEverywhere(report, """
            {
              "aborted" : null,
              "actions" : [

              ],
              "api_requests" : 2,
              "dry_run" : true,
              "duration_ms" : 310,
              "failure" : "GET /devices/registrations: HTTP 403 (code 10000): Authentication error",
              "finished_at" : "2026-11-23T12:00:01Z",
              "listed" : 0,
              "run_id" : "9e0a",
              "started_at" : "2026-11-23T12:00:00Z"
            }

            """)
    }

    @Test("a run a limit aborted: the limit and its detail, every action skipped")
    func abortedRun() async throws {
        let started = Date(timeIntervalSince1970: 1_795_435_200)
        var skipped = RunReport.Action(
            PlannedAction(rule: "stale", action: .delete, registration: Registration(
                id: "r-3", deviceID: "d-3", deviceName: "PC-3", clientVersion: "2025.1.7.0",
                lastSeenAt: started - 100 * 86_400, userEmail: "bo@example.com"),
                reason: "last seen 100 days ago (limit 90 days)"), outcome: .pending)
        skipped.skip(.limit)
        var report = RunReport(
            runID: "77aa", startedAt: started, dryRun: false, listed: 8, actions: [skipped],
            aborted: RunReport.Abort(limit: "max_fraction", detail: "1 of 8 registrations (12.5%) planned, more than max_fraction = 0.1 (10%)"))
        report.finishedAt = started
        report.apiRequests = 1
        report.durationMS = 45
        try await expectEverywhere(report, """
            {
              "aborted" : {
                "detail" : "1 of 8 registrations (12.5%) planned, more than max_fraction = 0.1 (10%)",
                "limit" : "max_fraction"
              },
              "actions" : [
                {
                  "action" : "delete",
                  "client_version" : "2025.1.7.0",
                  "device_id" : "d-3",
                  "device_name" : "PC-3",
                  "last_seen_at" : "2026-08-15T12:00:00Z",
                  "outcome" : "skipped",
                  "reason" : "last seen 100 days ago (limit 90 days)",
                  "registration_id" : "r-3",
                  "rule" : "stale",
                  "user_email" : "bo@example.com"
                }
              ],
              "api_requests" : 1,
              "dry_run" : false,
              "duration_ms" : 45,
              "finished_at" : "2026-11-23T12:00:00Z",
              "listed" : 8,
              "run_id" : "77aa",
              "started_at" : "2026-11-23T12:00:00Z"
            }

            """)
    }

    @Test("strings are escaped as JSON requires and no more: quote, backslash and control characters; slashes and non-ASCII as they are")
    func escapedStrings() async throws {
        let started = Date(timeIntervalSince1970: 1_795_435_200)
        let action = RunReport.Action(
            PlannedAction(rule: "a/b", action: .revoke, registration: Registration(
                id: "r-4", deviceID: "d-4", deviceName: "Zoë's \"Mac\" \\ \u{1B}[2K\t\n\r\u{08}\u{0C}\u{01}\u{7F}\u{2028}🛡️"),
                reason: "why"), outcome: .planned)
        let report = RunReport(runID: "e5c4", startedAt: started, dryRun: true, listed: 1, actions: [action], aborted: nil)
        try await expectEverywhere(report, #"""
            {
              "aborted" : null,
              "actions" : [
                {
                  "action" : "revoke",
                  "client_version" : null,
                  "device_id" : "d-4",
                  "device_name" : "Zoë's \"Mac\" \\ \u001b[2K\t\n\r\b\f\u0001\#u{7F}\#u{2028}🛡️",
                  "last_seen_at" : null,
                  "outcome" : "planned",
                  "reason" : "why",
                  "registration_id" : "r-4",
                  "rule" : "a/b",
                  "user_email" : null
                }
              ],
              "dry_run" : true,
              "listed" : 1,
              "run_id" : "e5c4",
              "started_at" : "2026-11-23T12:00:00Z"
            }

            """#)
    }

    /// `report` is `expected` (a newline included) on every path that writes it: `plan --format json`, a
    /// saved report, and a report started while its run journals and finished after.
    private func expectEverywhere(
        _ report: RunReport, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(String(decoding: PlanPrinter.json(report), as: UTF8.self) == expected, sourceLocation: sourceLocation)
        let saved = StateStore(directory: "/tmp/ztg-shape-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: saved.directory) }
        try saved.save(report)
        let savedBytes = FileContents.read("\(saved.directory)/runs/\(report.runID).json") ?? []
        #expect(String(decoding: savedBytes, as: UTF8.self) == expected, "saved", sourceLocation: sourceLocation)

        // Started with the actions final, finished with the closing fields.
        var opening = report
        (opening.finishedAt, opening.apiRequests, opening.durationMS, opening.failure) = (nil, nil, nil, nil)
        let streamed = StateStore(directory: "/tmp/ztg-shape-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: streamed.directory) }
        try await streamed.startSaving(opening).finish(report)
        let streamedBytes = FileContents.read("\(streamed.directory)/runs/\(report.runID).json") ?? []
        #expect(String(decoding: streamedBytes, as: UTF8.self) == expected, "streamed", sourceLocation: sourceLocation)
    }
}
