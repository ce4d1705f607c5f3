/// Cloudflare's error codes, where the API has a known one; the rest are plausible stand-ins.
enum ErrorCode {
    static let authentication = 10000
    static let invalidToken = 1000
    static let invalidRequestHeaders = 6003
    static let badRequest = 1001
    static let notFound = 1004
    static let noRoute = 7003
    static let methodNotAllowed = 7001
    static let rateLimited = 10429
}
