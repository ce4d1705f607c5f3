import Cloudflare
import Foundation
import Simulation
import Testing

@Suite("Listing registrations")
struct SimulatedAccountListingTests {
    let fleet = SimulatedFleet.generated(count: 1234, seed: 7, now: testNow)

    @Test(
        "following the cursor lists every registration exactly once, whichever way the listing ends",
        arguments: [
            (SimulatedAccount.Configuration.ListingEnd.emptyCursor, 100), (.emptyCursor, 1234), (.emptyCursor, 617),
            (.emptyCursor, 1000), (.emptyPage, 100), (.emptyPage, 1234), (.emptyPage, 617),
        ]
    )
    func pagination(end: SimulatedAccount.Configuration.ListingEnd, perPage: Int) throws {
        let account = SimulatedAccount(configuration: testConfiguration(listingEnd: end), fleet: fleet)
        let listed = try listAll(account, perPage: perPage, query: [("status", "all")])

        #expect(listed.ids == fleet.registrations.map(\.id))
        let pageSize = min(perPage, 1000)  // the configured maximum
        let fullPages = (1234 + pageSize - 1) / pageSize
        // An exact multiple of per_page costs an extra, empty page when the listing ends on an empty page.
        #expect(listed.requests == (end == .emptyPage ? fullPages + 1 : fullPages))
    }

