import Logging
public import Rules

extension CloudflareClient {
    /// Lists every Access user, completely or not at all.
    ///
    /// `GET …/access/users` pages by number (`page`, `per_page`), so what ends the listing is the count
    /// the API gives for the whole directory: the listing is complete when the users read add up to
    /// `result_info.total_count`. Cloudflare's SDK models none of `result_info` as required, so where the
    /// API sends no total, a page shorter than the `per_page` it states ends the listing, and where it
    /// states no `per_page` either, an empty page does. Any page that cannot show where the listing stands
    /// (``accessUsersPageProblem(_:requestedPerPage:readBefore:earlierTotal:)``) is a transient failure: retried, then
    /// thrown, never taken for the end.
    ///
    /// A user deleted or added between two page requests shifts every later user by one place, so one
    /// user could go unread, or be read twice. Such a directory shows it moved: its total changes
    /// between the first and the last page, or the users read do not add up to it. It is then listed
    /// once more, and if it moves again this throws: a rule would read "not listed" as "not in Access".
    ///
    /// - Parameters:
    ///   - perPage: users asked for per page; the API may send fewer (its own `per_page`).
    ///   - maxPages: a bound on one listing; a directory that needs more throws rather than being cut.
    /// - Throws: ``CloudflareAPIError`` (`listingMoved` for a directory that moved twice) or
    ///   ``TransportError``.
    public func accessUsers(perPage: Int = 1000, maxPages: Int = 100_000) async throws -> [AccessUser] {
        let first = try await accessUsersListing(perPage: perPage, maxPages: maxPages)
        guard let movement = first.movement else { return first.users }
        logger.notice(
            "The Access users directory changed while it was listed; listing it again",
            metadata: ["detail": "\(movement)"])
        let second = try await accessUsersListing(perPage: perPage, maxPages: maxPages)
        guard let secondMovement = second.movement else { return second.users }
        throw CloudflareAPIError(
            code: .listingMoved, status: 200, request: "GET \(accountPath)/access/users",
            hint: "the Access users directory changed while it was listed, twice in a row (\(movement); then "
                + "\(secondMovement)); users missing from such a listing would read as offboarded, so nothing will "
                + "be acted on. The next run lists it again")
    }

    /// One listing of the Access users, page after page, and how the directory moved meanwhile (nil when
    /// the listing is consistent from its first page to its last).
    private func accessUsersListing(
        perPage: Int, maxPages: Int
    ) async throws -> (users: [AccessUser], movement: String?) {
        let path = accountPath + "/access/users"
        var users: [AccessUser] = []
        var firstTotal: Int?
        var previousBatch: [AccessUser] = []
        for page in 1...max(1, maxPages) {
            var query = QueryItems()
            query.append("page", String(page))
            query.append("per_page", String(perPage))
            let readBefore = users.count
            let earlierTotal = firstTotal
            let (envelope, _) = try await send(.get, path, query: query, expecting: [AccessUser].self) {
                Self.accessUsersPageProblem(
                    $0, requestedPerPage: perPage, readBefore: readBefore, earlierTotal: earlierTotal)
            }
            // The problem check above refused a page without its result.
            let batch = envelope.result ?? []
            let info = envelope.resultInfo ?? ResultInfo()
            // An API that ignores `page` answers the same users again and again; without a total, only an
            // empty page would end that.
            if !batch.isEmpty, batch == previousBatch {
                throw CloudflareAPIError(
                    code: .invalidResponse, status: 200, request: "GET \(path)",
                    hint: "page \(page) held the same users as page \(page - 1): the API is not paging, so the listing "
                        + "cannot be shown complete and nothing will be acted on")
            }
            previousBatch = batch
            users.append(contentsOf: batch)
            guard let total = info.totalCount else {
                // No total to add up to: the page the API cut below the page size it states is the last. An API
                // that states no page size may page by a smaller one than asked for, so only an empty page
                // ends its listing (as Cloudflare's SDK reads it).
                if info.perPage.map({ batch.count < $0 }) ?? batch.isEmpty { return (users, nil) }
                continue
            }
            if page == 1 { firstTotal = total }
            guard users.count >= total else { continue }
            if let firstTotal, firstTotal != total {
                return (users, "total_count went from \(firstTotal) to \(total) between page 1 and page \(page)")
            }
            if users.count != total {
                return (users, "\(users.count) users were read for a total_count of \(total)")
            }
            return (users, nil)
        }
        throw CloudflareAPIError(
            code: .invalidResponse, status: 200, request: "GET \(path)",
            hint: "the Access users listing did not end within \(maxPages) pages; nothing will be acted on")
    }

