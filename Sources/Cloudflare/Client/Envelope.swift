/// The response envelope every Cloudflare API v4 answer comes in.
struct Envelope<Payload: Decodable>: Decodable {
    var success: Bool
    var errors: [CloudflareAPIError.Message]
    var result: Payload?
    var resultInfo: ResultInfo?

    enum CodingKeys: String, CodingKey {
        case success, errors, result
        case resultInfo = "result_info"
    }

    init(success: Bool, errors: [CloudflareAPIError.Message], result: Payload?, resultInfo: ResultInfo?) {
        self.success = success
        self.errors = errors
        self.result = result
        self.resultInfo = resultInfo
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        success = try container.decode(Bool.self, forKey: .success)
        errors = try container.decodeIfPresent([CloudflareAPIError.Message].self, forKey: .errors) ?? []
        result = try container.decodeIfPresent(Payload.self, forKey: .result)
        resultInfo = try container.decodeIfPresent(ResultInfo.self, forKey: .resultInfo)
    }
}

/// Pagination details: `cursor` for cursor pagination, `page`/`total_pages` for page pagination.
struct ResultInfo: Decodable, Sendable, Equatable {
    var cursor: String?
    var count: Int?
    var perPage: Int?
    var page: Int?
    var totalCount: Int?
    var totalPages: Int?

    enum CodingKeys: String, CodingKey {
        case cursor, count, page
        case perPage = "per_page"
        case totalCount = "total_count"
        case totalPages = "total_pages"
    }
}

/// A result the client does not look inside (revoke, delete).
struct IgnoredPayload: Decodable {
    init(from decoder: any Decoder) throws {}
}
