import ArgumentParser
import Logging
import Rules

/// `ztguardd plan`: one evaluation in dry-run, printed. Never changes the account.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a run would do now, without changing anything.",
        discussion: "Exits 3 when a safety limit would abort the run.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard format != .csv else { throw ValidationError("plan prints --format table or json") }
    }

    func run() async throws {
        try await CommandContext.reportingErrors {
            let logger = Logger(label: "ztguardd") { _ in ConsoleLogHandler(level: .warning) }
            let context = CommandContext(logger: logger)
            let configuration = try CommandContext.loadConfiguration(at: options.path(environment: context.environment))
            let enforcer = Enforcer(
                configuration: configuration, client: try context.makeClient(for: configuration),
                state: StateStore(directory: context.stateDirectory), audit: AuditLog(logger: logger),
                wallClock: SystemWallClock(), forceDryRun: true, persists: false)
            let outcome = await enforcer.run()
            return try PlanCommandOutput.print(outcome, format: format, configuration: configuration)
        }
    }
}

/// What `plan` and `demo` print, and the exit status that goes with it.
enum PlanCommandOutput {
    static func print(_ outcome: Enforcer.Outcome, format: OutputFormat, configuration: Configuration) throws -> Int32 {
        if let failure = outcome.report.failure {
            CommandContext.printError(failure)
            return outcome.status.rawValue
        }
        switch format {
        case .json: StandardOutput.write(PlanPrinter.json(outcome.report))
        default:
            StandardOutput.write(PlanPrinter.table(
                outcome.report, rules: configuration.ruleSet.rules, waitingForGrace: outcome.waitingForGrace,
                listingSeenBefore: outcome.listingSeenBefore,
                width: TerminalWidth.current()))
        }
        StandardOutput.flush()
        return outcome.status.rawValue
    }
}
