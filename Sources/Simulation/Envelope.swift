/// The Cloudflare v4 response envelope: `{"success","errors","messages","result","result_info"?}`.
enum Envelope {
    /// A success envelope around `result`, already rendered JSON.
    static func success(
        result: [UInt8],
        resultInfo: [UInt8]? = nil,
        messages: [(code: Int, message: String)] = []
    )
        -> [UInt8]
    {
        var json = JSONWriter(capacity: result.count + 128)
        json.raw("{\"success\":true,\"errors\":[],\"messages\":[")
        for (index, message) in messages.enumerated() {
            if index > 0 { json.comma() }
            json.raw("{\"code\":")
            json.number(message.code)
            json.raw(",\"message\":")
            json.string(message.message)
            json.raw("}")
        }
        json.raw("],\"result\":")
        json.raw(result)
        if let resultInfo {
            json.raw(",\"result_info\":")
            json.raw(resultInfo)
        }
        json.raw("}")
        return json.bytes
    }

    static func failure(code: Int, message: String) -> [UInt8] {
        var json = JSONWriter()
        json.raw("{\"success\":false,\"errors\":[{\"code\":")
        json.number(code)
        json.raw(",\"message\":")
        json.string(message)
        json.raw("}],\"messages\":[],\"result\":null}")
        return json.bytes
    }
}
