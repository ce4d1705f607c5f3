import Cloudflare
import Foundation
import Simulation
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

let testNow = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T11:06:40Z
let day: TimeInterval = 86_400
let testToken = "test-token"
let testAccountID = "0123456789abcdef0123456789abcdef"
let apiBase = "https://api.cloudflare.com/client/v4"
let accountBase = "\(apiBase)/accounts/\(testAccountID)"

func testConfiguration(
    listingEnd: SimulatedAccount.Configuration.ListingEnd = .emptyCursor,
    clock: ManualClock = ManualClock(testNow)
) -> SimulatedAccount.Configuration {
    SimulatedAccount.Configuration(
        accountID: testAccountID,
        apiToken: testToken,
        listingEnd: listingEnd,
        clock: { clock.now }
    )
}

/// A registration with a readable id (`r007`) for hand-built fleets.
func registration(
    _ number: Int,
    lastSeenDaysAgo: Double = 1,
    revokedDaysAgo: Double? = nil,
    userID: String? = nil,
    profile: SimulatedProfile? = nil
) -> SimulatedRegistration {
    let suffix = String(number)
    let id = "r" + String(repeating: "0", count: max(0, 3 - suffix.count)) + suffix
    return SimulatedRegistration(
        id: id,
        deviceID: "d-\(id)",
        deviceName: "LAPTOP-\(id.uppercased())",
        createdAt: testNow - 400 * day,
        lastSeenAt: testNow - lastSeenDaysAgo * day,
        revokedAt: revokedDaysAgo.map { testNow - $0 * day },
        userID: userID ?? "u-\(id)",
        userEmail: "\(id)@example.com",
        userName: "User \(id)",
        profile: profile
    )
}

/// Builds a request the way the client does: absolute URL, query items percent-encoded, bearer token.
func request(
    _ method: HTTPRequest.Method = .get,
    _ url: String,
    query: [(String, String)] = [],
    token: String? = testToken
) -> HTTPRequest {
    var components = URLComponents(string: url)!
    if !query.isEmpty {
        components.percentEncodedQueryItems = query.map {
            URLQueryItem(
                name: $0.0,
                value: $0.1.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))
                )
            )
        }
    }
    var headers: [(name: String, value: String)] = []
    if let token { headers.append((name: "Authorization", value: "Bearer \(token)")) }
    return HTTPRequest(method: method, url: components.string!, headers: headers)
}

/// The parts of the envelope the tests read.
struct Envelope<Result: Decodable>: Decodable {
    struct Message: Decodable {
        var code: Int
        var message: String
    }
    struct ResultInfo: Decodable {
        var count: Int?
        var per_page: Int?
        var cursor: String?
        var page: Int?
        var total_count: Int?
        var total_pages: Int?
    }

    var success: Bool
    var errors: [Message]
    var messages: [Message]
    var result: Result?
    var result_info: ResultInfo?
}

struct Listed: Decodable {
    struct Device: Decodable {
        var id: String
        var name: String
        var client_version: String?
    }
    struct User: Decodable {
        var id: String?
        var email: String?
    }
    struct Policy: Decodable {
        var id: String
        var name: String
        var `default`: Bool
    }

    var id: String
    var last_seen_at: String
    var revoked_at: String?
    var device: Device
    var user: User?
    var policy: Policy?
}

struct Empty: Decodable {}

func decode<Result: Decodable>(_ type: Result.Type, _ response: HTTPResponse) throws -> Envelope<Result> {
    try JSONDecoder().decode(Envelope<Result>.self, from: Data(response.body))
}

/// Lists every registration by following the cursor to the end, as a client must (ztguardd(8),
/// LISTINGS AND COMPLETENESS).
func listAll(
    _ account: SimulatedAccount,
    perPage: Int,
    query: [(String, String)] = [],
    betweenPages: (_ listedSoFar: [String]) -> Void = { _ in }
) throws -> (ids: [String], requests: Int) {
    var ids: [String] = []
    var cursor: String?
    var requests = 0
    while true {
        var pageQuery = query + [("per_page", String(perPage))]
        if let cursor { pageQuery.append(("cursor", cursor)) }
        let response = account.respond(to: request(.get, accountBase + "/devices/registrations", query: pageQuery))
        requests += 1
        guard response.status == 200 else { throw ListingFailed(status: response.status) }
        let page = try decode([Listed].self, response)
        let result = page.result ?? []
        ids += result.map(\.id)
        let next = page.result_info?.cursor ?? ""
        if next.isEmpty || result.isEmpty { break }
        cursor = next
        betweenPages(ids)
        if requests > 10_000 { throw ListingFailed(status: -1) }
    }
    return (ids, requests)
}

struct ListingFailed: Error {
    var status: Int
}
