import ArgumentParser
import Cloudflare
import FoundationEssentials
import Logging
import Rules

/// `ztguardd undo RUN_ID`: unrevokes what a run revoked.
struct Undo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unrevoke what a run revoked.",
        discussion: "Deleted registrations cannot be restored; undo says so for each of them.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "The run to undo (see `ztguardd history`).")
    var runID: String

    @Flag(help: "Say what would be unrevoked, change nothing.")
    var dryRun = false

    func run() async throws {
        try await CommandContext.reportingErrors {
            let writesJournal = JournalWriter.systemJournalAvailable
            let logger = Logger(label: "ztguardd") { _ -> any LogHandler in
                if writesJournal {
                    JournalLogHandler(writer: JournalWriter(destination: .systemJournal), level: .info)
                } else {
                    ConsoleLogHandler(level: .warning)
                }
            }
            let context = CommandContext(logger: logger)
            let state = StateStore(directory: context.stateDirectory)
            guard let original = try state.report(runID: runID) else {
                CommandContext.printError("no run \(runID) in \(state.directory)/runs; `ztguardd history` lists the runs")
                return 1
            }
            for action in original.actions where action.action == .delete && action.outcome == .done {
                StandardOutput.write("cannot restore \(TerminalText.visible(action.deviceName)) "
                    + "(\(TerminalText.visible(action.registrationID))): deleted by rule \(action.rule); the device must enroll again\n")
            }
            let revoked = original.actions.filter { $0.action == .revoke && $0.outcome == .done }
            guard !revoked.isEmpty else {
                StandardOutput.write("run \(runID) revoked nothing; nothing to undo\n")
                return 0
            }
            let configuration = try CommandContext.loadConfiguration(at: options.path(environment: context.environment))
            let client = try context.makeClient(for: configuration)
            let undoRunID = UUID().uuidString.lowercased()
            var report = RunReport(runID: undoRunID, startedAt: Date(), dryRun: dryRun, listed: revoked.count, actions: [], aborted: nil)
            var actions = revoked.map { action in
                var undo = action
                undo.rule = "undo \(runID)"
                undo.action = .unrevoke
                undo.reason = "revoked by rule \(action.rule) in run \(runID)"
                undo.outcome = dryRun ? .planned : .skipped
                return undo
            }
            if !dryRun {
                let index = Dictionary(uniqueKeysWithValues: actions.enumerated().map { ($1.registrationID, $0) })
                try await client.apply(.unrevoke, to: actions.map(\.registrationID), batchSize: configuration.pacing.batchSize) { batch in
                    for id in batch.done { if let i = index[id] { actions[i].outcome = .done } }
                    for (id, error) in batch.failed {
                        if let i = index[id] {
                            actions[i].outcome = .failed
                            actions[i].error = error
                        }
                    }
                }
            }
            let audit = AuditLog(logger: logger)
            for action in actions {
                var fields: AuditFields = [
                    .runID: undoRunID, .dryRun: dryRun ? "1" : "0", .rule: action.rule, .action: "unrevoke",
                    .outcome: action.outcome.rawValue, .reason: action.reason, .registrationID: action.registrationID,
                    .deviceID: action.deviceID, .deviceName: action.deviceName,
                ]
                fields[.userEmail] = action.userEmail
                fields[.error] = action.error
                audit.record(.action, action.journalMessage, fields)
                StandardOutput.write(TerminalText.visible(
                    "\(action.outcome.rawValue): unrevoke \(action.deviceName) (\(action.registrationID))"
                        + (action.error.map { ": \($0)" } ?? "")) + "\n")
            }
            report.actions = actions
            report.finishedAt = Date()
            if !dryRun { try state.save(report) }
            return report.failedCount > 0 ? 1 : 0
        }
    }
}
