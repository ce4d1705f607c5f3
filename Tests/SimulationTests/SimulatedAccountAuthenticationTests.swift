import Cloudflare
import Foundation
import Simulation
import Testing

@Suite("Authentication, token verification and routing")
struct SimulatedAccountAuthenticationTests {
    struct Token: Decodable {
        var id: String
        var status: String
        var expires_on: String?
    }

    let fleet = SimulatedFleet(registrations: [registration(1)])

    @Test(
        "a missing or wrong token is refused with 401 and Cloudflare's authentication error",
        arguments: [nil, "wrong-token"]
    )
    func refusedToken(token: String?) throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        for url in [accountBase + "/devices/registrations", apiBase + "/user/tokens/verify"] {
            let response = account.respond(to: request(.get, url, token: token))
            #expect(response.status == 401)
            let envelope = try decode(Empty.self, response)
            #expect(!envelope.success)
            #expect(envelope.errors.map(\.code) == [10000])
            #expect(envelope.errors.first?.message == "Authentication error")
        }
    }

    @Test("the legacy X-Auth-Email and X-Auth-Key pair is accepted when configured")
    func legacyCredentials() throws {
        var configuration = testConfiguration()
        configuration.legacyCredentials = .init(email: "admin@example.com", key: "0123456789abcdef")
        let account = SimulatedAccount(configuration: configuration, fleet: fleet)
        let url = accountBase + "/devices/registrations"
        let accepted = HTTPRequest(
            method: .get,
            url: url,
            headers: [("X-Auth-Email", "Admin@Example.com"), ("X-Auth-Key", "0123456789abcdef")]
        )
        #expect(account.respond(to: accepted).status == 200)
        let wrongKey = HTTPRequest(
            method: .get,
            url: url,
            headers: [("X-Auth-Email", "admin@example.com"), ("X-Auth-Key", "nope")]
        )
        #expect(account.respond(to: wrongKey).status == 401)
    }

    @Test("another account's id is refused with 403")
    func wrongAccount() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let response = account.respond(
            to: request(.get, apiBase + "/accounts/ffffffffffffffffffffffffffffffff/devices/registrations")
        )
        #expect(response.status == 403)
        #expect(try decode(Empty.self, response).errors.first?.code == 10000)
    }

    @Test("an unknown path is 404 and a known path with the wrong method 405, both as envelopes")
    func routing() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let unknown = account.respond(to: request(.get, accountBase + "/devices/physical-devices"))
        #expect(unknown.status == 404)
        #expect(try decode(Empty.self, unknown).errors.first?.code == 7003)
        #expect(account.respond(to: request(.get, "https://api.cloudflare.com/v4/user/tokens/verify")).status == 404)
        #expect(account.respond(to: request(.get, accountBase + "/devices/registrations/revoke")).status == 405)
        #expect(account.respond(to: request(.post, accountBase + "/devices/registrations")).status == 405)
        #expect(account.requestCount(for: .unknown) == 4)
    }

    @Test("a user token verifies on /user/tokens/verify only, an account token on /accounts/{id}/tokens/verify only")
    func verifyByKind() throws {
        let user = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let verified = try decode(Token.self, user.respond(to: request(.get, apiBase + "/user/tokens/verify")))
        #expect(verified.result?.status == "active")
        #expect(verified.messages.first?.message == "This API Token is valid and active")
        #expect(user.respond(to: request(.get, accountBase + "/tokens/verify")).status == 401)

        var configuration = testConfiguration()
        configuration.tokenKind = .account
        let owned = SimulatedAccount(configuration: configuration, fleet: fleet)
        #expect(
            try decode(Token.self, owned.respond(to: request(.get, accountBase + "/tokens/verify"))).result?.status
                == "active"
        )
        #expect(owned.respond(to: request(.get, apiBase + "/user/tokens/verify")).status == 401)
    }

    @Test("a disabled token verifies as disabled and is refused everywhere else")
    func disabledToken() throws {
        var configuration = testConfiguration()
        configuration.tokenStatus = .disabled
        let account = SimulatedAccount(configuration: configuration, fleet: fleet)
        let verified = try decode(Token.self, account.respond(to: request(.get, apiBase + "/user/tokens/verify")))
        #expect(verified.success)
        #expect(verified.result?.status == "disabled")
        #expect(account.respond(to: request(.get, accountBase + "/devices/registrations")).status == 401)
    }

    @Test("a token reports its expiry, and expires when the account's clock passes it")
    func expiringToken() throws {
        let clock = ManualClock(testNow)
        var configuration = testConfiguration(clock: clock)
        configuration.tokenExpiresOn = testNow + 10 * day
        let account = SimulatedAccount(configuration: configuration, fleet: fleet)
        let verified = try decode(Token.self, account.respond(to: request(.get, apiBase + "/user/tokens/verify")))
        #expect(verified.result?.status == "active")
        #expect(verified.result?.expires_on == "2026-11-28T11:06:40Z")

        clock.advance(seconds: 10 * day)
        let expired = try decode(Token.self, account.respond(to: request(.get, apiBase + "/user/tokens/verify")))
        #expect(expired.result?.status == "expired")
        #expect(account.respond(to: request(.get, accountBase + "/devices/registrations")).status == 401)
    }

    @Test("the account is a Transport: send answers as respond does")
    func transport() async throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let transport: any Transport = account
        let response = try await transport.send(request(.get, accountBase + "/devices/registrations"))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
    }
}
