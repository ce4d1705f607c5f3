import Benchmark
import Cloudflare
import Rules
import Simulation

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Rule evaluation over synthetic fleets and decoding of one API page.
//
// Everything a benchmark needs (the fleet, the rule set, the JSON page) is built in its `setup`, once,
// outside the measured block: the samples measure only `plan(for:…)` or `JSONDecoder.decode`.
// Run with `make bench`.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(5)
    )

    for size in [10_000, 100_000, 1_000_000] {
        Benchmark(
            "plan(for:) \(size.formatted) registrations",
            configuration: .init(
                metrics: [.wallClock, .throughput, .mallocCountTotal, registrationsPerSecond, plannedActions],
                // `throughput` counts whole plans per second; `registrations/s` is the per-registration
                // figure. Not `scalingFactor`: it only takes powers of 1000, and at 1M a plan takes long
                // enough that the integer plans-per-second throughput rounds to nothing.
                maxDuration: .seconds(size >= 1_000_000 ? 10 : 5),
                maxIterations: size >= 1_000_000 ? 25 : 500
            )
        ) { benchmark, fleet in
            let clock = ContinuousClock()
            let start = clock.now
            let plan = fleet.ruleSet.plan(for: fleet.registrations, directory: nil, graceMarks: GraceMarks(), at: now)
            let elapsed = clock.now - start
            blackHole(plan)
            benchmark.measurement(registrationsPerSecond, perSecond(size, in: elapsed))
            benchmark.measurement(plannedActions, plan.actions.count)
        } setup: {
            try SyntheticFleet(count: size)
        }
    }

    // Evaluation only, as `run` and `plan` feed it: page by page (the pages are decoded in setup), the
    // claims packed after each page as the Enforcer packs them (PlannedAction.pack()).
    for size in [100_000, 1_000_000] {
        Benchmark(
            "evaluation by pages of 1,000, packed: \(size.formatted) registrations",
            configuration: .init(
                metrics: [.wallClock, .mallocCountTotal, registrationsPerSecond, plannedActions],
                maxDuration: .seconds(size >= 1_000_000 ? 10 : 5),
                maxIterations: size >= 1_000_000 ? 25 : 500
            )
        ) { (benchmark, listing: PagedListing) in
            let clock = ContinuousClock()
            let start = clock.now
            var evaluation = listing.ruleSet.evaluation(directory: nil, graceMarks: GraceMarks(), at: now)
            for page in listing.pages {
                evaluation.add(page)
                evaluation.packClaims()
            }
            let plan = evaluation.plan()
            let elapsed = clock.now - start
            blackHole(plan)
            benchmark.measurement(registrationsPerSecond, perSecond(size, in: elapsed))
            benchmark.measurement(plannedActions, plan.actions.count)
        } setup: {
            try PagedListing(SyntheticFleet(count: size))
        }
    }

    Benchmark(
        "decode page of 1,000 registrations",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, bytesPerSecond, registrationsPerSecond, pageBytes],
            // One sample decodes one page of 1000 registrations: `--scale` shows per-registration figures.
            scalingFactor: .kilo,
            maxIterations: 2_000
        )
    ) { benchmark, page in
        let decoder = JSONDecoder()
        let clock = ContinuousClock()
        let start = clock.now
        let envelope: RegistrationPage
        do {
            envelope = try decoder.decode(RegistrationPage.self, from: page)
        } catch {
            fatalError("the synthetic page does not decode: \(error)")
        }
        let elapsed = clock.now - start
        blackHole(envelope)
        recordDecoding(benchmark, pageBytes: page.count, registrations: envelope.result.count, in: elapsed)
    } setup: {
        APIPage.json()
    }

    // What the client does with a page since 2026-12-01: RegistrationPageDecoder, which leaves only
    // bodies it does not fully understand to JSONDecoder. The same page as above.
    Benchmark(
        "decode page of 1,000 registrations, the client's fast path",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, bytesPerSecond, registrationsPerSecond, pageBytes],
            scalingFactor: .kilo,
            maxIterations: 5_000
        )
    ) { benchmark, page in
        let clock = ContinuousClock()
        let start = clock.now
        guard let registrations = RegistrationPageDecoder.registrations(from: page) else {
            fatalError("the synthetic page left the fast path")
        }
        let elapsed = clock.now - start
        blackHole(registrations)
        recordDecoding(benchmark, pageBytes: page.count, registrations: registrations.count, in: elapsed)
    } setup: {
        [UInt8](APIPage.json())
    }
}

