import Cloudflare
import FoundationEssentials
import Logging
import Rules

/// One evaluation: verify the token → list → plan → check limits → act in batches → record.
struct Enforcer: Sendable {
    typealias Status = RunStatus

    struct Outcome: Sendable {
        var status: Status
        var report: RunReport
        /// Per rule, the registrations selected whose grace has not elapsed yet.
        var waitingForGrace: [String: Int] = [:]
        /// Set when the listing asked only for registrations seen before this time (the rules' cutoff):
        /// `listed` then counts those, not the account.
        var listingSeenBefore: Date?
    }

    var configuration: Configuration
    var client: CloudflareClient
    var state: StateStore?
    var audit: AuditLog
    var wallClock: any WallClock
    /// `--dry-run`, or a command that never acts (`plan`): overrides everything.
    var forceDryRun: Bool
    /// Asked between batches; true once a graceful shutdown began, so the run records and stops
    /// after the request in flight.
    var shouldStop: @Sendable () -> Bool = { false }
    /// False for `plan`, which reads the grace marks but writes no report and no marks.
    var persists = true

    /// Performs one run and records it (journal, report, grace marks).
    func run() async -> Outcome {
        let now = wallClock.now
        let runID = UUID().uuidString.lowercased()
        let dryRun = forceDryRun || configuration.dryRun
        let requestsBefore = client.requestsSent
        let started = ContinuousClock.now
        var report = RunReport(runID: runID, startedAt: now, dryRun: dryRun, listed: 0, actions: [], aborted: nil)
        var waitingForGrace: [String: Int] = [:]
        let query = RegistrationQuery(for: configuration.ruleSet, at: now)
        let journal = RunJournal(audit: audit, runID: runID, dryRun: dryRun)
        journal.started(listingSeenBefore: query.seenBefore)

        /// Records the end of the run and saves its report: through `saving` when the report was
        /// started while the run journaled its actions (``StateStore/startSaving(_:)``).
        func finish(_ status: Status, saving: StateStore.ReportSave? = nil) async -> Outcome {
            report.close(at: wallClock.now, apiRequests: client.requestsSent - requestsBefore, duration: ContinuousClock.now - started)
            journal.ended(status, report)
            if let state, persists {
                do {
                    if let saving { try await saving.finish(report) } else { try state.save(report) }
                } catch {
                    journal.reportNotSaved(error)
                }
            }
            return Outcome(
                status: status, report: report, waitingForGrace: waitingForGrace, listingSeenBefore: query.seenBefore)
        }

        // 1. Token, directory and listing, evaluated page by page. Any failure here: act on nothing.
        var plan: Plan
        do {
            try await checkToken(now: now, runID: runID)
            let ruleSet = configuration.ruleSet
            // The evaluation needs the grace marks and the Access users before the first page; unreadable
            // marks fail the run before the fleet is listed for nothing.
            let marks = try state?.graceMarks() ?? GraceMarks()
            let directory = ruleSet.needsAccessUsers ? Directory(accessUsers: try await client.accessUsers()) : nil
            var evaluation = ruleSet.evaluation(directory: directory, graceMarks: marks, at: now)
            // Memory holds one page and the registrations the rules select, packed page by page
            // (``RuleSet/Evaluation/packClaims()``), never the whole fleet. A page
            // that fails throws out of the listing, and the evaluation of a partial listing is dropped unplanned.
            try await client.forEachRegistrationPage(query, keepingBodies: false) { page in
                evaluation.add(page.registrations)
                evaluation.packClaims()
            }
            report.listed = evaluation.listed
            plan = evaluation.plan()
            waitingForGrace = plan.waitingForGrace
        } catch {
            report.failure = "\(error)"
            return await finish(Status(failure: error))
        }
        // 2. Limits, on the whole plan, before the first action.
        if let abort = plan.abort {
            save(plan.graceMarks)
            report.aborted = RunReport.Abort(abort)
            report.actions = plan.actions.map {
                var action = RunReport.Action($0, outcome: .pending)
                action.skip(.limit)
                return action
            }
            plan.actions = []
            let saving = startSaving(report)
            journal.record(report.actions)
            return await finish(.aborted, saving: saving)
        }

        // 3. Absence confirmed: a user the Access listing did not show is looked up before anything is
        // done about it. A lookup that fails fails the run, which acts on nothing and keeps the grace
        // marks it had.
        let presentInAccess: [PlannedAction]
        do {
            let found = try await usersFoundInAccess(plan.absencesToConfirm(for: configuration.ruleSet))
            let refined = plan.keeping(presentIn: found, for: configuration.ruleSet)
            plan = refined.plan
            presentInAccess = refined.presentInAccess
        } catch {
            report.failure = "confirming that users are absent from Access failed, so nothing was acted on: \(error)"
            return await finish(Status(failure: error))
        }
        save(plan.graceMarks)

        // 4. Act, batch by batch; dry-run rules and dry runs only record.
        // The actions share the plan's packed registrations; the plan's array goes now.
        var actions = Self.reportActions(plan.actions, presentInAccess: presentInAccess, dryRun: dryRun)
        plan.actions = []
        // A shutdown requested while listing: nothing has been changed yet, so nothing is; the plan
        // is recorded with every action skipped. One requested while acting: what was not sent is
        // skipped, and recorded as such.
        let pending = actions.indices.filter { actions[$0].outcome == .pending }
        let act = ActStep(client: client, batchSize: configuration.pacing.batchSize, shouldStop: shouldStop)
        _ = await act.run(&actions, pending: pending) { journal.record($0) }
        for index in pending { actions[index].settle(aborted: false) }
        report.actions = actions
        // The actions are final: the report is written on a thread of its own while they are journaled.
        let saving = startSaving(report)
        journal.record(actions.lazy.filter { $0.outcome == .planned || $0.outcome == .skipped })
        return await finish(Status(acted: report), saving: saving)
    }