    /// What keeps a page of the Access users listing from showing where the listing stands, or nil.
    ///
    /// A page must carry its `result`. Its `result_info` is optional, as Cloudflare's SDK models it
    /// (`V4PagePaginationArrayResultInfo`); what is there is checked: a `count` must equal the users the page
    /// holds, a `per_page` must not exceed what was asked for, and the page no more users than that. With a
    /// `total_count`, a page shorter than its page size is the last one, so the users read must then reach
    /// the total: a page cut short in the middle, or emptied, fails here. A page without the `total_count`
    /// that page 1 carried fails too: the API is then not answering as it began.
    ///
    /// - Parameters:
    ///   - readBefore: the users read on the pages before this one.
    ///   - earlierTotal: the `total_count` of page 1, nil for page 1 or when it had none.
    static func accessUsersPageProblem(
        _ envelope: Envelope<[AccessUser]>, requestedPerPage: Int, readBefore: Int, earlierTotal: Int? = nil
    ) -> String? {
        guard let users = envelope.result else {
            return "the page came back successful but without its result, so it cannot show where the listing stands"
        }
        let info = envelope.resultInfo ?? ResultInfo()
        if let count = info.count, count != users.count {
            return "the page holds \(users.count) users but its result_info.count says \(count)"
        }
        let pageSize = info.perPage ?? requestedPerPage
        guard (1...max(1, requestedPerPage)).contains(pageSize), users.count <= pageSize else {
            return "the page holds \(users.count) users with a per_page of \(pageSize) where \(requestedPerPage) "
                + "were asked for"
        }
        guard let total = info.totalCount else {
            if let earlierTotal {
                return "the page came back without the total_count (\(earlierTotal)) that page 1 carried, so it "
                    + "cannot show whether more pages follow"
            }
            return nil
        }
        if users.count < pageSize, readBefore + users.count < total {
            return "the page holds \(users.count) users, fewer than its per_page of \(pageSize), yet the users read "
                + "add up to \(readBefore + users.count) of a total_count of \(total)"
        }
        return nil
    }

    /// Whether Access has a user with `email`, by a direct lookup (`GET …/access/users?email=`): what
    /// confirms, before anything is done, that a user the listing did not show is really gone.
    ///
    /// The email is compared as the rules compare it (``Directory/user(withEmail:)``), so a lookup that
    /// answers with other users as well still finds the one asked for.
    ///
    /// - Throws: ``CloudflareAPIError`` or ``TransportError`` when the lookup stayed unanswered or
    ///   unusable after the retries: an absence that cannot be confirmed is not one.
    public func accessUserExists(email: String) async throws -> Bool {
        var query = QueryItems()
        query.append("email", email)
        query.append("per_page", "50")
        let (envelope, _) = try await send(
            .get, accountPath + "/access/users", query: query, expecting: [AccessUser].self
        ) { envelope in
            guard let users = envelope.result else {
                return "the lookup came back successful but without its result, "
                    + "so it cannot show whether the user exists"
            }
            if let count = envelope.resultInfo?.count, count != users.count {
                return "the lookup holds \(users.count) users but its result_info.count says \(count)"
            }
            if Directory(accessUsers: users).user(withEmail: email) == nil, let total = envelope.resultInfo?.totalCount,
                total > users.count
            {
                return "the lookup matched \(total) users, more than its page holds, and the one asked for is not on it"
            }
            return nil
        }
        return Directory(accessUsers: envelope.result ?? []).user(withEmail: email) != nil
    }

    /// Reads one Access user: proves the token may list them (`check-config --online`).
    public func probeAccessUsers() async throws {
        var query = QueryItems()
        query.append("page", "1")
        query.append("per_page", "1")
        _ = try await send(.get, accountPath + "/access/users", query: query, expecting: [AccessUser].self) {
            Self.accessUsersPageProblem($0, requestedPerPage: 1, readBefore: 0)
        }
    }
}
