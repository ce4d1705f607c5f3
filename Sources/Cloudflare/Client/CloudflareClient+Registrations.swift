public import Rules
public import FoundationEssentials

/// What to list: the filters of `GET /accounts/{id}/devices/registrations`.
public struct RegistrationQuery: Sendable, Equatable {
    public var status: StatusFilter = .active
    public var includePolicy = false
    public var seenBefore: Date?
    public var seenAfter: Date?
    public var ids: [String] = []
    public var deviceIDs: [String] = []
    public var userIDs: [String] = []
    /// nil: the client's configured `per_page`.
    public var perPage: Int?

    public init(status: StatusFilter = .active) { self.status = status }

    func queryItems(perPage defaultPerPage: Int, cursor: String?) -> QueryItems {
        var query = QueryItems()
        query.append("per_page", String(perPage ?? defaultPerPage))
        query.append("status", status == .any ? "all" : status.rawValue)
        if includePolicy { query.append("include", "policy") }
        if let seenBefore { query.append("seen_before", RFC3339.string(from: seenBefore)) }
        if let seenAfter { query.append("seen_after", RFC3339.string(from: seenAfter)) }
        for id in ids { query.append("id", id) }
        for id in deviceIDs { query.append("device.id", id) }
        for id in userIDs { query.append("user.id", id) }
        if let cursor { query.append("cursor", cursor) }
        return query
    }
}

/// One page of a listing: the decoded registrations and the raw answer they came from.
public struct RegistrationPage: Sendable {
    /// 1 for the first page.
    public var number: Int
    public var registrations: [Registration]
    /// The response body, for callers that print registrations exactly as the API returned them;
    /// empty when the listing was asked for without bodies.
    public var body: [UInt8]
}

extension CloudflareClient {
    /// Lists every registration matching `query`, handing each page to `body` as it arrives so
    /// memory does not grow with the fleet.
    ///
    /// The listing ends only on the signals the API defines (ztguardd(8), LISTINGS AND COMPLETENESS): a
    /// page whose `result_info.cursor` is empty or missing, or an empty page whose `result_info.count` is 0.
    /// `result_info` and its fields are optional in Cloudflare's own SDK, so in a listing whose first page
    /// has no count, pages are read by their cursor alone: an empty page without a count whose cursor goes
    /// on is followed, not taken for the end. A listing whose first page counted itself must go on counting.
    /// A page that is broken rather than terse (``registrationPageProblem(_:counted:)``: no `result`, a
    /// count that disagrees with the page or that stopped coming) is a transient failure, retried and then
    /// thrown: a short answer is never the end of the listing. A cursor that comes back a second time is an
    /// error, never an endless loop.
    ///
    /// - Parameter keepingBodies: false when `body` reads only the decoded registrations: each response
    ///   body is then freed before `body` runs, instead of being held while it does (`page.body` is empty).
    /// - Parameter maxPages: a bound on the listing, empty pages included: one whose cursors never end fails
    ///   after this many pages (100,000 pages of the API's largest `per_page` are 100 million registrations).
    /// - Returns: how many registrations were listed.
    /// - Throws: ``CloudflareAPIError`` or ``TransportError`` when a page stayed unusable after the
    ///   retries; whatever `body` throws. Either way the listing is incomplete.
    @discardableResult
    public func forEachRegistrationPage(
        _ query: RegistrationQuery, keepingBodies: Bool = true, maxPages: Int = 100_000,
        _ body: (RegistrationPage) async throws -> Void
    ) async throws -> Int {
        let path = accountPath + "/devices/registrations"
        var cursor: String?
        var seenCursors: Set<String> = []
        var requested = 0
        var number = 0
        var listed = 0
        // Whether the first page counted itself: then every page must (nil until the first page is read).
        var counted: Bool?
        while true {
            let envelope: Envelope<[Registration]>
            var raw: [UInt8]
            let countedSoFar = counted
            (envelope, raw) = try await send(
                .get, path, query: query.queryItems(perPage: configuration.perPage, cursor: cursor),
                expecting: [Registration].self, problem: { Self.registrationPageProblem($0, counted: countedSoFar) })
            requested += 1
            if counted == nil { counted = envelope.resultInfo?.count != nil }
            if !keepingBodies { raw = [] }
            // The problem check above refused a page without its result.
            let registrations = envelope.result ?? []
            let next = envelope.resultInfo?.cursor ?? ""
            if registrations.isEmpty {
                // An empty page that counts itself 0 is the end; one without a count is where its cursor says.
                if envelope.resultInfo?.count != nil || next.isEmpty { return listed }
            } else {
                number += 1
                listed += registrations.count
                try await body(RegistrationPage(number: number, registrations: registrations, body: raw))
                guard !next.isEmpty else { return listed }
            }
            guard requested < maxPages else {
                throw CloudflareAPIError(
                    code: .invalidResponse, status: 200, request: "GET \(path)",
                    hint: "the listing did not end within \(maxPages) pages; the listing is incomplete, so nothing will "
                        + "be acted on")
            }
            guard seenCursors.insert(next).inserted else {
                throw CloudflareAPIError(
                    code: .repeatedCursor, status: 200, request: "GET \(path)",
                    hint: "the API returned cursor \"\(next)\" twice after \(requested) pages; the listing is "
                        + "incomplete, so nothing will be acted on")
            }
            cursor = next
        }
    }

    /// What keeps a page of the registrations listing from showing where the listing stands, or nil.
    ///
    /// A page must carry its `result` (an array, not missing or null). Its `result_info`, and the `count` and
    /// `cursor` in it, are optional, as Cloudflare's SDK models them (`CursorPaginationResultInfo`); a `count`
    /// that is there must equal the number of registrations the page holds, so that a page the API cut short
    /// is told apart from the last one whenever the API says how long the page is. A missing `cursor` reads
    /// as the empty cursor that ends the listing.
    ///
    /// - Parameter counted: true when the listing's first page carried a `count`: the API then counts its
    ///   pages, and one that comes without (a `result_info` lost, a cursor with it) is not answering as it
    ///   began, so it is not taken for the end either.
    static func registrationPageProblem(_ envelope: Envelope<[Registration]>, counted: Bool? = nil) -> String? {
        guard let registrations = envelope.result else {
            return "the page came back successful but without its result, so it cannot show where the listing stands"
        }
        guard let count = envelope.resultInfo?.count else {
            if counted == true {
                return "the page came back without the result_info.count that the listing's first page carried, so a "
                    + "short page could not be told from the last one"
            }
            return nil
        }
        guard count == registrations.count else {
            return "the page holds \(registrations.count) registrations but its result_info.count says \(count)"
        }
        return nil
    }

    /// Lists every registration matching `query` into one array.
    ///
    /// For short listings, such as a batch of IDs read back; a listing of the whole fleet goes through
    /// ``forEachRegistrationPage(_:_:)``, so that memory does not grow with it.
    public func registrations(_ query: RegistrationQuery) async throws -> [Registration] {
        var all: [Registration] = []
        try await forEachRegistrationPage(query) { all.append(contentsOf: $0.registrations) }
        return all
    }
}

extension CloudflareClient {
    /// Reads the first registration only: proves the account exists and the token may list it.
    ///
    /// - Returns: how many registrations came back (0 or 1).
    public func probeRegistrations() async throws -> Int {
        var query = RegistrationQuery(status: .any)
        query.perPage = 1
        let (envelope, _) = try await send(
            .get, accountPath + "/devices/registrations", query: query.queryItems(perPage: 1, cursor: nil),
            expecting: [Registration].self, problem: { Self.registrationPageProblem($0) })
        return envelope.result?.count ?? 0
    }
}
