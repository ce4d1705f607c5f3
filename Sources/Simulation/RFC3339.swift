import Rules

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// RFC 3339 timestamps as the API writes and reads them (`2025-02-03T18:15:01Z`).
///
/// Formatting is the rule engine's (`Rules.RFC3339`), which renders hundreds of thousands of timestamps
/// fast. The parser is the API's own, stricter than the rule engine's: it takes every RFC 3339 form a
/// client may send in a query (fractional seconds, numeric offsets) but not a space for the `T`.
enum RFC3339 {
    /// Appends `date` in UTC, with microseconds when `fractional` is true (the calendar arithmetic
    /// is the rule engine's, `Rules.RFC3339`).
    static func append(_ date: Date, fractional: Bool, to bytes: inout [UInt8]) {
        Rules.RFC3339.append(date, fraction: fractional ? .microseconds : .omitted, to: &bytes)
    }

    /// The timestamp of `date` in UTC, whole seconds unless `fractional`.
    static func string(from date: Date, fractional: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        append(date, fractional: fractional, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil for anything else.
    static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        var position = 0

        func number(_ width: Int) -> Int? {
            guard position + width <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + width] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += width
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard position < bytes.count, characters.utf8.contains(bytes[position]) else { return false }
            position += 1
            return true
        }

        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt"), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), (1...Rules.RFC3339.daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second < 61
        else { return nil }

        var fraction = 0.0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            var scale = 0.1
            let start = position
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                fraction += Double(bytes[position] - UInt8(ascii: "0")) * scale
                scale /= 10
                position += 1
            }
            guard position > start else { return nil }
        }

        var offsetSeconds = 0
        if expect("Zz") {
            offsetSeconds = 0
        } else if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
            let sign = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            position += 1
            guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24,
                offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard position == bytes.count else { return nil }

        let days = Rules.RFC3339.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
