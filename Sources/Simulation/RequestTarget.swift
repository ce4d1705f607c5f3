/// One `name=value` pair of a query string, percent-decoded.
public struct QueryItem: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The path and query of a request target (`/client/v4/…?id=a&id=b`), percent-decoded.
///
/// `+` in the query decodes to a space, as HTML forms and most servers have it: a client must send an
/// offset such as `+00:00` as `%2B00:00`.
public struct RequestTarget: Sendable, Hashable {
    public var path: String
    public var query: [QueryItem]

    public init(parsing target: String) {
        let pathPart: Substring
        let queryPart: Substring?
        if let mark = target.firstIndex(of: "?") {
            pathPart = target[..<mark]
            queryPart = target[target.index(after: mark)...]
        } else {
            pathPart = target[...]
            queryPart = nil
        }
        path = Self.percentDecoded(pathPart, plusIsSpace: false)
        query = (queryPart ?? "").split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return QueryItem(
                    name: Self.percentDecoded(pair[..<equals], plusIsSpace: true),
                    value: Self.percentDecoded(pair[pair.index(after: equals)...], plusIsSpace: true)
                )
            }
            return QueryItem(name: Self.percentDecoded(pair, plusIsSpace: true), value: "")
        }
    }

    /// Every value of the query parameter `name`, in order.
    public func values(for name: String) -> [String] {
        query.filter { $0.name == name }.map(\.value)
    }

    /// The first value of the query parameter `name`.
    public func value(for name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    private static func percentDecoded(_ text: Substring, plusIsSpace: Bool) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") && plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = hexValue(iterator[iterator.startIndex]),
                let low = hexValue(iterator[iterator.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
