import Rules
import Testing

@testable import Cloudflare

@Suite struct CloudflareClientTests {
    @Test("a listing whose last page still carries a cursor ends on the following empty page, each registration once")
    func listingEndsOnEmptyPage() async throws {
        let transport = FakeTransport([
            .registrationsPage(ids: ["a", "b"], cursor: "c1"),
            .registrationsPage(ids: ["c"], cursor: "c2"),
            .registrationsPage(ids: [], cursor: ""),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a", "b", "c"])
        let targets = await transport.sentRequests.map(\.target)
        #expect(targets.count == 3)
        #expect(!targets[0].contains("cursor="))
        #expect(targets[1].contains("cursor=c1"))
        #expect(targets[2].contains("cursor=c2"))
    }

    @Test("a listing ends on an empty cursor without asking for another page")
    func listingEndsOnEmptyCursor() async throws {
        let transport = FakeTransport([
            .registrationsPage(ids: ["a"], cursor: "c1"),
            .registrationsPage(ids: ["b"], cursor: ""),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a", "b"])
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("a cursor handed back twice fails the listing instead of looping")
    func repeatedCursorFails() async throws {
        let transport = FakeTransport([
            .registrationsPage(ids: ["a"], cursor: "same"),
            .registrationsPage(ids: ["b"], cursor: "same"),
            .registrationsPage(ids: ["c"], cursor: "same"),
        ])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport).registrations(RegistrationQuery())
        }
        #expect(error?.code == .repeatedCursor)
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("a 429 pauses for its Retry-After, then the request succeeds")
    func tooManyRequestsPausesForRetryAfter() async throws {
        let clock = ManualClock()
        let transport = FakeTransport([
            .envelope(status: 429, success: false, headers: ["Retry-After": "37"]),
            .registrationsPage(ids: ["a"], cursor: ""),
        ])
        let registrations = try await makeClient(transport, clock: clock).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a"])
        #expect(clock.sleeps == [.seconds(37)])
    }

    @Test("a 429 asking for more than an hour fails the request at once instead of pausing for years", arguments: [
        "1e15", "1e17", "7200",
    ])
    func hugeRetryAfterFails(header: String) async throws {
        let clock = ManualClock()
        let transport = FakeTransport([.envelope(status: 429, success: false, headers: ["Retry-After": header])])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport, clock: clock).registrations(RegistrationQuery())
        }
        #expect(error?.code == .rateLimited)
        #expect(error?.hint?.contains("the next scheduled run tries again") == true)
        #expect(clock.totalSlept == .zero)
    }

    @Test("a 429's Retry-After is waited out in the limiter every request acquires, once, before the retry")
    func tooManyRequestsPausesInTheLimiter() async throws {
        let clock = ManualClock()
        let transport = FakeTransport([
            .envelope(status: 429, success: false, headers: ["Retry-After": "120"]),
            .envelope(result: #"{"id":"t","status":"active"}"#),
        ])
        let client = makeClient(transport, clock: clock)
        _ = try await client.verifyToken()
        // The client does not sleep on its own: it pauses the limiter, and its retry waits in acquire() like
        // any other request of the token would (ListingIntegrationTests shows another request held back, in
        // real time).
        #expect(clock.sleeps == [.seconds(120)])
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("a request waits through 10 pauses for 429; the 11th answer 429 fails it with what to do")
    func eleventhTooManyRequestsFails() async throws {
        let clock = ManualClock()
        let transport = FakeTransport(
            Array(repeating: .envelope(status: 429, success: false, headers: ["Retry-After": "1"]), count: 12))
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport, clock: clock).registrations(RegistrationQuery())
        }
        #expect(error?.code == .rateLimited)
        #expect(error?.hint?.contains("kept answering 429 after 10 pauses") == true, "\(String(describing: error))")
        #expect(clock.sleeps == Array(repeating: .seconds(1), count: 10))
        #expect(await transport.sentRequests.count == 11)
    }

    @Test("success:false under HTTP 200 is an error, retried as transient")
    func successFalseIsRetried() async throws {
        let transport = FakeTransport([
            .envelope(success: false, errors: #"[{"code":1000,"message":"temporary"}]"#),
            .registrationsPage(ids: ["a"], cursor: ""),
        ])
        let registrations = try await makeClient(transport).registrations(RegistrationQuery())
        #expect(registrations.map(\.id) == ["a"])
        #expect(await transport.sentRequests.count == 2)
    }

    @Test("5xx, truncated bodies and connection errors are retried with growing delays until the limit")
    func transientFailuresRetryWithBackoff() async throws {
        let clock = ManualClock()
        let transport = FakeTransport([
            .envelope(status: 503, success: false),
            .failure(TransportError(code: .connectionFailed, detail: "reset")),
            .response(HTTPResponse(status: 200, body: Array(#"{"success":true,"res"#.utf8))),
            .envelope(status: 502, success: false),
        ])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport, clock: clock, maxAttempts: 4).registrations(RegistrationQuery())
        }
        #expect(error?.code == .server)
        #expect(await transport.sentRequests.count == 4)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1), .seconds(2)])
    }

    @Test("other 4xx answers are not retried")
    func clientErrorsAreNotRetried() async throws {
        let transport = FakeTransport([.envelope(status: 400, success: false, errors: #"[{"code":7003,"message":"bad"}]"#)])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport).registrations(RegistrationQuery())
        }
        #expect(error?.code == .rejected)
        #expect(error?.messages == [.init(code: 7003, message: "bad")])
        #expect(await transport.sentRequests.count == 1)
    }

    @Test("a refused token is an authentication error that says what to check and never shows the token")
    func refusedTokenIsAuthenticationError() async throws {
        let transport = FakeTransport([
            .envelope(status: 401, success: false, errors: #"[{"code":1000,"message":"Invalid API Token"}]"#),
            .envelope(status: 401, success: false, errors: #"[{"code":1000,"message":"Invalid API Token"}]"#),
        ])
        let error = await #expect(throws: CloudflareAPIError.self) {
            try await makeClient(transport).verifyToken()
        }
        #expect(error?.isAuthenticationFailure == true)
        #expect(error?.description.contains("check the token") == true)
        #expect(error?.description.contains("secret-token-123") == false)
        let sent = await transport.sentRequests
        #expect(sent.map(\.target) == ["/client/v4/user/tokens/verify", "/client/v4/accounts/acc1/tokens/verify"])
        #expect(sent[0].header("Authorization") == "Bearer secret-token-123")
    }

    @Test("legacy credentials travel as X-Auth-Email and X-Auth-Key")
    func legacyCredentialHeaders() async throws {
        let transport = FakeTransport([.registrationsPage(ids: [], cursor: "")])
        let client = makeClient(transport, credentials: .globalKey(email: "admin@example.com", key: "k3y"))
        _ = try await client.registrations(RegistrationQuery())
        let request = try #require(await transport.sentRequests.first)
        #expect(request.header("X-Auth-Email") == "admin@example.com")
        #expect(request.header("X-Auth-Key") == "k3y")
        #expect(request.header("Authorization") == nil)
    }

    @Test("a batch is one revoke request: its ids as repeated query parameters, in order", arguments: [1, 50, 200])
    func revokeBatch(ids count: Int) async throws {
        let ids = (0..<count).map { "r\($0)" }
        let transport = FakeTransport([.envelope(result: "{}")])
        let result = await makeClient(transport).apply(.revoke, toBatch: ids)
        let sent = await transport.sentRequests
        #expect(sent.count == 1)
        #expect(sent.allSatisfy { $0.method == .post && $0.target.hasPrefix("/client/v4/accounts/acc1/devices/registrations/revoke?id=") })
        let sentIDs = sent.flatMap { request in
            request.target.split(separator: "?")[1].split(separator: "&").map { String($0.dropFirst("id=".count)) }
        }
        #expect(sentIDs == ids)
        #expect(result == BatchResult(action: .revoke, done: ids, failed: [:]))
    }

    @Test("a delete whose answer was lost is read back before anything is sent again, and counted done")
    func lostDeleteAnswerIsVerified() async throws {
        let transport = FakeTransport([
            .failure(TransportError(code: .connectionFailed, detail: "Connection reset by peer")),
            // The check: neither registration exists any more.
            .registrationsPage(ids: [], cursor: ""),
        ])
        let result = await makeClient(transport).apply(.delete, toBatch: ["x", "y"])
        #expect(result == BatchResult(action: .delete, done: ["x", "y"], failed: [:]))
        let sent = await transport.sentRequests
        try #require(sent.map(\.method) == [.delete, .get], "the delete is not sent a second time unread")
        #expect(sent[1].target.contains("id=x&id=y"))
        #expect(sent[1].target.contains("status=all"))
    }

    @Test("a revoke lost after the API applied part of it: read back, then only the rest is sent again")
    func lostRevokeSendsOnlyTheRest() async throws {
        let transport = FakeTransport([
            .failure(TransportError(code: .connectionFailed, detail: "Connection reset by peer")),
            // The check: a is revoked already, b is not.
            .envelope(
                result: "[" + FakeTransport.Reply.registrationJSON(id: "a", revokedAt: "2026-11-23T12:00:00Z") + ","
                    + FakeTransport.Reply.registrationJSON(id: "b") + "]",
                resultInfo: #"{"count":2,"cursor":""}"#),
            .envelope(result: "{}"),
        ])
        let result = await makeClient(transport).apply(.revoke, toBatch: ["a", "b"])
        #expect(result == BatchResult(action: .revoke, done: ["a", "b"], failed: [:]))
        let sent = await transport.sentRequests
        try #require(sent.map(\.method) == [.post, .get, .post])
        #expect(sent[0].target.hasSuffix("revoke?id=a&id=b"))
        #expect(sent[2].target.hasSuffix("revoke?id=b"), "only what the read-back found undone: \(sent[2].target)")
    }

    @Test("a batch the API really refuses is failed, each id with the API's message, after one read-back")
    func refusedBatchIsFailed() async throws {
        let transport = FakeTransport([
            .envelope(status: 400, success: false, errors: #"[{"code":7000,"message":"nope"}]"#),
            // The check: the registration is still active.
            .envelope(result: "[" + FakeTransport.Reply.registrationJSON(id: "a") + "]", resultInfo: #"{"count":1,"cursor":""}"#),
        ])
        let result = await makeClient(transport).apply(.revoke, toBatch: ["a"])
        #expect(result.done.isEmpty)
        #expect(result.failed["a"]?.contains("nope") == true)
        #expect(await transport.sentRequests.map(\.method) == [.post, .get])
    }
}