/// Registrations evaluated (or decoded) per second of wall clock, measured around the call alone.
let registrationsPerSecond = BenchmarkMetric.custom(
    "registrations/s",
    polarity: .prefersLarger,
    useScalingFactor: false
)
/// How many registrations the plan acts on: evaluation cost grows with it (each action gets its reason).
let plannedActions = BenchmarkMetric.custom("planned actions", polarity: .prefersSmaller, useScalingFactor: false)
/// JSON bytes decoded per second of wall clock.
let bytesPerSecond = BenchmarkMetric.custom("bytes/s", polarity: .prefersLarger, useScalingFactor: false)
/// The size of the decoded page, to check it against the ~860 bytes per registration of a real one.
let pageBytes = BenchmarkMetric.custom("page bytes", polarity: .prefersSmaller, useScalingFactor: false)

/// The figures of one decoded page, after checking that it held every registration.
private func recordDecoding(_ benchmark: Benchmark, pageBytes size: Int, registrations: Int, in elapsed: Duration) {
    precondition(registrations == APIPage.registrationCount)
    benchmark.measurement(bytesPerSecond, perSecond(size, in: elapsed))
    benchmark.measurement(registrationsPerSecond, perSecond(registrations, in: elapsed))
    benchmark.measurement(pageBytes, size)
}

private func perSecond(_ count: Int, in elapsed: Duration) -> Int {
    let (seconds, attoseconds) = elapsed.components
    let total = Double(seconds) + Double(attoseconds) * 1e-18
    return total > 0 ? Int((Double(count) / total).rounded()) : 0
}

/// The evaluation time: 2026-07-25T00:00:00Z, fixed so every run sees the same fleet ages.
let now = Date(timeIntervalSince1970: 1_784_937_600)
let day: TimeInterval = 86_400

extension Int {
    fileprivate var formatted: String {
        switch self {
        case 1_000_000...: "\(self / 1_000_000)M"
        case 1_000...: "\(self / 1_000)k"
        default: "\(self)"
        }
    }
}

/// The typical rule set: delete what has been unseen for 90 days, revoke clients older than 2024.6.415
/// except executives' and on-call devices, never touch connectors or service accounts. The limits are
/// high so that no plan aborts and every sample does the full work.
func typicalRuleSet() throws -> RuleSet {
    RuleSet(
        rules: [
            Rule(
                name: "delete-unseen-90d",
                action: .delete,
                match: Match(lastSeenOlderThan: TimeSpan(parsing: "90d"))
            ),
            Rule(
                name: "revoke-old-clients",
                action: .revoke,
                match: Match(clientVersionBelow: WARPVersion("2024.6.415")),
                exclude: Exclusion(userEmail: [
                    try Glob("*@exec.example.com", caseInsensitive: true),
                    try Glob("oncall-*@example.com", caseInsensitive: true),
                ])
            ),
        ],
        exclude: Exclusion(
            deviceName: [try Glob("warp-connector-*")],
            userEmail: [try Glob("*@svc.example.com", caseInsensitive: true)]
        ),
        limits: Limits(maxActionsPerRun: Int.max, maxFraction: 1.0)
    )
}

