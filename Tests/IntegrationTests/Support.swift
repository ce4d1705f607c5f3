import Cloudflare
import FakeCloudflareServer
import Foundation
import Logging
import Simulation
import Synchronization

@testable import ztguardd

let accountID = "699d98642c564d2e855e9661899b7252"
let token = "simulated-api-token"
let referenceNow = Date(timeIntervalSince1970: 1_795_435_200)  // 2026-11-23T12:00:00Z

/// Starts a fake API over `account`, runs `body`, and always stops the server.
func withFakeAPI<T>(
    _ account: SimulatedAccount, faults: FaultPlan = .none, _ body: (FakeCloudflareServer) async throws -> T
) async throws -> T {
    let server = try await FakeCloudflareServer.start(account: account, faults: faults)
    do {
        let result = try await body(server)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

func makeAccount(count: Int, seed: UInt64 = 7, listingEnd: SimulatedAccount.Configuration.ListingEnd = .emptyCursor)
    -> SimulatedAccount
{
    SimulatedAccount(
        configuration: .init(listingEnd: listingEnd, clock: { referenceNow }),
        fleet: SimulatedFleet.generated(count: count, seed: seed, now: referenceNow))
}

/// A clock whose sleeps return at once, advancing virtual time: backoff and pauses are recorded, not waited.
final class VirtualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex<(now: Duration, sleeps: [Duration])>((.zero, []))
    var now: Instant { Instant(offset: state.withLock { $0.now }) }
    var minimumResolution: Duration { .nanoseconds(1) }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        state.withLock { state in
            let duration = deadline.offset - state.now
            if duration > .zero {
                state.sleeps.append(duration)
                state.now = deadline.offset
            }
        }
    }
}

/// A client using the real libcurl transport against `server`.
func curlClient(
    _ server: FakeCloudflareServer, clock: VirtualClock = VirtualClock(), perPage: Int = 100, token: String = token
) throws -> CloudflareClient {
    var configuration = CloudflareClient.Configuration(apiBase: server.baseURL, accountID: accountID, credentials: .apiToken(token))
    configuration.perPage = perPage
    configuration.retry = RetryPolicy(maxAttempts: 6)
    var options = CurlTransport.Options(userAgent: "ztguardd-tests")
    options.totalTimeout = .seconds(20)
    let time = TimeSource(clock: clock)
    return CloudflareClient(
        configuration: configuration, transport: try CurlTransport(options: options),
        limiter: RateLimiter(requestsPerMinute: 10_000, time: time), time: time,
        logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

/// The `ztguardd` binary the process tests run: `$ZTGUARDD_BINARY` when set (`make test` sets it to the
/// release binary for the suites about the process itself), else the one built next to the test bundle.
var ztguarddBinary: URL {
    if let path = ProcessInfo.processInfo.environment["ZTGUARDD_BINARY"], !path.isEmpty {
        return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ztguardd")
}

struct ProcessResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs the binary with `arguments` and exactly `environment` (in `directory`, when given), bounded in time.
func runZTGuardd(
    _ arguments: [String], environment: [String: String], timeout: TimeInterval = 60, directory: String? = nil
) async throws -> ProcessResult {
    let process = Process()
    process.executableURL = ztguarddBinary
    process.arguments = arguments
    process.environment = environment
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read while it runs, so a large output cannot fill the pipe and block the child.
    async let outData = readToEnd(out.fileHandleForReading)
    async let errData = readToEnd(err.fileHandleForReading)
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        if Date() > deadline {
            // SIGKILL: the child inherits the test runner's blocked SIGTERM, so terminate() may not end it.
            kill(process.processIdentifier, SIGKILL)
            break
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: await outData, stderr: String(decoding: await errData, as: UTF8.self))
}

/// Everything `handle` yields until end of file, read on a thread of its own: a blocking read on one of
/// the few threads of Swift's cooperative pool would stall every other test running meanwhile.
private func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

/// One rule: delete what has been unseen for 90 days.
let staleRule = """
    [[rule]]
    name = "stale"
    action = "delete"
    [rule.match]
    last_seen_older_than = "90d"
    """

/// A dry-run daemon configuration for the fake API: `staleRule`, one run an hour (so that after its first
/// run the daemon idles).
func writeDaemonConfiguration(apiBase: String) throws -> String {
    try writeConfiguration(apiBase: apiBase, extra: "dry_run = true", rules: """
        [schedule]
        interval = "1h"

        \(staleRule)
        """)
}

/// A fresh, not yet existing state directory.
func temporaryStatePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ztg-state-\(UUID().uuidString)").path
}

/// Writes a configuration for the fake API into a fresh directory and returns its path.
func writeConfiguration(
    apiBase: String, extra: String = "", batchSize: Int = 50, maxFraction: Double = 1.0, maxActions: Int = 100_000,
    perPage: Int = 500, rules: String
) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztguardd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("ztguardd.toml").path
    let text = """
        \(extra)
        [cloudflare]
        account_id = "\(accountID)"
        api_base = "\(apiBase)"
        allow_custom_api_base = true
        per_page = \(perPage)

        [limits]
        max_actions_per_run = \(maxActions)
        max_fraction = \(maxFraction)
        batch_size = \(batchSize)

        \(rules)
        """
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A state store in a fresh temporary directory.
func temporaryStateStore() -> StateStore {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ztguardd-state-\(UUID().uuidString)")
    return StateStore(directory: directory.path)
}

/// Keeps the audit records of a run, as metadata dictionaries, in the order they were written.
final class AuditRecords: Sendable {
    private let records = Mutex<[[String: String]]>([])

    var all: [[String: String]] { records.withLock { $0 } }
    var events: [String] { all.map { $0[AuditKey.event.rawValue] ?? "" } }

    var auditLog: AuditLog {
        AuditLog(logger: Logger(label: "test") { _ in Handler(records: self) })
    }

    private struct Handler: LogHandler {
        let records: AuditRecords
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let record = (event.metadata ?? [:]).mapValues { "\($0)" }
            records.records.withLock { $0.append(record) }
        }
    }
}

/// Whether WARP version `text` is below `limit`, compared number by number, written out here rather than
/// taken from the rules' own parser: what the tests' expectations compute the rules' selections with.
func versionBelow(_ text: String?, _ limit: [Int]) -> Bool {
    guard let text, !text.isEmpty else { return false }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.allSatisfy({ $0 != nil }) else { return false }
    let numbers = parts.map { $0! }
    for index in 0..<max(numbers.count, limit.count) {
        let a = index < numbers.count ? numbers[index] : 0
        let b = index < limit.count ? limit[index] : 0
        if a != b { return a < b }
    }
    return false
}

/// The JSON-lines audit records in `stderr` (`ZTGUARDD_AUDIT=stderr`, or no journal), decoded; other lines skipped.
func auditRecords(in stderr: String) -> [[String: String]] {
    stderr.split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
    }
}

/// An acting daemon configuration: stale registrations (90 days) revoked in batches of `batchSize`, listed
/// in pages of `perPage`, one run every `interval` without jitter.
func actingDaemonConfiguration(apiBase: String, interval: String = "1h", batchSize: Int = 50, perPage: Int = 500) throws -> String {
    try writeConfiguration(apiBase: apiBase, batchSize: batchSize, perPage: perPage, rules: """
        [schedule]
        interval = "\(interval)"
        jitter = "0"

        [[rule]]
        name = "stale"
        action = "revoke"
        [rule.match]
        last_seen_older_than = "90d"
        """)
}
