public import Rules
public import FoundationEssentials

/// What to list: SPEC §2's filters of `GET /accounts/{id}/devices/registrations`.
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
    /// The listing ends on an empty cursor or an empty page (SPEC §2). A cursor that comes back a
    /// second time is an error, never an endless loop.
    ///
    /// - Parameter keepingBodies: false when `body` reads only the decoded registrations: each response
    ///   body is then freed before `body` runs, instead of being held while it does (`page.body` is empty).
    /// - Returns: how many registrations were listed.
    @discardableResult
    public func forEachRegistrationPage(
        _ query: RegistrationQuery, keepingBodies: Bool = true, _ body: (RegistrationPage) async throws -> Void
    ) async throws -> Int {
        let path = accountPath + "/devices/registrations"
        var cursor: String?
        var seenCursors: Set<String> = []
        var number = 0
        var listed = 0
        while true {
            let envelope: Envelope<[Registration]>
            var raw: [UInt8]
            (envelope, raw) = try await send(
                .get, path, query: query.queryItems(perPage: configuration.perPage, cursor: cursor),
                expecting: [Registration].self)
            if !keepingBodies { raw = [] }
            let registrations = envelope.result ?? []
            if registrations.isEmpty { return listed }
            number += 1
            listed += registrations.count
            try await body(RegistrationPage(number: number, registrations: registrations, body: raw))
            guard let next = envelope.resultInfo?.cursor, !next.isEmpty else { return listed }
            guard seenCursors.insert(next).inserted else {
                throw CloudflareAPIError(
                    code: .repeatedCursor, status: 200, request: "GET \(path)",
                    hint: "the API returned cursor \"\(next)\" twice after \(number) pages; the listing is incomplete, "
                        + "so nothing will be acted on")
            }
            cursor = next
        }
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
            expecting: [Registration].self)
        return envelope.result?.count ?? 0
    }
}
