import Cloudflare
import Foundation
import Simulation
import Testing

@Suite("Generated fleets")
struct SimulatedFleetTests {
    let fleet = SimulatedFleet.generated(count: 5000, seed: 42, now: testNow)

    @Test("the same count, seed and now give the same fleet, and the same bytes over the API")
    func determinism() throws {
        let again = SimulatedFleet.generated(count: 5000, seed: 42, now: testNow)
        #expect(again == fleet)

        func firstPage(_ fleet: SimulatedFleet) -> [UInt8] {
            let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
            return account.respond(
                to: request(
                    .get,
                    accountBase + "/devices/registrations",
                    query: [("per_page", "1000"), ("include", "policy"), ("status", "all")]
                )
            ).body
        }
        #expect(firstPage(again) == firstPage(fleet))

        let other = SimulatedFleet.generated(count: 5000, seed: 43, now: testNow)
        #expect(other.registrations.map(\.id) != fleet.registrations.map(\.id))
    }

    @Test("registration, device and user ids are unique, UUID-shaped and sorted")
    func ids() {
        let ids = fleet.registrations.map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(Set(fleet.registrations.map(\.deviceID)).count == ids.count)
        #expect(ids == ids.sorted())
        let shape = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/
        #expect(ids.allSatisfy { $0.wholeMatch(of: shape) != nil })
    }

    @Test("the shares of stale, revoked, old-client, offboarded and user-less registrations are realistic")
    func shares() {
        let registrations = fleet.registrations
        func share(_ predicate: (SimulatedRegistration) -> Bool) -> Double {
            Double(registrations.filter(predicate).count) / Double(registrations.count)
        }
        let stale = share { !$0.isRevoked && $0.lastSeenAt < testNow - 91 * day }
        #expect((0.06...0.10).contains(stale))
        #expect(registrations.allSatisfy { $0.isRevoked || $0.lastSeenAt > testNow - 400 * day - 1 })

        #expect((0.035...0.065).contains(share(\.isRevoked)))
        let revokedAges = registrations.compactMap(\.revokedAt).map { testNow.timeIntervalSince($0) / day }
        #expect(revokedAges.allSatisfy { (5...200.01).contains($0) })

        #expect((0.08...0.12).contains(share { SimulatedFleet.oldClientVersions.contains($0.clientVersion ?? "") }))
        #expect(registrations.contains { $0.clientVersion == nil })
        #expect(registrations.contains { $0.clientVersion?.split(separator: ".").count == 3 })

        let accessEmails = Set(fleet.accessUsers.map(\.email))
        let offboarded = share {
            ($0.userEmail.map { !accessEmails.contains($0) } ?? false) && !$0.deviceName.hasPrefix("warp-connector-")
        }
        #expect((0.02...0.04).contains(offboarded))
        #expect(registrations.contains { $0.userID == nil && $0.userEmail == nil })
        #expect(Set(registrations.compactMap(\.keyType)) == ["curve25519", "secp256r1"])
        #expect(Set(registrations.compactMap(\.tunnelType)) == ["wireguard", "masque"])
        #expect(registrations.allSatisfy { $0.createdAt <= $0.lastSeenAt })
    }

    @Test("a handful of WARP connectors belong to service accounts that are not Access users")
    func connectors() {
        let connectors = fleet.registrations.filter { $0.deviceName.hasPrefix("warp-connector-") }
        #expect((2...6).contains(connectors.count))
        #expect(connectors.allSatisfy { $0.userEmail?.hasSuffix("@svc.example.com") == true })
        #expect(!fleet.accessUsers.contains { $0.email.hasSuffix("@svc.example.com") })
    }

    @Test("three profiles, one default, and contractors on the Contractors profile")
    func profiles() {
        #expect(fleet.profiles.map(\.name) == ["Default", "Engineering", "Contractors"])
        #expect(fleet.profiles.filter(\.isDefault).map(\.name) == ["Default"])
        let contractors = fleet.registrations.filter { $0.userEmail?.hasSuffix("@contractor.example.com") == true }
        #expect(!contractors.isEmpty)
        #expect(contractors.allSatisfy { $0.profile?.name == "Contractors" })
        #expect(Set(fleet.registrations.compactMap(\.profile?.name)) == ["Default", "Engineering", "Contractors"])
    }

    @Test("Access users have unique emails, mostly recent logins, and some that have not logged in for months")
    func accessUsers() {
        let emails = fleet.accessUsers.map(\.email)
        #expect(Set(emails).count == emails.count)
        let logins = fleet.accessUsers.compactMap(\.lastSuccessfulLogin)
        #expect(logins.contains { $0 < testNow - 120 * day })
        #expect(Double(logins.filter { $0 > testNow - 30 * day }.count) > 0.7 * Double(fleet.accessUsers.count))
    }

    @Test("small fleets are generated too", arguments: [0, 1, 19, 20])
    func small(count: Int) {
        #expect(SimulatedFleet.generated(count: count, seed: 1, now: testNow).registrations.count == count)
    }
}
