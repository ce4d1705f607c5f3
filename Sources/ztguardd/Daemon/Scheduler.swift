import CMalloc
import Cloudflare
import Logging
import Rules
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The daemon: runs the enforcer every `interval` plus a random `jitter`, reloads the
/// configuration on SIGHUP, pings the watchdog, and stops between runs on graceful shutdown.
struct Scheduler: Service {
    /// Everything that a reload replaces.
    struct Generation: Sendable {
        var configuration: Configuration
        var client: CloudflareClient
    }

    var initial: Generation
    /// Loads a new generation from the configuration file (SIGHUP).
    var reload: @Sendable () throws -> Generation
    var notifier: SystemdNotifier
    var audit: AuditLog
    var state: StateStore
    var forceDryRun: Bool

    func run() async throws {
        let current = GenerationHolder(initial)
        // Subscribed before READY, so a SIGHUP sent as soon as systemd sees READY is not lost.
        let reloadSignals = SignalRelay.shared.stream(of: [SIGHUP])
        notifier.notifyReady(status: "Configuration loaded; first run starting")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await handleReloads(reloadSignals, into: current) }
            if let interval = notifier.watchdogInterval {
                group.addTask { await pingWatchdog(every: interval / 2) }
            }
            group.addTask {
                defer { notifier.notifyStopping() }
                try await runLoop(current)
            }
            // The run loop ends on graceful shutdown; then stop listening for SIGHUP and pinging too.
            try await group.next()
            group.cancelAll()
        }
    }

    private func runLoop(_ current: GenerationHolder) async throws {
        var nextRun = ContinuousClock.now
        while !Task.isShuttingDownGracefully {
            let deadline = nextRun
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: deadline, clock: .continuous) }
            } catch is CancellationError {
                // The wait was cut short by a shutdown: no run starts.
                return
            }
            // Read after the wait: a configuration reloaded meanwhile (SIGHUP) applies to this run.
            let generation = await current.value
            let started = ContinuousClock.now
            let outcome = await Enforcer(
                configuration: generation.configuration, client: generation.client, state: state, audit: audit,
                wallClock: SystemWallClock(), forceDryRun: forceDryRun,
                shouldStop: { Task.isShuttingDownGracefully }
            ).run()
            notifier.notifyStatus(Self.status(of: outcome))
            // A run frees everything it decoded, but glibc keeps the freed memory for reuse: give it
            // back before idling for an interval (after a 100,000-registration run, anonymous RSS
            // while idle went from 23.5 MB to 7-10 MB).
            malloc_trim(0)
            let schedule = await current.value.configuration.schedule
            var generator = SystemRandomNumberGenerator()
            nextRun = started + schedule.interval + Self.jitter(upTo: schedule.jitter, using: &generator)
        }
    }

    /// A delay of 0 to `limit` in whole seconds, each equally likely: what ztguardd.toml(5) promises for
    /// `schedule.jitter`.
    static func jitter(upTo limit: Duration, using generator: inout some RandomNumberGenerator) -> Duration {
        .seconds(Int64.random(in: 0...max(0, limit.components.seconds), using: &generator))
    }

    /// The one-line `STATUS=` systemctl shows: the last run's summary.
    static func status(of outcome: Enforcer.Outcome) -> String {
        let report = outcome.report
        let kind = report.dryRun ? "dry run" : "run"
        switch outcome.status {
        case .succeeded:
            return "Last \(kind) \(RFC3339.string(from: report.startedAt)): \(report.listed) listed, \(report.selected) selected, "
                + "\(report.doneCount) done, \(report.failedCount) failed"
        case .aborted:
            return "Last \(kind) \(RFC3339.string(from: report.startedAt)) ABORTED: \(report.aborted?.detail ?? "safety limit")"
        case .failed, .authenticationRefused:
            return "Last \(kind) \(RFC3339.string(from: report.startedAt)) FAILED: "
                + (report.failure ?? "\(report.failedCount) actions failed")
        }
    }

    private func handleReloads(_ signals: AsyncStream<Int32>, into current: GenerationHolder) async {
        for await _ in signals {
            notifier.notifyReloading()
            do {
                let generation = try reload()
                await current.replace(with: generation)
                Run.recordLoaded(generation.configuration, "Configuration reloaded", audit: audit)
                notifier.notifyReady(status: "Configuration reloaded")
            } catch {
                audit.record(.configRejected, "New configuration rejected; the previous one stays in force", [
                    .configPath: (await current.value).configuration.path, .error: "\(error)",
                ])
                notifier.notifyReady(status: "Reload rejected, previous configuration in force: \(error)")
            }
        }
    }

    /// Sends `WATCHDOG=1` every `period` for the daemon's whole life, during runs (so a long
    /// rate-limited run is not mistaken for a hang) and between them alike. One task that is never
    /// cancelled mid-life: a pinger per run, cancelled when its run ended, left its pending sleep to
    /// wake the idle daemon once more after every run.
    private func pingWatchdog(every period: Duration) async {
        while !Task.isCancelled {
            notifier.notifyWatchdog()
            try? await Task.sleep(for: period)
        }
    }
}

/// The configuration and client in force, replaced as a whole by a reload.
private actor GenerationHolder {
    private(set) var value: Scheduler.Generation

    init(_ value: Scheduler.Generation) { self.value = value }

    func replace(with generation: Scheduler.Generation) { value = generation }
}