/// WARP client versions below 2024.6.415, which the revoke rule selects.
let oldClientVersions = ["2023.10.120.0", "2024.1.160.0", "2024.3.444.0", "2024.4.133.0"]
/// Current WARP client versions.
let currentClientVersions = ["2024.6.415.0", "2024.9.346.0", "2024.12.554.0", "2025.2.600.0", "2025.4.943.0"]

/// A fleet of `count` registrations in the listing's order (by ID) and the rule set to evaluate.
struct SyntheticFleet: Sendable {
    var registrations: [Registration]
    var ruleSet: RuleSet

    init(count: Int) throws {
        var random = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(count))
        var registrations: [Registration] = []
        registrations.reserveCapacity(count)
        for index in 0..<count {
            registrations.append(Self.registration(index, random: &random))
        }
        registrations.sort { $0.id < $1.id }
        // As the daemon gets them: decoded page by page from the API's JSON, each page's strings allocated
        // in listing order. The sorted fleet itself left every registration's strings where its random
        // place in the generation put them, so each claim cost cache misses that no decoded listing has
        // (at 1M: 4.5 million registrations/s instead of 7.1; BENCHMARKS.md).
        var listed: [Registration] = []
        listed.reserveCapacity(count)
        let (encoder, decoder) = (JSONEncoder(), JSONDecoder())
        for start in stride(from: 0, to: count, by: 1000) {
            let page = Array(registrations[start..<Swift.min(start + 1000, count)])
            listed += try decoder.decode([Registration].self, from: encoder.encode(page))
        }
        self.registrations = listed
        self.ruleSet = try typicalRuleSet()
    }

    /// One registration of a typical fleet: ~2 % connectors (no user), ~3 % service accounts, ~1 %
    /// executives and ~1 % on-call users, ~4 % already revoked. 88 % were seen within the past two weeks,
    /// the rest between two weeks and two years ago (so ~11 % are unseen for over 90 days); 12 % run a
    /// client older than 2024.6.415 and 3 % report no version. The rules act on roughly a fifth.
    static func registration(_ index: Int, random: inout SeededGenerator) -> Registration {
        let kind = random.int(below: 100)
        let recentMinutes = 14 * 24 * 60
        let lastSeenMinutesAgo =
            random.int(below: 100) < 88
            ? random.int(below: recentMinutes)
            : recentMinutes + random.int(below: 716 * 24 * 60)
        let lastSeen = now - Double(lastSeenMinutesAgo) * 60
        let created = lastSeen - Double(random.int(below: 700)) * day
        let version: String?
        switch random.int(below: 100) {
        case 0..<3: version = nil
        case 3..<15: version = oldClientVersions[random.int(below: oldClientVersions.count)]
        default: version = currentClientVersions[random.int(below: currentClientVersions.count)]
        }
        let revoked = random.int(below: 100) < 4 ? lastSeen + day : nil
        let deviceName: String
        let email: String?
        switch kind {
        case 0..<2:
            deviceName = "warp-connector-site-\(index % 97)"
            email = nil
        case 2..<5:
            deviceName = "svc-runner-\(index)"
            email = "ci-\(index % 400)@svc.example.com"
        case 5..<6:
            deviceName = "MBP-EXEC-\(index)"
            email = "Exec\(index)@Exec.example.com"
        case 6..<7:
            deviceName = "LAPTOP-ONCALL-\(index)"
            email = "oncall-\(index % 50)@example.com"
        default:
            deviceName = "LAPTOP-\(String(random.next() & 0xF_FFFF, radix: 36).uppercased())"
            email = "user\(index)@example.com"
        }
        return Registration(
            id: random.uuid(),
            deviceID: random.uuid(),
            deviceName: deviceName,
            clientVersion: version,
            createdAt: created,
            lastSeenAt: lastSeen,
            revokedAt: revoked,
            keyType: kind % 2 == 0 ? "curve25519" : "secp256r1",
            tunnelType: kind % 2 == 0 ? "wireguard" : "masque",
            userID: email == nil ? nil : random.uuid(),
            userEmail: email,
            userName: email == nil ? nil : "User Number \(index)",
            profileID: random.uuid(),
            profileName: "Default"
        )
    }
}