    /// Keeps the grace marks for the next run, when this run keeps state. Marks follow what the rules
    /// select, whatever is acted on; a dry run keeps them too, so that `grace` counts from the first time
    /// a rule selected a registration.
    private func save(_ marks: GraceMarks) {
        guard let state, persists else { return }
        do { try state.save(marks) } catch {
            audit.logger.error("Cannot save the grace marks", metadata: ["error": "\(error)"])
        }
    }

    /// Looks up each of `emails` in Access and returns those found: users the Access listing did not show,
    /// whose registrations a rule would act on for their absence (``Plan/absencesToConfirm(for:)``).
    ///
    /// The limits have passed, so there are at most `max_actions_per_run` lookups, each paced by the
    /// client's rate budget like any request.
    ///
    /// - Throws: the first lookup that failed after its retries.
    private func usersFoundInAccess(_ emails: [String]) async throws -> [String] {
        var found: [String] = []
        for email in emails {
            if try await client.accessUserExists(email: email) { found.append(email) }
        }
        if !found.isEmpty {
            audit.logger.warning(
                "Users the Access listing did not show were found by a direct lookup; their registrations are not acted on",
                metadata: ["count": "\(found.count)"])
        }
        return found
    }

    /// The report's actions: the plan's, pending (planned in a dry run or for a dry-run rule), with those
    /// found present in Access back in their place in the plan's order (by registration ID), skipped.
    static func reportActions(
        _ planned: [PlannedAction], presentInAccess: [PlannedAction], dryRun: Bool
    ) -> [RunReport.Action] {
        func action(_ planned: PlannedAction) -> RunReport.Action {
            RunReport.Action(planned, outcome: dryRun || planned.isDryRun ? .planned : .pending)
        }
        guard !presentInAccess.isEmpty else { return planned.map(action) }
        func skipped(_ present: PlannedAction) -> RunReport.Action {
            var skipped = action(present)
            skipped.skip(.presentInAccess)
            return skipped
        }
        var actions: [RunReport.Action] = []
        actions.reserveCapacity(planned.count + presentInAccess.count)
        var present = presentInAccess[...]
        for next in planned {
            while let first = present.first, first.registrationID.utf8.lexicographicallyPrecedes(next.registrationID.utf8) {
                actions.append(skipped(first))
                present.removeFirst()
            }
            actions.append(action(next))
        }
        actions.append(contentsOf: present.map(skipped))
        return actions
    }

    /// Starts saving `report` (``StateStore/startSaving(_:)``) when this run keeps reports.
    private func startSaving(_ report: RunReport) -> StateStore.ReportSave? {
        guard let state, persists else { return nil }
        return state.startSaving(report)
    }

    private func checkToken(now: Date, runID: String) async throws {
        guard let token = try await client.verifyToken(), let expiry = token.expiresOn else { return }
        let remaining = expiry.timeIntervalSince(now)
        if remaining < 14 * 86_400 {
            audit.record(.tokenExpiring, "API token expires soon; create a new one", [
                .runID: runID, .tokenExpiresOn: RFC3339.string(from: expiry), .error: "expires in \(Int(remaining / 86_400)) days",
            ])
        }
    }
}

extension RuleAction {
    /// "revoked", "deleted", "unrevoked", for messages.
    var pastTense: String {
        switch self {
        case .revoke: "revoked"
        case .delete: "deleted"
        case .unrevoke: "unrevoked"
        }
    }
}

extension RegistrationQuery {
    /// Lists every registration `ruleSet` can select at `now`: only the statuses its rules act on,
    /// with the settings profile when a rule looks at it, and only those seen before the rules'
    /// cutoff when that provably changes neither the plan nor its limits (``RuleSet/seenBeforeFilter(at:)``).
    init(for ruleSet: RuleSet, at now: Date) {
        self.init(status: ruleSet.statusesNeeded)
        includePolicy = ruleSet.needsProfiles
        seenBefore = ruleSet.seenBeforeFilter(at: now)
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
