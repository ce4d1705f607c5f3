import Cloudflare
import FoundationEssentials
import Logging
import Rules

/// One evaluation: verify the token → list → plan → check limits → confirm absences → act in batches → record.
struct Enforcer: Sendable {
    /// How a run ended, with its report.
    struct Outcome: Sendable {
        var status: RunStatus
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

    /// One run while it runs: who it is, its report so far, and what it has cost.
    struct Progress: Sendable {
        let journal: RunJournal
        /// What the listing asks for.
        let query: RegistrationQuery
        var report: RunReport
        var waitingForGrace: [String: Int] = [:]
        let requestsBefore: Int
        let started = ContinuousClock.now

        var runID: String { journal.runID }
        var dryRun: Bool { journal.dryRun }
        var now: Date { report.startedAt }
    }

    /// Performs one run and records it (journal, report, grace marks): list and plan, check the limits,
    /// confirm absences, act, record.
    func run() async -> Outcome {
        var run = start()
        // 1. Token, directory and listing, evaluated page by page. Any failure here: act on nothing.
        var plan: Plan
        do {
            plan = try await listAndPlan(run.query, at: run.now, runID: run.runID)
        } catch {
            return await finish(&run, failure: "\(error)", status: RunStatus(failure: error))
        }
        run.report.listed = plan.listed
        run.waitingForGrace = plan.waitingForGrace
        // 2. Limits, on the whole plan, before the first action.
        if let abort = plan.abort { return await finish(&run, refusing: plan, for: abort) }
        // 3. Absence confirmed: a user the Access listing did not show is looked up before anything is
        // done about it. A lookup that fails fails the run, which acts on nothing and keeps the grace
        // marks it had.
        let presentInAccess: [PlannedAction]
        do {
            (plan, presentInAccess) = try await confirmAbsences(in: plan)
        } catch {
            let failure = "confirming that users are absent from Access failed, so nothing was acted on: \(error)"
            return await finish(&run, failure: failure, status: RunStatus(failure: error))
        }
        save(plan.graceMarks)
        // 4. Act, batch by batch; dry-run rules and dry runs only record. The actions share the plan's
        // packed registrations; the plan's array goes now.
        var actions = Self.reportActions(plan.actions, presentInAccess: presentInAccess, dryRun: run.dryRun)
        plan.actions = []
        await act(&actions, journal: run.journal)
        // 5. Record what was done, and what was not.
        return await finish(&run, acted: actions)
    }

    /// Gives the run its ID and records its start.
    func start() -> Progress {
        let now = wallClock.now
        let dryRun = forceDryRun || configuration.dryRun
        let runID = UUID().uuidString.lowercased()
        let run = Progress(
            journal: RunJournal(audit: audit, runID: runID, dryRun: dryRun),
            query: RegistrationQuery(for: configuration.ruleSet, at: now),
            report: RunReport(runID: runID, startedAt: now, dryRun: dryRun, listed: 0, actions: [], aborted: nil),
            requestsBefore: client.requestsSent)
        // Said at the start: with the filter, `listed` counts only what the API sent.
        run.journal.started(listingSeenBefore: run.query.seenBefore)
        return run
    }

    /// Checks the token, reads the grace marks and the Access users, and evaluates the rules on the
    /// listing, page by page.
    ///
    /// Memory holds one page and the registrations the rules select, packed page by page
    /// (``RuleSet/Evaluation/packClaims()``), never the whole fleet.
    ///
    /// - Throws: whatever kept the listing from being complete; the evaluation of a partial listing is
    ///   dropped unplanned.
    func listAndPlan(_ query: RegistrationQuery, at now: Date, runID: String) async throws -> Plan {
        try await checkToken(now: now, runID: runID)
        let ruleSet = configuration.ruleSet
        // The evaluation needs the grace marks and the Access users before the first page; unreadable
        // marks fail the run before the fleet is listed for nothing.
        let marks = try state?.graceMarks() ?? GraceMarks()
        let directory = ruleSet.needsAccessUsers ? Directory(accessUsers: try await client.accessUsers()) : nil
        var evaluation = ruleSet.evaluation(directory: directory, graceMarks: marks, at: now)
        try await client.forEachRegistrationPage(query, keepingBodies: false) { page in
            evaluation.add(page.registrations)
            evaluation.packClaims()
        }
        return evaluation.plan()
    }

    /// Looks up the users whose absence from Access the plan relies on, and returns the plan without the
    /// actions of those found (``Plan/keeping(presentIn:for:)``), and those actions.
    ///
    /// - Throws: the first lookup that failed after its retries.
    func confirmAbsences(in plan: Plan) async throws -> (plan: Plan, presentInAccess: [PlannedAction]) {
        let found = try await usersFoundInAccess(plan.absencesToConfirm(for: configuration.ruleSet))
        return plan.keeping(presentIn: found, for: configuration.ruleSet)
    }

    /// Sends the pending actions through the act step, journaling each batch as it completes. A shutdown
    /// requested while listing changes nothing, and one requested while acting stops after the batch in
    /// flight: what was not sent is skipped.
    func act(_ actions: inout [RunReport.Action], journal: RunJournal) async {
        let pending = actions.indices.filter { actions[$0].outcome == .pending }
        let act = ActStep(client: client, batchSize: configuration.pacing.batchSize, shouldStop: shouldStop)
        _ = await act.run(&actions, pending: pending) { journal.record($0) }
        for index in pending { actions[index].settle(aborted: false) }
    }

    /// Ends a run that failed before acting: nothing was acted on.
    private func finish(_ run: inout Progress, failure: String, status: RunStatus) async -> Outcome {
        run.report.failure = failure
        return await finish(&run, status)
    }

    /// Ends a run whose plan a safety limit refused: every action is recorded as skipped, nothing is sent.
    /// The grace marks are kept, since they follow what the rules select.
    private func finish(_ run: inout Progress, refusing plan: Plan, for abort: Plan.Abort) async -> Outcome {
        save(plan.graceMarks)
        run.report.aborted = RunReport.Abort(abort)
        run.report.actions = plan.actions.map {
            var action = RunReport.Action($0, outcome: .pending)
            action.skip(.limit)
            return action
        }
        let saving = startSaving(run.report)
        run.journal.record(run.report.actions)
        return await finish(&run, .aborted, saving: saving)
    }

    /// Ends a run that acted: `actions` are final, so the report is written on a thread of its own while
    /// the actions not journaled yet (planned and skipped) are.
    private func finish(_ run: inout Progress, acted actions: [RunReport.Action]) async -> Outcome {
        run.report.actions = actions
        let saving = startSaving(run.report)
        run.journal.record(actions.lazy.filter { $0.outcome == .planned || $0.outcome == .skipped })
        return await finish(&run, RunStatus(acted: run.report), saving: saving)
    }

    /// Records the end of the run and saves its report: through `saving` when the report was started
    /// while the run journaled its actions (``StateStore/startSaving(_:)``).
    private func finish(_ run: inout Progress, _ status: RunStatus, saving: StateStore.ReportSave? = nil) async -> Outcome {
        run.report.close(
            at: wallClock.now, apiRequests: client.requestsSent - run.requestsBefore, duration: ContinuousClock.now - run.started)
        await run.journal.end(status, run.report, savingIn: persists ? state : nil, through: saving)
        return Outcome(
            status: status, report: run.report, waitingForGrace: run.waitingForGrace, listingSeenBefore: run.query.seenBefore)
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