/// A synthetic fleet in pages of 1,000, split in setup: slicing while measuring would copy every registration.
struct PagedListing: Sendable {
    var ruleSet: RuleSet
    var pages: [[Registration]]

    init(_ fleet: SyntheticFleet) {
        ruleSet = fleet.ruleSet
        let count = fleet.registrations.count
        pages = stride(from: 0, to: count, by: 1000).map { Array(fleet.registrations[$0..<Swift.min($0 + 1000, count)]) }
    }
}

/// `GET …/devices/registrations?include=policy&per_page=1000`, as the API answers it.
struct RegistrationPage: Decodable {
    struct Message: Decodable {
        var code: Int
        var message: String
    }

    struct ResultInfo: Decodable {
        var count: Int
        var cursor: String
        var perPage: Int

        enum CodingKeys: String, CodingKey {
            case count, cursor
            case perPage = "per_page"
        }
    }

    var success: Bool
    var errors: [Message]
    var result: [Registration]
    var resultInfo: ResultInfo

    enum CodingKeys: String, CodingKey {
        case success, errors, result
        case resultInfo = "result_info"
    }
}

/// Builds the JSON text of one page: compact, fractional-second timestamps, every key the API sends
/// (including those `Registration` ignores: `updated_at`, `deleted_at`, `key`, the policy's flags).
enum APIPage {
    static let registrationCount = 1_000

    static func json() -> Data {
        var random = SeededGenerator(seed: 0xDEC0DE)
        var text = #"{"success":true,"errors":[],"messages":[],"result":["#
        text.reserveCapacity(registrationCount * 900)
        for index in 0..<registrationCount {
            if index > 0 { text += "," }
            text += registration(index, random: &random)
        }
        text += #"],"result_info":{"count":1000,"cursor":"eyJpZCI6IjAwMDAifQ==","per_page":1000}}"#
        return Data(text.utf8)
    }

    /// `date`'s whole second with `micros` microseconds, as the API writes timestamps.
    private static func timestamp(_ date: Date, micros: Int) -> String {
        let instant = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + Double(micros) / 1_000_000)
        var bytes: [UInt8] = []
        Rules.RFC3339.append(instant, fraction: .microseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func registration(_ index: Int, random: inout SeededGenerator) -> String {
        let r = SyntheticFleet.registration(index, random: &random)
        let micros = { (random: inout SeededGenerator) in random.int(below: 1_000_000) }
        let lastSeen = timestamp(r.lastSeenAt ?? now, micros: micros(&random))
        let created = timestamp(r.createdAt ?? now, micros: micros(&random))
        let revoked = r.revokedAt.map { "\"\(timestamp($0, micros: micros(&random)))\"" } ?? "null"
        let version = r.clientVersion.map { "\"\($0)\"" } ?? "null"
        let user =
            r.userEmail.map {
                #"{"id":"\#(r.userID ?? "")","email":"\#($0)","name":"\#(r.userName ?? "")"}"#
            } ?? "null"
        return #"{"id":"\#(r.id)","created_at":"\#(created)","updated_at":"\#(lastSeen)","#
            + #""last_seen_at":"\#(lastSeen)","revoked_at":\#(revoked),"deleted_at":null,"#
            + #""key":"\#(random.publicKey())","key_type":"\#(r.keyType ?? "")","#
            + #""tunnel_type":"\#(r.tunnelType ?? "")","#
            + #""device":{"id":"\#(r.deviceID)","name":"\#(r.deviceName)","client_version":\#(version)},"#
            + #""user":\#(user),"#
            + #""policy":{"id":"\#(r.profileID ?? "")","default":true,"deleted":false,"#
            + #""name":"\#(r.profileName ?? "")","updated_at":"2026-01-12T09:30:00.000000Z"}}"#
    }
}
