#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension KeyedDecodingContainer {
    /// Decodes an RFC 3339 timestamp; nil when the key is missing, null or an empty string.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when the value is a string that is not RFC 3339.
    func decodeRFC3339IfPresent(forKey key: Key) throws -> Date? {
        guard let text = try decodeIfPresent(String.self, forKey: key), !text.isEmpty else { return nil }
        guard let date = RFC3339.date(from: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: self,
                debugDescription: "\"\(text)\" is not an RFC 3339 timestamp"
            )
        }
        return date
    }

    /// Decodes a nested object; nil when the key is missing or null.
    func nestedContainerIfPresent<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey>? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try nestedContainer(keyedBy: type, forKey: key)
    }
}

extension KeyedEncodingContainer {
    /// Encodes `date` as an RFC 3339 string, or nothing when it is nil.
    mutating func encodeRFC3339IfPresent(_ date: Date?, forKey key: Key) throws {
        guard let date else { return }
        try encode(RFC3339.string(from: date), forKey: key)
    }
}