    @Test("an empty detour page has no count, and its cursor resumes exactly where the detoured one did",
        arguments: [nil, 1, 2])
    func emptyDetour(afterPages: Int?) throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        var cursor: String?
        var ids: [String] = []
        for _ in 0..<(afterPages ?? 0) {
            var query = [("status", "all"), ("per_page", "100")]
            if let cursor { query.append(("cursor", cursor)) }
            let page = try decode([Listed].self, account.respond(to: request(.get, accountBase + "/devices/registrations", query: query)))
            ids += (page.result ?? []).map(\.id)
            cursor = page.result_info?.cursor
        }
        var query = [("status", "all"), ("per_page", "100")]
        if let cursor { query.append(("cursor", cursor)) }
        let detourRequest = request(.get, accountBase + "/devices/registrations", query: query)
        let first = try decode([Listed].self, SimulatedAccount.emptyDetourPage(for: detourRequest, nonce: 1))
        let second = try decode([Listed].self, SimulatedAccount.emptyDetourPage(for: detourRequest, nonce: 2))
        #expect(first.result?.isEmpty == true)
        #expect(first.result_info?.count == nil)
        let detour = try #require(first.result_info?.cursor)
        #expect(detour != cursor && detour != second.result_info?.cursor, "a new cursor text each time")
        // Following the detour's cursor lists exactly what the detoured cursor would have.
        var rest = [("status", "all"), ("per_page", "100"), ("cursor", detour)]
        let resumed = try decode([Listed].self, account.respond(to: request(.get, accountBase + "/devices/registrations", query: rest)))
        rest.removeLast()
        if let cursor { rest.append(("cursor", cursor)) }
        let direct = try decode([Listed].self, account.respond(to: request(.get, accountBase + "/devices/registrations", query: rest)))
        #expect((resumed.result ?? []).map(\.id) == (direct.result ?? []).map(\.id))
        #expect((resumed.result ?? []).first?.id == fleet.registrations[ids.count].id)
    }

    @Test("the last page carries an empty cursor, or is followed by an empty page with an empty cursor")
    func endStyles() throws {
        let small = SimulatedFleet(registrations: (1...3).map { registration($0) })

        let emptyCursor = SimulatedAccount(configuration: testConfiguration(listingEnd: .emptyCursor), fleet: small)
        let last = try decode(
            [Listed].self,
            emptyCursor.respond(to: request(.get, accountBase + "/devices/registrations"))
        )
        #expect(last.result?.count == 3)
        #expect(last.result_info?.cursor == "")

        let emptyPage = SimulatedAccount(configuration: testConfiguration(listingEnd: .emptyPage), fleet: small)
        let full = try decode(
            [Listed].self,
            emptyPage.respond(to: request(.get, accountBase + "/devices/registrations"))
        )
        let cursor = try #require(full.result_info?.cursor)
        #expect(full.result?.count == 3)
        #expect(!cursor.isEmpty)
        let after = try decode(
            [Listed].self,
            emptyPage.respond(to: request(.get, accountBase + "/devices/registrations", query: [("cursor", cursor)]))
        )
        #expect(after.result?.isEmpty == true)
        #expect(after.result_info?.cursor == "")
        #expect(after.result_info?.count == 0)
    }

    @Test("deleting registrations between pages neither repeats nor skips the ones that remain")
    func cursorSurvivesDeletions() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let all = fleet.registrations.filter { !$0.isRevoked }.map(\.id)
        var removedBeforeListing: Set<String> = []
        let listed = try listAll(account, perPage: 100) { listedSoFar in
            // The first two of the next page go before they are listed; one of the page just listed goes too.
            let last = all.firstIndex(of: listedSoFar.last ?? "") ?? 0
            for index in [last + 1, last + 2] where index < all.count {
                removedBeforeListing.insert(all[index])
                account.remove(id: all[index])
            }
            account.remove(id: all[last - 5])
        }
        #expect(!removedBeforeListing.isEmpty)
        #expect(listed.ids == all.filter { !removedBeforeListing.contains($0) })
    }

    @Test(
        "status selects active (the default), revoked or all registrations",
        arguments: [nil, "active", "revoked", "all"]
    )
    func statusFilter(status: String?) throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let listed = try listAll(account, perPage: 1000, query: status.map { [("status", $0)] } ?? [])
        let expected = fleet.registrations.filter { registration in
            switch status {
            case "revoked": registration.isRevoked
            case "all": true
            default: !registration.isRevoked
            }
        }
        #expect(listed.ids == expected.map(\.id))
        #expect(!listed.ids.isEmpty)
    }

    @Test("seen_before and seen_after compare last_seen_at, and accept any RFC 3339 offset")
    func seenFilters() throws {
        let registrations = [
            registration(1, lastSeenDaysAgo: 200), registration(2, lastSeenDaysAgo: 91),
            registration(3, lastSeenDaysAgo: 89),
            registration(4, lastSeenDaysAgo: 1),
        ]
        let account = SimulatedAccount(
            configuration: testConfiguration(),
            fleet: SimulatedFleet(registrations: registrations)
        )
        let cutoff = testNow - 90 * day
        let utc = ISO8601DateFormatter().string(from: cutoff)

        let before = try listAll(account, perPage: 10, query: [("seen_before", utc)])
        #expect(before.ids == ["r001", "r002"])
        let after = try listAll(account, perPage: 10, query: [("seen_after", utc)])
        #expect(after.ids == ["r003", "r004"])

        // The same instant written with an offset and fractional seconds.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(secondsFromGMT: 2 * 3600)
        let offset = formatter.string(from: cutoff)
        #expect(offset.contains("+02:00"))
        let window = try listAll(
            account,
            perPage: 10,
            query: [("seen_before", offset), ("seen_after", ISO8601DateFormatter().string(from: testNow - 150 * day))]
        )
        #expect(window.ids == ["r002"])
    }

    @Test("an unparsable seen_before, status or per_page is refused with 400")
    func badParameters() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        for query in [
            [("seen_before", "90 days ago")], [("seen_before", "2026-11-18T07:46:40")], [("status", "deleted")],
            [("per_page", "0")], [("per_page", "ten")], [("cursor", "not a cursor!")], [("sort_by", "last_seen_at")],
        ] {
            let response = account.respond(to: request(.get, accountBase + "/devices/registrations", query: query))
            #expect(response.status == 400, "\(query)")
            #expect(try decode(Empty.self, response).success == false)
        }
    }

    @Test("the policy object is present only with include=policy")
    func includePolicy() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let plain = account.respond(
            to: request(.get, accountBase + "/devices/registrations", query: [("per_page", "50")])
        )
        #expect(!String(decoding: plain.body, as: UTF8.self).contains("\"policy\""))

        let withPolicy = try decode(
            [Listed].self,
            account.respond(
                to: request(
                    .get,
                    accountBase + "/devices/registrations",
                    query: [("per_page", "50"), ("include", "policy")]
                )
            )
        )
        let policies = try #require(withPolicy.result).map(\.policy)
        #expect(policies.count == 50)
        #expect(policies.allSatisfy { $0 != nil })
        let names = Set(policies.compactMap { $0?.name })
        #expect(names.isSubset(of: ["Default", "Engineering", "Contractors"]))
        #expect(policies.contains { $0?.default == true && $0?.name == "Default" })

        // Listing with the policy first must not leave it in the cached plain rendering.
        let again = account.respond(
            to: request(.get, accountBase + "/devices/registrations", query: [("per_page", "50")])
        )
        #expect(again.body == plain.body)
    }

    @Test("repeated id, device.id and user.id parameters select those registrations")
    func idFilters() throws {
        let registrations = (1...6).map { registration($0, userID: $0 <= 3 ? "alice" : "bob") }
        let account = SimulatedAccount(
            configuration: testConfiguration(),
            fleet: SimulatedFleet(registrations: registrations)
        )

        #expect(
            try listAll(account, perPage: 10, query: [("id", "r005"), ("id", "r002"), ("id", "nope")]).ids == [
                "r002", "r005",
            ]
        )
        #expect(try listAll(account, perPage: 1, query: [("id", "r005"), ("id", "r002")]).ids == ["r002", "r005"])
        #expect(
            try listAll(account, perPage: 10, query: [("device.id", "d-r003"), ("device.id", "d-r004")]).ids == [
                "r003", "r004",
            ]
        )
        #expect(try listAll(account, perPage: 10, query: [("user.id", "bob")]).ids == ["r004", "r005", "r006"])
        #expect(
            try listAll(account, perPage: 10, query: [("user.id", "bob"), ("id", "r001"), ("id", "r004")]).ids == [
                "r004"
            ]
        )
    }

    @Test("per_page defaults to 100 and is capped at the configured maximum")
    func perPageBounds() throws {
        let account = SimulatedAccount(configuration: testConfiguration(), fleet: fleet)
        let defaultPage = try decode(
            [Listed].self,
            account.respond(to: request(.get, accountBase + "/devices/registrations"))
        )
        #expect(defaultPage.result?.count == 100)
        #expect(defaultPage.result_info?.per_page == 100)

        let capped = try decode(
            [Listed].self,
            account.respond(to: request(.get, accountBase + "/devices/registrations", query: [("per_page", "5000")]))
        )
        #expect(capped.result?.count == 1000)
        #expect(capped.result_info?.per_page == 1000)
    }

    @Test("a single registration can be read by id, and a missing one is 404")
    func singleRegistration() throws {
        let account = SimulatedAccount(
            configuration: testConfiguration(),
            fleet: SimulatedFleet(registrations: [registration(1)])
        )
        let found = try decode(
            Listed.self,
            account.respond(to: request(.get, accountBase + "/devices/registrations/r001"))
        )
        #expect(found.result?.id == "r001")
        #expect(found.result?.device.name == "LAPTOP-R001")
        #expect(account.respond(to: request(.get, accountBase + "/devices/registrations/r404")).status == 404)
    }

    @Test("a registration without a user lists user as null")
    func nullUser() throws {
        var orphan = registration(1)
        orphan.userID = nil
        orphan.userEmail = nil
        orphan.userName = nil
        let account = SimulatedAccount(
            configuration: testConfiguration(),
            fleet: SimulatedFleet(registrations: [orphan])
        )
        let body = String(
            decoding: account.respond(to: request(.get, accountBase + "/devices/registrations")).body,
            as: UTF8.self
        )
        #expect(body.contains("\"user\":null"))
    }
}
