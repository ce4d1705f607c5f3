import Cloudflare
import FoundationEssentials
import Logging
import Rules

/// How a run ended, `run` or `undo`, and the exit status it stands for (ztguardd(8)).
enum RunStatus: Int32, Sendable {
    case succeeded = 0
    case failed = 1
    case aborted = 3
    case authenticationRefused = 77

    /// The status of a run that failed with `error` before it acted: 77 when the API refused the token.
    init(failure error: any Error) {
        self = (error as? CloudflareAPIError)?.isAuthenticationFailure == true ? .authenticationRefused : .failed
    }

    /// The status of a run that got as far as acting: failed when an action did.
    init(acted report: RunReport) {
        self = report.failedCount > 0 ? .failed : .succeeded
    }
}

/// The audit records of one run, `run` or `undo` alike (ztguardd(8), AUDIT RECORDS): run-started, one
/// record per action, and run-finished, run-failed or run-aborted, all under the run's ID.
struct RunJournal: Sendable {
    var audit: AuditLog
    var runID: String
    var dryRun: Bool

    /// Records the start. `listingSeenBefore` is said when the listing asks only for registrations seen
    /// before then: `listed` then counts only what the API sent.
    func started(listingSeenBefore: Date? = nil) {
        var fields: AuditFields = [.runID: runID, .dryRun: dryRun ? "1" : "0"]
        fields[.listingSeenBefore] = listingSeenBefore.map(RFC3339.string(from:))
        audit.record(.runStarted, "Run started", fields)
    }

    /// Records each action. A sequence, so that a run's thousands of actions are recorded where they
    /// are rather than from a filtered copy.
    func record(_ actions: some Sequence<RunReport.Action>) {
        for action in actions {
            let skipCause = action.skipCause
            let action = action.record
            var fields = AuditFields()
            fields[.runID] = runID
            fields[.dryRun] = dryRun || action.outcome == .planned ? "1" : "0"
            fields[.rule] = action.rule
            fields[.action] = action.action.rawValue
            fields[.outcome] = action.outcome.rawValue
            fields[.reason] = action.reason
            fields[.registrationID] = action.registrationID
            fields[.deviceID] = action.deviceID
            fields[.deviceName] = action.deviceName
            fields[.userEmail] = action.userEmail
            fields[.lastSeen] = action.lastSeenAt.map(RFC3339.string(from:))
            fields[.clientVersion] = action.clientVersion
            fields[.error] = action.error
            audit.record(.action, action.journalMessage(skipCause: skipCause), fields)
        }
    }

    /// Records how the run ended, with the counts of `report` (closed by ``RunReport/close(at:apiRequests:duration:)``).
    func ended(_ status: RunStatus, _ report: RunReport) {
        var fields: AuditFields = [
            .runID: runID, .dryRun: dryRun ? "1" : "0", .listed: "\(report.listed)", .selected: "\(report.selected)",
            .done: "\(report.doneCount)", .failed: "\(report.failedCount)",
            .apiRequests: "\(report.apiRequests ?? 0)", .durationMS: "\(report.durationMS ?? 0)",
        ]
        switch status {
        case .succeeded:
            audit.record(.runFinished, "Run finished", fields)
        case .aborted:
            fields[.error] = report.aborted?.detail
            audit.record(.runAborted, "Run aborted by a safety limit; nothing was changed", fields)
        case .failed, .authenticationRefused:
            fields[.error] = report.failure ?? "\(report.failedCount) actions failed"
            audit.record(.runFailed, "Run failed", fields)
        }
    }
}

extension RunJournal {
    /// Ends the run: records how it ended, then saves its report in `state`, through `saving` when the
    /// report was started while the run journaled its actions (``StateStore/startSaving(_:)``). No `state`:
    /// a run that keeps no report (`plan`, a dry `undo`).
    func end(_ status: RunStatus, _ report: RunReport, savingIn state: StateStore?, through saving: StateStore.ReportSave? = nil)
        async
    {
        ended(status, report)
        guard let state else { return }
        do {
            if let saving { try await saving.finish(report) } else { try state.save(report) }
        } catch {
            // The records stand; `history` and `undo` will not find the report.
            audit.logger.error("Cannot save the run report", metadata: ["error": "\(error)", "run.id": "\(runID)"])
        }
    }
}

extension RunReport {
    /// Sets what is known once the run is over: when it finished, how many requests it sent, how long it took.
    mutating func close(at finished: Date, apiRequests: Int, duration: Duration) {
        finishedAt = finished
        self.apiRequests = apiRequests
        durationMS = Int(duration.milliseconds)
    }
}
