import ArgumentParser
import Cloudflare
import FoundationEssentials
import Logging
import Rules

/// `ztguardd undo RUN_ID`: unrevokes what a run revoked, as an enforcement run of its own.
///
/// The report file is input, not truth: whoever can write the state directory could add an ID to it. So
/// undo validates the report, reads each registration's state now, and unrevokes only what the run
/// revoked (its `revoked_at` falls within the run), is still revoked, is not exempted by `[exclude]`, and
/// no current rule would revoke or delete again; within both limits, checked before the first request.
/// The run itself is ``UndoRun``.
struct Undo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unrevoke what a run revoked.",
        discussion: "Deleted registrations cannot be restored; undo says so for each of them. A registration no "
            + "longer revoked, exempted by [exclude], or that a current rule would revoke or delete again is left "
            + "as it is, with the reason. Exits 3 when a safety limit refuses the unrevokes: more than "
            + "max_actions_per_run, or more than max_fraction of the registrations listed.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "The run to undo (see `ztguardd history`).")
    var runID: String

    @Flag(help: "Say what would be unrevoked, change nothing.")
    var dryRun = false

    func run() async throws {
        try await CommandContext.reportingErrors {
            // Its records go where run's do: the journal, or JSON lines on stderr (ztguardd(8), ENVIRONMENT).
            let logger = AuditLog.logger(level: .info)
            let context = CommandContext(logger: logger)
            let state = StateStore(directory: context.stateDirectory)
            guard let original = try state.report(runID: runID) else {
                CommandContext.printError("no run \(runID) in \(state.directory)/runs; `ztguardd history` lists the runs")
                return 1
            }
            if let problem = Self.problem(with: original, runID: runID) {
                CommandContext.printError("\(state.directory)/runs/\(runID).json cannot be undone: \(problem)")
                return 1
            }
            for action in original.actions where action.action == .delete && action.outcome == .done {
                StandardOutput.write(TerminalText.visible("cannot restore \(action.deviceName) "
                    + "(\(action.registrationID)): deleted by rule \(action.rule); the device must enroll again") + "\n")
            }
            let revoked = original.actions.filter { $0.action == .revoke && $0.outcome == .done }
            guard !revoked.isEmpty else {
                StandardOutput.write("run \(runID) revoked nothing; nothing to undo\n")
                return 0
            }
            let configuration = try CommandContext.loadConfiguration(at: options.path(environment: context.environment))
            let client = try context.makeClient(for: configuration)
            let undo = UndoRun(
                original: original, configuration: configuration, client: client, state: state,
                audit: AuditLog(logger: logger), dryRun: dryRun)
            let outcome = await undo.run()
            for action in outcome.report.actions {
                let left = action.skipCause == .leftAlone ? " (\(action.reason))" : ""
                StandardOutput.write(TerminalText.visible(
                    "\(action.outcome.rawValue): unrevoke \(action.deviceName) (\(action.registrationID))"
                        + (action.error.map { ": \($0)" } ?? "") + left) + "\n")
            }
            switch outcome.status {
            case .aborted:
                let aborted = outcome.report.aborted
                CommandContext.printError(
                    "undo aborted by the \(aborted?.limit ?? "") limit: \(aborted?.detail ?? ""); nothing was changed")
            case .authenticationRefused:
                CommandContext.printError("authentication refused: \(outcome.report.failure ?? "")")
            case .failed:
                if let failure = outcome.report.failure { CommandContext.printError(failure) }
            case .succeeded:
                break
            }
            return outcome.status.rawValue
        }
    }

    /// Why `report` is not one ztguardd wrote for `runID`, or nil: its `run_id` must be the file's name,
    /// and its registration IDs well formed and listed once each.
    static func problem(with report: RunReport, runID: String) -> String? {
        guard report.runID == runID else { return "it says it is run \(report.runID), not \(runID)" }
        var seen: Set<String> = []
        for action in report.actions {
            let id = action.registrationID
            guard !id.isEmpty, id.utf8.count <= 64,
                id.utf8.allSatisfy({ $0.isHexDigit || $0 == UInt8(ascii: "-") })
            else { return "it names a registration ID that is not one (\(TerminalText.visible(String(id.prefix(80)))))" }
            guard seen.insert(id).inserted else { return "it names registration \(id) more than once" }
        }
        return nil
    }

    /// How far a registration's `revoked_at` (Cloudflare's clock) may fall outside the run's `started_at` …
    /// `finished_at` (this machine's clock) and still be the run's doing: clocks that NTP keeps apart by more
    /// than this are broken.
    static let clockMargin: TimeInterval = 300

    /// The instants within which run `report` revoked what it revoked: from its start to its end, widened by
    /// ``clockMargin``; without a `finished_at` (a run killed before it wrote one), from its start on.
    static func window(of report: RunReport) -> ClosedRange<Date> {
        let end = report.finishedAt.map { max($0, report.startedAt) + clockMargin } ?? .distantFuture
        return (report.startedAt - clockMargin)...end
    }

    /// What undo leaves alone, and why: a reason per registration ID of `revoked`.
    ///
    /// - A registration gone or no longer revoked is left as it is.
    /// - One revoked outside `runWindow` (its `revoked_at` says when) was not revoked by that run, whatever
    ///   its report says: someone else revoked it, and undo leaves it to them.
    /// - One the top-level `[exclude]` exempts is never touched, by undo either.
    /// - One that a current rule would revoke or delete once it is active again (now, or once its grace has
    ///   passed) would only be revoked again by the next run: undo says which rule, and leaves it revoked.
    static func decide(
        revoked: [RunReport.Action], current: [Registration], ruleSet: RuleSet, directory: Directory?,
        graceMarks: GraceMarks, at now: Date, runWindow: ClosedRange<Date>
    ) -> [String: String] {
        var leftAlone: [String: String] = [:]
        let byID = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for action in revoked {
            guard let registration = byID[action.registrationID] else {
                leftAlone[action.registrationID] = "deleted since run; nothing to unrevoke"
                continue
            }
            guard let revokedAt = registration.revokedAt else {
                leftAlone[action.registrationID] = "no longer revoked; nothing to unrevoke"
                continue
            }
            if !runWindow.contains(revokedAt) {
                let start = RFC3339.string(from: runWindow.lowerBound + clockMargin)
                let end = runWindow.upperBound == .distantFuture
                    ? "" : " to " + RFC3339.string(from: runWindow.upperBound - clockMargin)
                leftAlone[action.registrationID] = "revoked at \(RFC3339.string(from: revokedAt)), not during the run "
                    + "(\(start)\(end), give or take \(Int(clockMargin) / 60) minutes); not its doing, left revoked"
            }
        }
        let stillRevoked = current.filter { $0.isRevoked && leftAlone[$0.id] == nil }
        // The [exclude] table, as a rule that would unrevoke every revoked registration.
        let undoRule = Rule(name: "undo", action: .unrevoke, match: Match(status: .revoked))
        let allowed = RuleSet(rules: [undoRule], exclude: ruleSet.exclude, limits: Limits(maxActionsPerRun: .max, maxFraction: 1))
            .plan(for: stillRevoked, directory: nil, graceMarks: GraceMarks(), at: now)
        let allowedIDs = Set(allowed.actions.map(\.registrationID))
        for registration in stillRevoked where !allowedIDs.contains(registration.id) {
            leftAlone[registration.id] = "exempted by [exclude]; never touched"
        }
        // What the current rules would do to them once unrevoked: revoke or delete them again at the next
        // run means undo must not re-enable them.
        let unrevoked = stillRevoked.map { registration in
            var active = registration
            active.revokedAt = nil
            return active
        }
        let plan = ruleSet.plan(for: unrevoked, directory: directory, graceMarks: graceMarks, at: now)
        for action in plan.actions where action.action != .unrevoke && leftAlone[action.registrationID] == nil {
            leftAlone[action.registrationID] = "rule \(action.rule) would select it again (\(action.reason)); left revoked"
        }
        let actionByRule = Dictionary(ruleSet.rules.map { ($0.name, $0.action) }, uniquingKeysWith: { first, _ in first })
        for key in plan.graceMarks.firstSelected.keys where actionByRule[key.rule] != .unrevoke
            && leftAlone[key.registrationID] == nil && allowedIDs.contains(key.registrationID)
        {
            leftAlone[key.registrationID] = "rule \(key.rule) would select it again and act once its grace has passed; left revoked"
        }
        return leftAlone
    }
}
