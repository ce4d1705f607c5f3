import Cloudflare
import Foundation
import Simulation
import Testing

@Suite("Access users and settings profiles")
struct SimulatedAccountDirectoryTests {
    struct User: Decodable {
        var id: String
        var email: String
        var last_successful_login: String?
    }
    struct Profile: Decodable {
        var name: String?
        var policy_id: String?
        var `default`: Bool
    }

    let fleet = SimulatedFleet.generated(count: 500, seed: 3, now: testNow)

    @Test("Access users page with page and per_page, and report total_count and total_pages")
    func accessUsersPaging() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let total = fleet.accessUsers.count
        var emails: [String] = []
        var page = 1
        while true {
            let response = account.respond(
                to: request(.get, accountBase + "/access/users", query: [("page", String(page)), ("per_page", "40")])
            )
            let envelope = try decode([User].self, response)
            let info = try #require(envelope.result_info)
            #expect(info.total_count == total)
            #expect(info.total_pages == (total + 39) / 40)
            #expect(info.page == page)
            #expect(info.per_page == 40)
            let users = envelope.result ?? []
            #expect(info.count == users.count)
            if users.isEmpty { break }
            emails += users.map(\.email)
            page += 1
        }
        #expect(page == (total + 39) / 40 + 1)
        #expect(emails == fleet.accessUsers.map(\.email))
        #expect(Set(emails).count == emails.count)
    }

    @Test("Access users default to 25 per page, and refuse page 0")
    func accessUsersDefaults() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let first = try decode([User].self, account.respond(to: request(.get, accountBase + "/access/users")))
        #expect(first.result?.count == 25)
        #expect(first.result_info?.page == 1)
        #expect(account.respond(to: request(.get, accountBase + "/access/users", query: [("page", "0")])).status == 400)
    }

    @Test("policies lists the custom profiles; policy answers the default profile")
    func profiles() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let custom = try decode([Profile].self, account.respond(to: request(.get, accountBase + "/devices/policies")))
        #expect(custom.result?.map(\.name) == ["Engineering", "Contractors"])
        #expect(custom.result?.allSatisfy { !$0.default && $0.policy_id != nil } == true)

        let defaultProfile = try decode(
            Profile.self,
            account.respond(to: request(.get, accountBase + "/devices/policy"))
        )
        #expect(defaultProfile.result?.default == true)
        // As the API's schema has it, the default profile carries no name or policy_id.
        #expect(defaultProfile.result?.name == nil)
    }
}
