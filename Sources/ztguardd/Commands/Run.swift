import ArgumentParser
import Cloudflare
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `ztguardd run` (also plain `ztguardd`): the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate the rules on the schedule until SIGTERM (the daemon).",
        // One line per paragraph: the help wraps each to the terminal's width.
        discussion: """
            SIGHUP reloads the configuration (a bad file is rejected and the old one stays in force). \
            SIGTERM finishes the request in flight, records the run, and exits 0.

            Records go to the systemd journal (SYSLOG_IDENTIFIER=ztguardd), or to stderr as JSON lines \
            when there is no journal.
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Run one evaluation, then exit with its status.")
    var once = false

    @Flag(help: "Plan and record, act on nothing (overrides the configuration).")
    var dryRun = false

    @Option(help: "Least important records kept: debug, info, notice, warning, error.")
    var logLevel: LogLevelArgument = .info

    func run() async throws {
        let level = logLevel.level
        let logger = AuditLog.logger(level: level)
        let audit = AuditLog(logger: logger)
        let context = CommandContext(logger: logger)
        let path = options.path(environment: context.environment)
        let notifier = SystemdNotifier(environment: context.environment)

        try await CommandContext.reportingErrors {
            let generation: Scheduler.Generation
            do {
                generation = try Self.load(path: path, context: context)
            } catch {
                audit.record(.configRejected, "Configuration rejected", [.configPath: path, .error: "\(error)"])
                throw error
            }
            Self.recordLoaded(generation.configuration, "Configuration loaded", audit: audit)
            let state = StateStore(directory: context.stateDirectory)
            if once {
                let outcome = await Enforcer(
                    configuration: generation.configuration, client: generation.client, state: state, audit: audit,
                    wallClock: SystemWallClock(), forceDryRun: dryRun
                ).run()
                return outcome.status.rawValue
            }
            let scheduler = Scheduler(
                initial: generation, reload: { try Self.load(path: path, context: context) }, notifier: notifier,
                audit: audit, state: state, forceDryRun: dryRun)
            // SIGTERM and SIGINT come through SignalRelay rather than ServiceGroup's own signal handling,
            // which uses libdispatch (see MainThreadExecutor for why the daemon has none).
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: scheduler)], gracefulShutdownSignals: [], logger: logger))
            let shutdownSignals = SignalRelay.shared.stream(of: [SIGTERM, SIGINT])
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await _ in shutdownSignals { await group.triggerGracefulShutdown() }
                }
                try await group.run()
                tasks.cancelAll()
            }
            return 0
        }
    }

    /// Journals a configuration now in force (`config-loaded`): its path and the API base the token goes
    /// to, with a warning when that is not Cloudflare's own (`allow_custom_api_base = true`).
    static func recordLoaded(_ configuration: Configuration, _ message: Logger.Message, audit: AuditLog) {
        let apiBase = configuration.cloudflare.apiBase
        audit.record(.configLoaded, message, [.configPath: configuration.path, .apiBase: apiBase])
        if !APIBase.isCloudflare(apiBase) {
            audit.logger.warning(
                "The API token is sent to a custom API base, not Cloudflare's (allow_custom_api_base = true)",
                metadata: [AuditKey.apiBase.rawValue: "\(apiBase)"])
        }
    }

    private static func load(path: String, context: CommandContext) throws -> Scheduler.Generation {
        let configuration = try CommandContext.loadConfiguration(at: path)
        return Scheduler.Generation(configuration: configuration, client: try context.makeClient(for: configuration))
    }
}

enum LogLevelArgument: String, ExpressibleByArgument, CaseIterable {
    case debug, info, notice, warning, error

    var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
