import ArgumentParser
import Cloudflare
import Dispatch
import FakeCloudflareServer
import Foundation
import Simulation

/// `fake-cloudflare`: a simulated Cloudflare account on loopback HTTP, for end-to-end tests and benchmarks.
@main
struct FakeCloudflareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-cloudflare",
        abstract: "Serve a simulated Cloudflare Zero Trust account on a loopback address.",
        discussion: """
            Prints one line, "listening on http://HOST:PORT/client/v4", once it accepts connections, and serves \
            until SIGTERM or SIGINT. With --log, appends one JSON line per request: {"n", "method", "path", \
            "query" (every value in an array), "status" (null when no answer was produced), "fault"?}.
            Faults: server-error[:STATUS], connection-reset, truncated-body, malformed-json, success-false, \
            slow[:MS], lost-answer (applied, then the connection is reset), too-many-requests[:SECONDS], \
            missing-result, null-result, empty-result (a successful answer whose "result" is missing, null or [] \
            while its result_info stays), access-user-deleted (the first Access user is deleted, then the \
            request is answered), oversized-body (40 MiB), gzip-bomb[:MIB] (that many MiB of zeros, 128 by \
            default, gzip-encoded), retry-after-header:TEXT (a 429 whose Retry-After is TEXT), rejected:TEXT (a 400 \
            whose error message is TEXT), without:FIELD[,FIELD…] (the answer less result_info or its count, total_count, \
            per_page, page or cursor), empty-detour (an empty registrations page without count whose cursor goes on).
            """
    )

    enum EndStyle: String, ExpressibleByArgument, CaseIterable {
        case emptyCursor = "empty-cursor"
        case emptyPage = "empty-page"
    }

    @Option(help: "The loopback address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 0

    @Option(help: "How many registrations the generated fleet has.")
    var registrations = 2000

    @Option(help: "The seed of the generated fleet: the same seed and --now give the same fleet.")
    var seed: UInt64 = 42

    @Option(help: "The time the fleet is generated around (RFC 3339); default: now.")
    var now: String?

    @Option(help: "The account id the API paths must carry.")
    var accountID = SimulatedAccount.Configuration().accountID

    @Option(help: "The accepted API token.")
    var token: String?

    @Option(help: "A file whose content (trimmed) is the accepted API token.")
    var tokenFile: String?

    @Option(help: "user or account: which tokens/verify endpoint accepts the token.")
    var tokenKind: String = "user"

    @Option(help: "What tokens/verify reports: active, disabled or expired.")
    var tokenStatus: String = "active"

    @Option(help: "The token's expiry (RFC 3339), reported by tokens/verify and enforced.")
    var tokenExpiresOn: String?

    @Option(help: "The accepted legacy X-Auth-Email.")
    var authEmail: String?

    @Option(help: "A file whose content (trimmed) is the accepted legacy X-Auth-Key.")
    var authKeyFile: String?

    @Option(help: "The largest per_page the registrations listing honours.")
    var perPageMax = 1000

    @Option(help: "How the listing ends: empty-cursor or empty-page.")
    var endStyle: EndStyle = .emptyCursor

    @Option(help: "Inject --fault into every Nth request.")
    var faultEvery: Int?

    @Option(help: "Inject --fault into these requests (comma-separated numbers, from 1).")
    var faultAt: String?

    @Option(help: "The fault to inject (see above).")
    var fault: String?

    @Option(help: "Count only requests whose path contains this text for --fault-every/--fault-at (e.g. /revoke).")
    var faultPath: String?

    @Option(help: "A rate limit, REQUESTS/SECONDS (Cloudflare's is 1200/300).")
    var rateLimit: String?

    @Option(help: "Retry-After seconds once the rate limit is exceeded; default: the window.")
    var retryAfter: Int?

    @Flag(help: "Write timestamps with microseconds.")
    var fractionalSeconds = false

    @Option(help: "Append one JSON line per request to this file.")
    var log: String?

    mutating func validate() throws {
        guard FakeCloudflareServer.isLoopback(host) else {
            throw ValidationError("--host \(host) is not a loopback address; the fake server binds loopback only")
        }
        guard token != nil || tokenFile != nil || authEmail != nil else {
            throw ValidationError("give --token, --token-file or --auth-email with --auth-key-file")
        }
        guard (authEmail == nil) == (authKeyFile == nil) else {
            throw ValidationError("--auth-email and --auth-key-file go together")
        }
        guard registrations >= 0, perPageMax > 0 else {
            throw ValidationError("--registrations must be 0 or more and --per-page-max at least 1")
        }
        guard SimulatedAccount.Configuration.TokenKind(rawValue: tokenKind) != nil else {
            throw ValidationError("--token-kind must be user or account")
        }
        guard SimulatedAccount.Configuration.TokenStatus(rawValue: tokenStatus) != nil else {
            throw ValidationError("--token-status must be active, disabled or expired")
        }
        for (name, value) in [("--now", now), ("--token-expires-on", tokenExpiresOn)] {
            if let value, Self.date(value) == nil {
                throw ValidationError("\(name) \(value) is not an RFC 3339 timestamp")
            }
        }
        let hasSchedule = faultEvery != nil || faultAt != nil
        guard hasSchedule == (fault != nil) else {
            throw ValidationError("--fault needs --fault-every or --fault-at, and they need --fault")
        }
        if let fault, FaultPlan.Fault(fault) == nil { throw ValidationError("unknown --fault \(fault)") }
        if let faultEvery, faultEvery < 1 { throw ValidationError("--fault-every must be at least 1") }
        if let faultAt, Self.requestNumbers(faultAt) == nil {
            throw ValidationError("--fault-at takes comma-separated request numbers, e.g. 3,7")
        }
        if let rateLimit, Self.rateLimit(rateLimit, retryAfter: retryAfter) == nil {
            throw ValidationError("--rate-limit takes REQUESTS/SECONDS, e.g. 1200/300")
        }
    }

    func run() async throws {
        let configuration = try accountConfiguration()
        let fleetNow = now.flatMap(Self.date) ?? Date()
        let account = SimulatedAccount(
            configuration: configuration,
            fleet: .generated(count: registrations, seed: seed, now: fleetNow)
        )
        account.prerender()  // Benchmarks measure the client: even the first listing must not wait for rendering.

        var observer: (@Sendable (ServedRequest) -> Void)?
        if let log {
            let file = try RequestLogFile(path: log)
            observer = { file.append($0) }
        }
        let server = try await FakeCloudflareServer.start(
            account: account,
            host: host,
            port: port,
            faults: faultPlan(),
            observer: observer
        )

        let (stop, signalSources) = Self.terminationSignals()
        print("listening on \(server.baseURL)")
        fflush(nil)
        for await _ in stop { break }
        // Cancelling here also keeps the sources alive until here.
        for source in signalSources { source.cancel() }

        try await server.shutdown()
        FileHandle.standardError.write(
            Data(
                "fake-cloudflare: served \(server.requestCount) requests, injected \(server.injectedFaults.count) faults\n"
                    .utf8
            )
        )
    }

    private func accountConfiguration() throws -> SimulatedAccount.Configuration {
        var apiToken = token
        if let tokenFile { apiToken = try Self.trimmedContent(of: tokenFile) }
        var legacy: SimulatedAccount.Configuration.LegacyCredentials?
        if let authEmail, let authKeyFile {
            legacy = .init(email: authEmail, key: try Self.trimmedContent(of: authKeyFile))
        }
        return SimulatedAccount.Configuration(
            accountID: accountID,
            apiToken: apiToken,
            legacyCredentials: legacy,
            tokenKind: SimulatedAccount.Configuration.TokenKind(rawValue: tokenKind) ?? .user,
            tokenStatus: SimulatedAccount.Configuration.TokenStatus(rawValue: tokenStatus) ?? .active,
            tokenExpiresOn: tokenExpiresOn.flatMap(Self.date),
            listingEnd: endStyle == .emptyPage ? .emptyPage : .emptyCursor,
            perPageMax: perPageMax,
            rateLimit: rateLimit.flatMap { Self.rateLimit($0, retryAfter: retryAfter) },
            fractionalSeconds: fractionalSeconds,
            // The --log file is the record; an in-memory log would only grow.
            recordsRequests: false
        )
    }

    private func faultPlan() -> FaultPlan {
        guard let fault = fault.flatMap(FaultPlan.Fault.init) else { return .none }
        var predicate: (@Sendable (HTTPRequest) -> Bool)?
        if let fragment = faultPath {
            predicate = { RequestTarget(parsing: $0.target).path.contains(fragment) }
        }
        var plans: [FaultPlan] = []
        if let faultEvery { plans.append(.every(faultEvery, fault, where: predicate)) }
        if let numbers = faultAt.flatMap(Self.requestNumbers) { plans.append(.at(numbers, fault, where: predicate)) }
        return plans.count == 1 ? plans[0] : .combining(plans)
    }

    private static func trimmedContent(of path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    private static func date(_ text: String) -> Date? {
        try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: text.contains(".")))
    }

    private static func requestNumbers(_ text: String) -> Set<Int>? {
        let numbers = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return Set(numbers.compactMap { $0 })
    }

    private static func rateLimit(_ text: String, retryAfter: Int?) -> SimulatedAccount.Configuration.RateLimit? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let requests = Int(parts[0]), let seconds = Int(parts[1]), requests > 0, seconds > 0,
            (retryAfter ?? 1) >= 0
        else { return nil }
        return .init(requests: requests, windowSeconds: seconds, retryAfterSeconds: retryAfter)
    }

    /// SIGTERM and SIGINT, delivered as a sequence instead of killing the process; the sources deliver only
    /// while the caller keeps them alive.
    private static func terminationSignals() -> (AsyncStream<Int32>, [any DispatchSourceSignal]) {
        var sources: [any DispatchSourceSignal] = []
        let stream = AsyncStream<Int32> { continuation in
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { continuation.yield(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
        return (stream, sources)
    }
}
