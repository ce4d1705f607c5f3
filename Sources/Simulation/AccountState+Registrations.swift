#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension AccountState {
    /// The most ids one revoke, unrevoke or delete request may carry (the API's documented `maxLength`).
    static let maxIDsPerRequest = 200
    static let defaultPerPage = 100

    /// The filters of one listing request.
    private struct ListingFilter {
        enum Status: String { case active, revoked, all }

        var status: Status = .active
        var seenBefore: Date?
        var seenAfter: Date?
        var ids: Set<String> = []
        var deviceIDs: Set<String> = []
        var userIDs: Set<String> = []

        func matches(_ entries: [Entry], at index: Int) -> Bool {
            switch status {
            case .active: if entries[index].isRevoked { return false }
            case .revoked: if !entries[index].isRevoked { return false }
            case .all: break
            }
            if let seenBefore, !(entries[index].lastSeen < seenBefore.timeIntervalSince1970) { return false }
            if let seenAfter, !(entries[index].lastSeen > seenAfter.timeIntervalSince1970) { return false }
            if !ids.isEmpty, !ids.contains(entries[index].registration.id) { return false }
            if !deviceIDs.isEmpty, !deviceIDs.contains(entries[index].registration.deviceID) { return false }
            if !userIDs.isEmpty, !userIDs.contains(entries[index].registration.userID ?? "") { return false }
            return true
        }
    }

    // MARK: - Listing

    /// `GET …/devices/registrations`: one page of the cursor listing, in id order.
    mutating func listRegistrations(_ target: RequestTarget) -> Answer {
        var filter = ListingFilter()
        if let status = target.value(for: "status") {
            guard let parsed = ListingFilter.Status(rawValue: status) else {
                return .failure(
                    400,
                    code: ErrorCode.badRequest,
                    "status must be active, revoked or all, not \"\(status)\""
                )
            }
            filter.status = parsed
        }
        for (name, keyPath) in [("seen_before", \ListingFilter.seenBefore), ("seen_after", \ListingFilter.seenAfter)] {
            guard let text = target.value(for: name) else { continue }
            guard let date = RFC3339.date(from: text) else {
                return .failure(
                    400,
                    code: ErrorCode.badRequest,
                    "\(name) must be an RFC 3339 timestamp, not \"\(text)\""
                )
            }
            filter[keyPath: keyPath] = date
        }
        filter.ids = Set(target.values(for: "id"))
        filter.deviceIDs = Set(target.values(for: "device.id"))
        filter.userIDs = Set(target.values(for: "user.id"))
        if let sortBy = target.value(for: "sort_by"), sortBy != "id" {
            return .failure(
                400,
                code: ErrorCode.badRequest,
                "the simulated account sorts by id only, not \"\(sortBy)\""
            )
        }
        if let sortOrder = target.value(for: "sort_order"), sortOrder != "asc" {
            return .failure(
                400,
                code: ErrorCode.badRequest,
                "the simulated account sorts in asc order only, not \"\(sortOrder)\""
            )
        }
        let includesPolicy = target.values(for: "include").contains { $0.split(separator: ",").contains("policy") }

        var perPage = Self.defaultPerPage
        if let text = target.value(for: "per_page") {
            guard let parsed = Int(text), parsed > 0 else {
                return .failure(400, code: ErrorCode.badRequest, "per_page must be a positive integer, not \"\(text)\"")
            }
            perPage = min(parsed, configuration.perPageMax)
        }

        var start = 0
        if let cursor = target.value(for: "cursor"), !cursor.isEmpty {
            guard let position = Self.position(fromCursor: cursor) else {
                return .failure(400, code: ErrorCode.badRequest, "invalid cursor")
            }
            if case .after(let lastID) = position { start = upperBound(after: lastID) }
        }

        // With an id filter, visit only those entries instead of walking the whole fleet.
        let candidates: [Int]? =
            filter.ids.isEmpty ? nil : filter.ids.compactMap { index(of: $0) }.filter { $0 >= start }.sorted()
        var page: [Int] = []
        page.reserveCapacity(min(perPage, entries.count))
        var hasMore = false
        var position = start
        var candidatePosition = 0
        while let index = nextCandidate(candidates, &candidatePosition, &position) {
            guard filter.matches(entries, at: index) else { continue }
            if page.count == perPage {
                hasMore = true
                break
            }
            page.append(index)
        }

        var cursor = ""
        if let last = page.last {
            switch configuration.listingEnd {
            case .emptyCursor: if hasMore { cursor = Self.cursor(after: entries[last].registration.id) }
            case .emptyPage: cursor = Self.cursor(after: entries[last].registration.id)
            }
        }

        var result = JSONWriter(capacity: page.count * (includesPolicy ? 860 : 720) + 2)
        result.raw("[")
        for (offset, index) in page.enumerated() {
            if offset > 0 { result.comma() }
            appendRendered(index, includesPolicy: includesPolicy, to: &result)
        }
        result.raw("]")

        var info = JSONWriter()
        info.raw("{")
        info.key("count")
        info.number(page.count)
        info.comma()
        info.key("per_page")
        info.number(perPage)
        info.comma()
        info.key("cursor")
        info.string(cursor)
        info.raw("}")
        return Answer(status: 200, body: Envelope.success(result: result.bytes, resultInfo: info.bytes))
    }

    /// `GET …/devices/registrations/{id}`.
    mutating func registration(id: String, target: RequestTarget) -> Answer {
        guard let index = index(of: id) else { return Self.notFound([id]) }
        let includesPolicy = target.values(for: "include").contains { $0.split(separator: ",").contains("policy") }
        var result = JSONWriter(capacity: 900)
        appendRendered(index, includesPolicy: includesPolicy, to: &result)
        return Answer(status: 200, body: Envelope.success(result: result.bytes))
    }

    // MARK: - Changes

    /// `POST …/registrations/revoke` and `…/unrevoke`: all ids or none; already in the target state is success.
    mutating func changeRevocation(_ target: RequestTarget, revoke: Bool, now: Date) -> Answer {
        let indices: [Int]
        switch resolve(ids: target.values(for: "id")) {
        case .found(let found): indices = found
        case .refused(let answer): return answer
        }
        let kind: SimulatedAccount.RegistrationChange.Kind = revoke ? .revoked : .unrevoked
        appliedRequests.append(.init(kind: kind, registrationIDs: target.values(for: "id"), time: now))
        for index in indices {
            var registration = entries[index].registration
            guard registration.isRevoked != revoke else { continue }
            registration.revokedAt = revoke ? now : nil
            registration.updatedAt = now
            entries[index] = Entry(registration)
            changes.append(.init(kind: revoke ? .revoked : .unrevoked, registrationID: registration.id, time: now))
        }
        return Answer(status: 200, body: Envelope.success(result: Array("{}".utf8)))
    }

    /// `DELETE …/registrations?id=…` and `DELETE …/registrations/{id}`: all ids or none.
    mutating func deleteRegistrations(ids: [String], now: Date) -> Answer {
        let indices: [Int]
        switch resolve(ids: ids) {
        case .found(let found): indices = found
        case .refused(let answer): return answer
        }
        appliedRequests.append(.init(kind: .deleted, registrationIDs: ids, time: now))
        for index in indices {
            let id = entries[index].registration.id
            deletions[id] = now
            changes.append(.init(kind: .deleted, registrationID: id, time: now))
        }
        entries.removeSubranges(RangeSet(indices.map { $0..<$0 + 1 }))
        return Answer(status: 200, body: Envelope.success(result: Array("{}".utf8)))
    }

    // MARK: - Look-ups

    func index(of id: String) -> Int? {
        let index = lowerBound(id)
        return index < entries.count && entries[index].registration.id == id ? index : nil
    }

    /// The index where `id` is, or would be inserted.
    func lowerBound(_ id: String) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].registration.id < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func upperBound(after id: String) -> Int {
        let index = lowerBound(id)
        return index < entries.count && entries[index].registration.id == id ? index + 1 : index
    }

    private enum Resolution {
        case found([Int])
        case refused(Answer)
    }

    /// The sorted indices of `ids` (duplicates count once), or the answer that refuses them all.
    private func resolve(ids: [String]) -> Resolution {
        let unique = Array(Set(ids)).sorted()
        guard !unique.isEmpty else {
            return .refused(
                .failure(400, code: ErrorCode.badRequest, "no registration ids: pass them as repeated id parameters")
            )
        }
        guard unique.count <= Self.maxIDsPerRequest else {
            return .refused(
                .failure(
                    400,
                    code: ErrorCode.badRequest,
                    "at most \(Self.maxIDsPerRequest) registration ids per request, not \(unique.count)"
                )
            )
        }
        var indices: [Int] = []
        var missing: [String] = []
        for id in unique {
            if let index = index(of: id) { indices.append(index) } else { missing.append(id) }
        }
        guard missing.isEmpty else { return .refused(Self.notFound(missing)) }
        return .found(indices)
    }

    private static func notFound(_ ids: [String]) -> Answer {
        .failure(404, code: ErrorCode.notFound, "registration not found: \(ids.joined(separator: ", "))")
    }

    /// The next index to visit: the next candidate, or simply the next entry when there are no candidates.
    private func nextCandidate(_ candidates: [Int]?, _ candidatePosition: inout Int, _ position: inout Int) -> Int? {
        if let candidates {
            guard candidatePosition < candidates.count else { return nil }
            defer { candidatePosition += 1 }
            return candidates[candidatePosition]
        }
        guard position < entries.count else { return nil }
        defer { position += 1 }
        return position
    }

    /// Renders every registration that is not rendered yet, with and without its policy.
    mutating func prerender() {
        for index in entries.indices {
            var ignored = JSONWriter(capacity: 0)
            appendRendered(index, includesPolicy: true, to: &ignored)
        }
    }

    /// Appends the registration's JSON, rendering and caching it on first use.
    private mutating func appendRendered(_ index: Int, includesPolicy: Bool, to json: inout JSONWriter) {
        let fractional = configuration.fractionalSeconds
        // Rendering through the buffer pointer reads the registration in place instead of copying it.
        if entries[index].body == nil {
            entries[index].body = entries.withUnsafeBufferPointer {
                $0[index].registration.renderedBody(fractionalSeconds: fractional)
            }
        }
        json.raw(entries[index].body ?? [])
        if includesPolicy {
            if entries[index].policy == nil {
                entries[index].policy = entries.withUnsafeBufferPointer {
                    $0[index].registration.renderedPolicy(fractionalSeconds: fractional)
                }
            }
            json.raw(entries[index].policy ?? [])
        }
        json.raw("}")
    }

    // MARK: - Cursor

    // The cursor names the last id returned, so the next page starts after it even if registrations were
    // deleted or added in between: nothing is listed twice and nothing that stayed is skipped.
    private static let cursorPrefix = "r1:"
    // A detour cursor resumes where another cursor (or the start) left off, under a text of its own: what
    // an API that answers an empty page in the middle of a listing hands out (`FaultPlan`'s `empty-detour`).
    private static let detourPrefix = "d1:"

    /// Where a cursor resumes the listing.
    enum CursorPosition: Equatable {
        case start
        case after(String)
    }

    static func cursor(after id: String) -> String {
        Base64.encode(Array((cursorPrefix + id).utf8), urlSafe: true)
    }

    /// A cursor that resumes exactly where `cursor` does (the start for nil or empty), yet differs from it and
    /// from every detour with another `nonce`.
    static func detourCursor(resuming cursor: String?, nonce: Int) -> String {
        Base64.encode(Array((detourPrefix + "\(nonce):" + (cursor ?? "")).utf8), urlSafe: true)
    }

    /// Where `cursor` resumes, or nil for a cursor this account never handed out.
    static func position(fromCursor cursor: String) -> CursorPosition? {
        guard let bytes = Base64.decodeURLSafe(cursor), let text = String(validating: bytes, as: UTF8.self) else {
            return nil
        }
        if text.hasPrefix(detourPrefix) {
            let rest = text.dropFirst(detourPrefix.count)
            guard let colon = rest.firstIndex(of: ":"), Int(rest[..<colon]) != nil else { return nil }
            let resumed = String(rest[rest.index(after: colon)...])
            return resumed.isEmpty ? .start : position(fromCursor: resumed)
        }
        guard text.hasPrefix(cursorPrefix), text.count > cursorPrefix.count else { return nil }
        return .after(String(text.dropFirst(cursorPrefix.count)))
    }
}
