import Cloudflare
import FoundationEssentials
import Rules

/// `undo RUN_ID` as a run of its own: it is recorded as a run is (run-started, an action record per
/// registration, run-finished, run-failed or run-aborted, under its own run ID), lists the account,
/// checks both limits on the whole plan, and acts through the act step.
///
/// What it plans comes from `original`, a report already validated (``Undo/problem(with:runID:)``), and
/// from the account as listed now (``Undo/decide(revoked:current:ruleSet:directory:graceMarks:at:runWindow:)``).
struct UndoRun: Sendable {
    struct Outcome: Sendable {
        var status: RunStatus
        var report: RunReport
    }

    /// The report of the run to undo.
    var original: RunReport
    var configuration: Configuration
    var client: CloudflareClient
    var state: StateStore
    var audit: AuditLog
    var dryRun: Bool

    /// Performs the undo and records it; saves its report unless it is a dry run.
    func run() async -> Outcome {
        let meter = (started: ContinuousClock.now, requestsBefore: client.requestsSent)
        let runID = UUID().uuidString.lowercased()
        let journal = RunJournal(audit: audit, runID: runID, dryRun: dryRun)
        var report = RunReport(runID: runID, startedAt: Date(), dryRun: dryRun, listed: 0, actions: [], aborted: nil)
        journal.started()
        // 1. The account as it is now, and what undo makes of it. Any failure here: act on nothing.
        var actions: [RunReport.Action]
        do {
            (report.listed, actions) = try await plan(at: report.startedAt)
        } catch {
            report.failure = "\(error)"
            return await finish(RunStatus(failure: error), &report, journal, meter)
        }
        // 2. Limits, on the whole plan, before the first request, as a run checks them.
        let toUnrevoke = actions.indices.filter { actions[$0].skipCause == nil }
        if let abort = configuration.ruleSet.limits.abort(count: toUnrevoke.count, listed: report.listed) {
            report.aborted = RunReport.Abort(abort)
            for index in toUnrevoke { actions[index].skip(.limit) }
            report.actions = actions
            journal.record(actions)
            return await finish(.aborted, &report, journal, meter)
        }
        // 3. Act; a dry run only records.
        if !dryRun {
            let act = ActStep(client: client, batchSize: configuration.pacing.batchSize)
            _ = await act.run(&actions, pending: toUnrevoke) { journal.record($0) }
        }
        for index in actions.indices { actions[index].settle(aborted: false) }
        report.actions = actions
        journal.record(actions.lazy.filter { $0.outcome == .planned || $0.outcome == .skipped })
        return await finish(RunStatus(acted: report), &report, journal, meter)
    }

    /// Closes the report, records the end, and saves the report unless this is a dry run.
    private func finish(
        _ status: RunStatus, _ report: inout RunReport, _ journal: RunJournal,
        _ meter: (started: ContinuousClock.Instant, requestsBefore: Int)
    ) async -> Outcome {
        report.close(at: Date(), apiRequests: client.requestsSent - meter.requestsBefore, duration: ContinuousClock.now - meter.started)
        await journal.end(status, report, savingIn: dryRun ? nil : state)
        return Outcome(status: status, report: report)
    }

    /// Lists the account and plans an unrevoke for each registration `original` revoked: pending (planned
    /// in a dry run), or skipped with the reason undo leaves it alone. Each action shows the registration as
    /// listed now, or as `original` recorded it when it is gone.
    ///
    /// - Returns: how many registrations the account holds, and the actions in `original`'s order.
    /// - Throws: when the listing, the Access users or the grace marks cannot be read.
    func plan(at now: Date) async throws -> (listed: Int, actions: [RunReport.Action]) {
        let revoked = original.actions.filter { $0.action == .revoke && $0.outcome == .done }
        let wanted = Set(revoked.map(\.registrationID))
        var query = RegistrationQuery(status: .any)
        query.includePolicy = configuration.ruleSet.needsProfiles
        var current: [Registration] = []
        // The whole account, so that `max_fraction` has the share it has in a run; only the run's
        // registrations are kept.
        let listed = try await client.forEachRegistrationPage(query, keepingBodies: false) { page in
            current += page.registrations.lazy.filter { wanted.contains($0.id) }
        }
        let ruleSet = configuration.ruleSet
        let directory = ruleSet.needsAccessUsers ? Directory(accessUsers: try await client.accessUsers()) : nil
        let leftAlone = Undo.decide(
            revoked: revoked, current: current, ruleSet: ruleSet, directory: directory,
            // As in a run: marks that cannot be read fail it, rather than passing for none.
            graceMarks: try state.graceMarks(), at: now, runWindow: Undo.window(of: original))
        let currentByID = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let actions = revoked.map { action in
            let registration = currentByID[action.registrationID] ?? Registration(recordedIn: action.record)
            var undo = RunReport.Action(
                PlannedAction(
                    rule: "undo \(original.runID)", action: .unrevoke, registration: registration,
                    reason: leftAlone[action.registrationID] ?? "revoked by rule \(action.rule) in run \(original.runID)"),
                outcome: dryRun ? .planned : .pending)
            if leftAlone[action.registrationID] != nil { undo.skip(.leftAlone) }
            return undo
        }
        return (listed, actions)
    }
}

extension Registration {
    /// The registration as a report recorded it: what undo shows of one that is gone.
    init(recordedIn record: RunReport.Action.Record) {
        self.init(
            id: record.registrationID, deviceID: record.deviceID, deviceName: record.deviceName,
            clientVersion: record.clientVersion, lastSeenAt: record.lastSeenAt, userEmail: record.userEmail)
    }
}
