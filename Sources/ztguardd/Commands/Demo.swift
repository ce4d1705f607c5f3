import ArgumentParser
import Cloudflare
import FoundationEssentials
import Logging
import Rules
import Simulation

/// `ztguardd demo`: the example rules, in dry-run, against a built-in simulated account.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the example rule set in dry-run against a built-in simulated account.",
        discussion: "No credentials, no network: the account lives in memory. Nothing is changed or recorded.")

    @Option(help: "Registrations in the simulated fleet.")
    var registrations = 3000

    @Option(help: "Seed of the simulated fleet (same seed, same fleet).")
    var seed: UInt64 = 42

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    /// Rows of each rule the demo shows; the rest are counted.
    static let rowsPerRule = 3

    func validate() throws {
        guard format != .csv else { throw ValidationError("demo prints --format table or json") }
        guard (1...1_000_000).contains(registrations) else { throw ValidationError("--registrations takes 1 to 1000000") }
    }

    func run() async throws {
        try await CommandContext.reportingErrors {
            let logger = Logger(label: "ztguardd") { _ in ConsoleLogHandler(level: .error) }
            let context = CommandContext(logger: logger)
            let now = Date()
            let account = SimulatedAccount(
                configuration: .init(recordsRequests: false, clock: { now }),
                fleet: SimulatedFleet.generated(count: registrations, seed: seed, now: now))
            var configuration = try ConfigurationReader.read(ExampleConfiguration.text, path: "(built-in example)")
            configuration.cloudflare.apiBase = "https://simulated.invalid/client/v4"
            let client = context.makeClient(
                for: configuration, credentials: .apiToken("simulated-api-token"), transport: account)
            let outcome = await Enforcer(
                configuration: configuration, client: client, state: nil, audit: AuditLog(logger: logger),
                wallClock: FixedWallClock(now: now), forceDryRun: true
            ).run()
            guard format == .table else {
                let status = try PlanCommandOutput.print(outcome, format: format, configuration: configuration)
                return status == RunStatus.aborted.rawValue ? 0 : status
            }
            // One screen: what the rules would do, the limit that stops them and what to change, a few
            // rows of each rule, and where the rest is.
            let rules = configuration.ruleSet.rules
            let report = outcome.report
            let width = TerminalWidth.current()
            StandardOutput.write(PlanPrinter.paragraph(
                "ztguardd demo: the example rules (etc/ztguardd/ztguardd.toml) in a dry run against a simulated account "
                    + "of \(registrations) registrations (seed \(seed)). Nothing is changed.", width: width))
            if let failure = report.failure {
                CommandContext.printError(failure)
                return outcome.status.rawValue
            }
            StandardOutput.write(
                PlanPrinter.summary(report, rules: rules, waitingForGrace: outcome.waitingForGrace)
                    + PlanPrinter.abort(report, width: width)
                    + "\nA few of the actions, \(Self.rowsPerRule) per rule:\n"
                    + PlanPrinter.actions(report, rules: rules, width: width, rowsPerRule: Self.rowsPerRule)
                    + "\n"
                    + PlanPrinter.paragraph(
                        "Rules with a grace period act only once they have selected a registration for that long; the "
                            + "daemon keeps the first time in its state directory, so a first run shows them as waiting.",
                        width: width)
                    + PlanPrinter.paragraph(
                        "Every action, with its reason: ztguardd demo --format json. On your own account: ztguardd plan.",
                        width: width))
            StandardOutput.flush()
            // A limit tripping is part of what the demo shows, not a failure of the demo.
            return outcome.status == .aborted ? 0 : outcome.status.rawValue
        }
    }
}

/// A wall clock that always says the same time (demo, tests).
struct FixedWallClock: WallClock {
    var now: Date
}
