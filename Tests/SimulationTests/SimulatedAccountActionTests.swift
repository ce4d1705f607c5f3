import Cloudflare
import Foundation
import Simulation
import Testing

@Suite("Revoking, unrevoking and deleting registrations")
struct SimulatedAccountActionTests {
    let clock = ManualClock(testNow)

    func makeAccount() -> SimulatedAccount {
        let registrations = (1...5).map { registration($0) } + [registration(6, revokedDaysAgo: 40)]
        return SimulatedAccount(
            configuration: testConfiguration(clock: clock),
            fleet: SimulatedFleet(registrations: registrations)
        )
    }

    @Test("revoke takes repeated ids, stamps revoked_at with the account's clock, and is idempotent")
    func revoke() throws {
        let account = makeAccount()
        let response = account.respond(
            to: request(
                .post,
                accountBase + "/devices/registrations/revoke",
                query: [("id", "r001"), ("id", "r003"), ("id", "r006")]
            )
        )
        #expect(response.status == 200)
        #expect(try decode(Empty.self, response).success)
        #expect(account.registration(id: "r001")?.revokedAt == testNow)
        #expect(account.registration(id: "r003")?.revokedAt == testNow)
        #expect(account.registration(id: "r002")?.revokedAt == nil)
        // Already revoked: kept as it was, and no change recorded.
        #expect(account.registration(id: "r006")?.revokedAt == testNow - 40 * day)
        #expect(account.changes.map(\.registrationID) == ["r001", "r003"])

        clock.advance(seconds: 60)
        let again = account.respond(
            to: request(.post, accountBase + "/devices/registrations/revoke", query: [("id", "r001")])
        )
        #expect(again.status == 200)
        #expect(account.registration(id: "r001")?.revokedAt == testNow)
        #expect(account.changes.count == 2)
        #expect(account.requestCount(for: .revokeRegistrations) == 2)

        // The listing sees the change: r001 moved from active to revoked.
        #expect(try !listAll(account, perPage: 10).ids.contains("r001"))
        #expect(try listAll(account, perPage: 10, query: [("status", "revoked")]).ids == ["r001", "r003", "r006"])
    }

    @Test("unrevoke clears revoked_at and is idempotent")
    func unrevoke() throws {
        let account = makeAccount()
        let response = account.respond(
            to: request(
                .post,
                accountBase + "/devices/registrations/unrevoke",
                query: [("id", "r006"), ("id", "r002")]
            )
        )
        #expect(response.status == 200)
        #expect(account.registration(id: "r006")?.revokedAt == nil)
        #expect(account.changes.map(\.kind) == [.unrevoked])
    }

    @Test(
        "an unknown id refuses the whole request with 404 and applies nothing",
        arguments: [
            (HTTPRequest.Method.post, "/devices/registrations/revoke"), (.post, "/devices/registrations/unrevoke"),
            (.delete, "/devices/registrations"),
        ]
    )
    func unknownID(method: HTTPRequest.Method, path: String) throws {
        let account = makeAccount()
        let before = account.registrations
        let response = account.respond(
            to: request(method, accountBase + path, query: [("id", "r001"), ("id", "r999"), ("id", "r006")])
        )
        #expect(response.status == 404)
        let envelope = try decode(Empty.self, response)
        #expect(!envelope.success)
        #expect(envelope.errors.first?.code == 1004)
        #expect(envelope.errors.first?.message.contains("r999") == true)
        #expect(account.registrations == before)
        #expect(account.changes.isEmpty)
    }

    @Test("bulk delete removes every listed registration, revoked or not, and records when")
    func bulkDelete() throws {
        let account = makeAccount()
        clock.advance(seconds: 5)
        let response = account.respond(
            to: request(
                .delete,
                accountBase + "/devices/registrations",
                query: [("id", "r002"), ("id", "r006"), ("id", "r002")]
            )
        )
        #expect(response.status == 200)
        #expect(account.registration(id: "r002") == nil)
        #expect(account.registration(id: "r006") == nil)
        #expect(account.registrations.map(\.id) == ["r001", "r003", "r004", "r005"])
        #expect(account.deletedRegistrationIDs == ["r002": testNow + 5, "r006": testNow + 5])

        // Deleting again is a 404: the answer a client sees when its first attempt did apply.
        let again = account.respond(
            to: request(.delete, accountBase + "/devices/registrations", query: [("id", "r002")])
        )
        #expect(again.status == 404)
    }

    @Test("a single registration is deleted by path")
    func singleDelete() throws {
        let account = makeAccount()
        #expect(account.respond(to: request(.delete, accountBase + "/devices/registrations/r004")).status == 200)
        #expect(account.registration(id: "r004") == nil)
        #expect(account.respond(to: request(.delete, accountBase + "/devices/registrations/r004")).status == 404)
        #expect(account.requestCount(for: .deleteRegistration) == 2)
        #expect(account.changes.map(\.kind) == [.deleted])
    }

    @Test("a request without ids, or with more than 200, is refused with 400")
    func idCount() throws {
        let account = SimulatedAccount(
            configuration: testConfiguration(),
            fleet: .generated(count: 300, seed: 1, now: testNow)
        )
        #expect(account.respond(to: request(.post, accountBase + "/devices/registrations/revoke")).status == 400)
        let ids = account.registrations.prefix(201).map { ("id", $0.id) }
        #expect(
            account.respond(to: request(.delete, accountBase + "/devices/registrations", query: Array(ids))).status
                == 400
        )
        #expect(
            account.respond(to: request(.delete, accountBase + "/devices/registrations", query: Array(ids.prefix(200))))
                .status == 200
        )
        #expect(account.registrations.count == 100)
    }

    @Test("a change shows up in the next listing: the cached JSON is re-rendered")
    func cacheInvalidation() throws {
        let account = makeAccount()
        let first = try decode(
            [Listed].self,
            account.respond(to: request(.get, accountBase + "/devices/registrations", query: [("status", "all")]))
        )
        #expect(first.result?.first?.revoked_at == nil)
        _ = account.respond(to: request(.post, accountBase + "/devices/registrations/revoke", query: [("id", "r001")]))
        let second = try decode(
            [Listed].self,
            account.respond(to: request(.get, accountBase + "/devices/registrations", query: [("status", "all")]))
        )
        #expect(second.result?.first?.revoked_at == "2026-11-18T11:06:40Z")

        account.update(id: "r002") { $0.deviceName = "renamed" }
        let third = try decode(
            [Listed].self,
            account.respond(to: request(.get, accountBase + "/devices/registrations"))
        )
        #expect(third.result?.first?.device.name == "renamed")
    }

    @Test("the request log records method, decoded path, repeated query items and status")
    func requestLog() throws {
        let account = makeAccount()
        _ = account.respond(
            to: request(.post, accountBase + "/devices/registrations/revoke", query: [("id", "r001"), ("id", "r002")])
        )
        let record = try #require(account.requestLog.last)
        #expect(record.method == .post)
        #expect(record.path == "/client/v4/accounts/\(testAccountID)/devices/registrations/revoke")
        #expect(record.values(for: "id") == ["r001", "r002"])
        #expect(record.endpoint == .revokeRegistrations)
        #expect(record.status == 200)
        #expect(record.time == testNow)
        account.resetObservations()
        #expect(account.requestLog.isEmpty && account.totalRequestCount == 0 && account.changes.isEmpty)
    }
}
