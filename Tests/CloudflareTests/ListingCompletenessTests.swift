import Rules
import Testing

@testable import Cloudflare

/// ztguardd(8), LISTINGS AND COMPLETENESS: a listing ends only on the signal its API defines; a short
/// answer under `success: true` is a transient failure, retried and then thrown, never the end of the list.
@Suite struct ListingCompletenessTests {
    /// The short answers a listing page can come back as, each under `success: true`.
    static let shortRegistrationPages: [(name: String, reply: FakeTransport.Reply)] = [
        ("no result", .withoutResult(resultInfo: #"{"count":2,"per_page":2,"cursor":"c2"}"#)),
        ("null result", .envelope(result: "null", resultInfo: #"{"count":2,"per_page":2,"cursor":"c2"}"#)),
        ("empty result, full result_info", .envelope(result: "[]", resultInfo: #"{"count":2,"per_page":2,"cursor":"c2"}"#)),
        ("a result that is not an array", .envelope(
            result: FakeTransport.Reply.registrationJSON(id: "c"), resultInfo: #"{"count":1,"per_page":2,"cursor":"c2"}"#)),
        ("no result_info, after a first page that counted itself", .envelope(result: "[]")),
        ("result_info without count, after a first page that counted itself",
            .envelope(result: "[]", resultInfo: #"{"per_page":2,"cursor":""}"#)),
        ("count below the page", .envelope(
            result: "[" + FakeTransport.Reply.registrationJSON(id: "c") + "]",
            resultInfo: #"{"count":0,"per_page":2,"cursor":""}"#)),
        ("count above the page", .envelope(
            result: "[" + FakeTransport.Reply.registrationJSON(id: "c") + "]",
            resultInfo: #"{"count":2,"per_page":2,"cursor":""}"#)),
    ]

    @Test("a short registrations page is retried, and the listing is then exact", arguments: 0..<8)
    func shortRegistrationPageIsRetried(index: Int) async throws {
        let transport = FakeTransport([
            .registrationsPage(ids: ["a", "b"], cursor: "c1"),
            Self.shortRegistrationPages[index].reply,
            .registrationsPage(ids: ["c", "d"], cursor: "c2"),
            .registrationsPage(ids: ["e"], cursor: ""),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a", "b", "c", "d", "e"])
        let targets = await transport.sentRequests.map(\.target)
        try #require(targets.count == 4)
        // The short answer's request was sent again, with the same cursor.
        #expect(targets[1].contains("cursor=c1") && targets[2].contains("cursor=c1"))
    }

    @Test("a registrations page that stays short fails the listing after the retries", arguments: 0..<8)
    func shortRegistrationPageFails(index: Int) async throws {
        let transport = FakeTransport(
            [.registrationsPage(ids: ["a", "b"], cursor: "c1")]
                + Array(repeating: Self.shortRegistrationPages[index].reply, count: 3))
        var pages = 0
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport, maxAttempts: 3).forEachRegistrationPage(RegistrationQuery()) { _ in pages += 1 }
        }
        #expect(error?.code == .invalidResponse)
        #expect(error?.hint?.isEmpty == false)
        #expect(pages == 1)
        #expect(await transport.sentRequests.count == 4)
    }

    @Test("a listing whose cursors never end fails at its page bound instead of listing forever")
    func endlessCursorsFail() async throws {
        let transport = FakeTransport((1...4).map { .registrationsPage(ids: ["r\($0)"], cursor: "c\($0)") })
        var pages = 0
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport).forEachRegistrationPage(RegistrationQuery(), maxPages: 3) { _ in pages += 1 }
        }
        #expect(error?.hint?.contains("did not end within 3 pages") == true)
        #expect(pages == 3)
        #expect(await transport.sentRequests.count == 3)
    }

    @Test("an empty page ends the listing when its count says 0, even with a cursor")
    func emptyPageWithCountZeroEnds() async throws {
        let transport = FakeTransport([
            .registrationsPage(ids: ["a"], cursor: "c1"),
            .envelope(result: "[]", resultInfo: #"{"count":0,"per_page":100,"cursor":"c9"}"#),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a"])
        #expect(await transport.sentRequests.count == 2)
    }

    /// A registrations page as an API that promises only its cursor may send it: `resultInfo` exactly as given
    /// (nil: no `result_info` at all).
    static func tersePage(_ ids: [String], resultInfo: String?) -> FakeTransport.Reply {
        .envelope(result: "[" + ids.map { FakeTransport.Reply.registrationJSON(id: $0) }.joined(separator: ",") + "]",
            resultInfo: resultInfo)
    }

    @Test("pages without result_info.count are read by their cursor alone, and a last page without result_info ends it")
    func pagesWithoutCountFollowTheCursor() async throws {
        let transport = FakeTransport([
            Self.tersePage(["a", "b"], resultInfo: #"{"cursor":"c1"}"#),
            Self.tersePage(["c", "d"], resultInfo: #"{"per_page":2,"cursor":"c2"}"#),
            Self.tersePage(["e"], resultInfo: nil),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a", "b", "c", "d", "e"])
        let targets = await transport.sentRequests.map(\.target)
        try #require(targets.count == 3)
        #expect(targets[1].contains("cursor=c1") && targets[2].contains("cursor=c2"))
    }

    @Test("an empty page without count whose cursor goes on is followed, not taken for the end")
    func emptyPageWithoutCountFollowsItsCursor() async throws {
        let transport = FakeTransport([
            Self.tersePage(["a", "b"], resultInfo: #"{"cursor":"c1"}"#),
            Self.tersePage([], resultInfo: #"{"per_page":2,"cursor":"c1b"}"#),
            Self.tersePage([], resultInfo: #"{"cursor":"c1c"}"#),
            Self.tersePage(["c", "d"], resultInfo: #"{"cursor":""}"#),
        ])
        var pages: [[String]] = []
        let listed = try await makeClient(transport).forEachRegistrationPage(RegistrationQuery()) {
            pages.append($0.registrations.map(\.id))
        }
        #expect(listed == 4)
        #expect(pages == [["a", "b"], ["c", "d"]], "empty pages are not handed on")
        let targets = await transport.sentRequests.map(\.target)
        try #require(targets.count == 4)
        #expect(targets[2].contains("cursor=c1b") && targets[3].contains("cursor=c1c"))
    }

    @Test("an empty page without count ends the listing when its cursor is empty or missing", arguments: [
        #"{"per_page":2,"cursor":""}"#, #"{"per_page":2}"#, nil,
    ])
    func emptyPageWithoutCountEndsOnNoCursor(resultInfo: String?) async throws {
        let transport = FakeTransport([
            Self.tersePage(["a", "b"], resultInfo: #"{"cursor":"c1"}"#),
            Self.tersePage([], resultInfo: resultInfo),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a", "b"])
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("a count that disagrees with its page is retried even in a listing whose other pages leave it out")
    func disagreeingCountAmongTersePages() async throws {
        let transport = FakeTransport([
            Self.tersePage(["a", "b"], resultInfo: #"{"cursor":"c1"}"#),
            .envelope(result: "[]", resultInfo: #"{"count":2,"cursor":"c2"}"#),
            Self.tersePage(["c", "d"], resultInfo: #"{"cursor":""}"#),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a", "b", "c", "d"])
        let targets = await transport.sentRequests.map(\.target)
        try #require(targets.count == 3)
        #expect(targets[1].contains("cursor=c1") && targets[2].contains("cursor=c1"))
    }

    @Test("empty pages whose cursors never end fail at the page bound too")
    func endlessEmptyDetoursFail() async throws {
        let transport = FakeTransport((1...4).map { Self.tersePage([], resultInfo: #"{"cursor":"e\#($0)"}"#) })
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport).forEachRegistrationPage(RegistrationQuery(), maxPages: 3) { _ in }
        }
        #expect(error?.hint?.contains("did not end within 3 pages") == true)
        #expect(await transport.sentRequests.count == 3)
    }

    @Test("the Access users listing reads pages until they add up to total_count, and no further")
    func accessUsersEndOnTotal() async throws {
        let transport = FakeTransport([
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: 4),
            .accessUsersPage(emails: ["c@x", "d@x"], perPage: 2, total: 4),
        ])
        let users = try await makeClient(transport).accessUsers(perPage: 2)
        #expect(users.compactMap(\.email) == ["a@x", "b@x", "c@x", "d@x"])
        let targets = await transport.sentRequests.map(\.target)
        try #require(targets.count == 2)
        #expect(targets[0].contains("page=1&per_page=2") && targets[1].contains("page=2&per_page=2"))
    }

    @Test("the Access users listing follows the API's own smaller per_page")
    func accessUsersFollowTheAPIsPageSize() async throws {
        let transport = FakeTransport([
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["c@x"], perPage: 2, total: 3),
        ])
        let users = try await makeClient(transport).accessUsers(perPage: 1000)
        #expect(users.compactMap(\.email) == ["a@x", "b@x", "c@x"])
    }

    /// Short answers of a users page that should hold c@x and d@x of a total of 5.
    static let shortUsersPages: [(name: String, reply: FakeTransport.Reply)] = [
        ("no result", .withoutResult(resultInfo: #"{"count":2,"per_page":2,"total_count":5}"#)),
        ("null result", .envelope(result: "null", resultInfo: #"{"count":2,"per_page":2,"total_count":5}"#)),
        ("empty result, full result_info", .envelope(result: "[]", resultInfo: #"{"count":2,"per_page":2,"total_count":5}"#)),
        ("empty result, count 0, short of the total", .accessUsersPage(emails: [], perPage: 2, total: 5)),
        ("a page cut short in the middle", .accessUsersPage(emails: ["c@x"], perPage: 2, total: 5)),
        ("no result_info", .envelope(result: "[]")),
        ("neither total nor count", .accessUsersPage(emails: ["c@x"], perPage: 2, total: nil, count: nil)),
    ]

    @Test("a short Access users page is retried, and the listing is then exact", arguments: 0..<7)
    func shortUsersPageIsRetried(index: Int) async throws {
        let transport = FakeTransport([
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: 5),
            Self.shortUsersPages[index].reply,
            .accessUsersPage(emails: ["c@x", "d@x"], perPage: 2, total: 5),
            .accessUsersPage(emails: ["e@x"], perPage: 2, total: 5),
        ])
        let users = try await makeClient(transport).accessUsers(perPage: 2)
        #expect(users.compactMap(\.email) == ["a@x", "b@x", "c@x", "d@x", "e@x"])
        let targets = await transport.sentRequests.map(\.target)
        try #require(targets.count == 4)
        #expect(targets[1].contains("page=2&") && targets[2].contains("page=2&"))
    }

    @Test("an Access users page that stays short fails the listing after the retries", arguments: 0..<7)
    func shortUsersPageFails(index: Int) async throws {
        let transport = FakeTransport(
            [.accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: 5)]
                + Array(repeating: Self.shortUsersPages[index].reply, count: 3))
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport, maxAttempts: 3).accessUsers(perPage: 2)
        }
        #expect(error?.code == .invalidResponse)
        #expect(await transport.sentRequests.count == 4)
    }

    @Test("without total_count, a page shorter than per_page ends the listing, its count agreeing")
    func accessUsersWithoutTotalEndOnShortPage() async throws {
        let transport = FakeTransport([
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2),
            .accessUsersPage(emails: ["c@x"], perPage: 2),
        ])
        let users = try await makeClient(transport).accessUsers(perPage: 2)
        #expect(users.compactMap(\.email) == ["a@x", "b@x", "c@x"])
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("without result_info, the Access users listing goes on past short pages and ends on an empty one")
    func accessUsersWithoutResultInfoEndOnEmptyPage() async throws {
        func page(_ emails: [String]) -> FakeTransport.Reply {
            .envelope(result: "[" + emails.map { #"{"id":"id-\#($0)","email":"\#($0)"}"# }.joined(separator: ",") + "]")
        }
        // An API that pages by 2 where 3 were asked for, and does not say so.
        let transport = FakeTransport([page(["a@x", "b@x"]), page(["c@x", "d@x"]), page(["e@x"]), page([])])
        let users = try await makeClient(transport).accessUsers(perPage: 3)
        #expect(users.compactMap(\.email) == ["a@x", "b@x", "c@x", "d@x", "e@x"])
        let targets = await transport.sentRequests.map(\.target)
        try #require(targets.count == 4)
        #expect(targets[3].contains("page=4&"))
    }

    @Test("an Access users API that ignores page, answering page 1 again, fails the listing instead of reading for ever")
    func accessUsersNotPagingFails() async throws {
        func page() -> FakeTransport.Reply { .envelope(result: #"[{"id":"1","email":"a@x"},{"id":"2","email":"b@x"}]"#) }
        let transport = FakeTransport([page(), page(), page()])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport).accessUsers(perPage: 3)
        }
        #expect(error?.hint?.contains("the API is not paging") == true, "\(String(describing: error))")
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("without total_count or count, a page shorter than the per_page the API states ends the listing")
    func accessUsersWithOnlyPerPageEndOnShortPage() async throws {
        let transport = FakeTransport([
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: nil, count: nil),
            .accessUsersPage(emails: ["c@x"], perPage: 2, total: nil, count: nil),
        ])
        let users = try await makeClient(transport).accessUsers(perPage: 2)
        #expect(users.compactMap(\.email) == ["a@x", "b@x", "c@x"])
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("a directory whose total moves while it is listed is listed once more, and that listing is taken")
    func movedDirectoryIsListedAgain() async throws {
        let transport = FakeTransport([
            // a@x is deleted after page 1: c@x moves onto page 1 and is never read.
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: 4),
            .accessUsersPage(emails: ["d@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["b@x", "c@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["d@x"], perPage: 2, total: 3),
        ])
        let users = try await makeClient(transport).accessUsers(perPage: 2)
        #expect(users.compactMap(\.email) == ["b@x", "c@x", "d@x"])
        #expect(await transport.sentRequests.count == 4)
    }

    @Test("a directory that moves again while it is listed once more fails the listing")
    func directoryMovingTwiceFails() async throws {
        let transport = FakeTransport([
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: 4),
            .accessUsersPage(emails: ["d@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["b@x", "c@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["e@x", "f@x"], perPage: 2, total: 4),
        ])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport).accessUsers(perPage: 2)
        }
        #expect(error?.code == .listingMoved)
        #expect(error?.description.contains("nothing will be acted on") == true)
    }

    @Test("more users read than the total says is a moved directory, listed again")
    func moreUsersThanTotalIsListedAgain() async throws {
        let transport = FakeTransport([
            // A user added before a@x after page 1 pushes b@x onto page 2 as well: read twice.
            .accessUsersPage(emails: ["a@x", "b@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["b@x", "c@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["0@x", "a@x"], perPage: 2, total: 3),
            .accessUsersPage(emails: ["b@x"], perPage: 2, total: 3),
        ])
        let users = try await makeClient(transport).accessUsers(perPage: 2)
        #expect(users.compactMap(\.email) == ["0@x", "a@x", "b@x"])
    }

    @Test("a lookup by email finds the user whatever the case, and only that user", arguments: [
        (answer: ["Jane.Doe@Example.com"], found: true),
        (answer: ["jane.doe@example.com.evil", "other@example.com"], found: false),
        (answer: [], found: false),
    ])
    func lookupByEmail(answer: [String], found: Bool) async throws {
        let transport = FakeTransport([.accessUsersPage(emails: answer, perPage: 50, total: answer.count)])
        #expect(try await makeClient(transport).accessUserExists(email: "jane.doe@example.com") == found)
        let target = try #require(await transport.sentRequests.first?.target)
        #expect(target.contains("email=jane.doe%40example.com"))
    }

    @Test("a lookup answered without its result is retried, and fails when it stays so")
    func lookupWithoutResultFails() async throws {
        let empty = FakeTransport.Reply.envelope(result: "null", resultInfo: #"{"count":0,"total_count":0}"#)
        let transport = FakeTransport([empty, empty, empty])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport, maxAttempts: 3).accessUserExists(email: "a@x")
        }
        #expect(error?.code == .invalidResponse)
        #expect(await transport.sentRequests.count == 3)
    }

    @Test("settings profiles answered without their result are retried, never read as no profiles")
    func profilesWithoutResultAreRetried() async throws {
        let transport = FakeTransport([
            .envelope(result: "null"),
            .envelope(result: #"[{"policy_id":"p1","name":"Engineering"}]"#),
            .envelope(result: #"{"name":"Default"}"#),
        ])
        let profiles = try await makeClient(transport).settingsProfiles()
        #expect(profiles.map(\.name) == ["Default", "Engineering"])
    }
}

extension FakeTransport.Reply {
    /// A successful envelope with no `result` key at all.
    static func withoutResult(resultInfo: String) -> Self {
        let body = #"{"success":true,"errors":[],"messages":[],"result_info":\#(resultInfo)}"#
        return .response(HTTPResponse(status: 200, body: Array(body.utf8)))
    }
}
