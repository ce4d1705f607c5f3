#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Reads and writes RFC 3339 timestamps such as `2026-08-01T09:12:00Z`, `2026-08-01T09:12:00.123456Z`
/// and `2026-08-01T11:12:00+02:00`.
///
/// Hand-written because a listing of 100,000 registrations holds 300,000 timestamps, and
/// `ISO8601DateFormatter` spends far longer on them than the rest of decoding.
public enum RFC3339 {
    /// Parses an RFC 3339 timestamp.
    ///
    /// Accepts `T`, `t` or a space between date and time, any number of fractional-second digits
    /// (nanoseconds are kept), and `Z`, `z` or a `±HH:MM` offset. A leap second (`:60`) is read as
    /// the first second of the next minute.
    ///
    /// - Returns: The instant, or nil when `text` is not a valid RFC 3339 timestamp (including
    ///   impossible dates such as February 30).
    public static func date(from text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// Parses an RFC 3339 timestamp given as UTF-8, as ``date(from:)`` does: for readers of JSON
    /// bytes, which then make no string.
    package static func date(utf8: ArraySlice<UInt8>) -> Date? {
        utf8.withUnsafeBufferPointer { parse($0) }
    }

    /// Formats `date` in UTC, as `2026-08-01T09:12:00Z`, adding microseconds
    /// (`2026-08-01T09:12:00.123456Z`) only when the instant has a fractional second.
    /// A non-finite date, which no parsed or computed date is, gives `invalid-date` rather than a trap.
    public static func string(from date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        append(date, fraction: .whenNonZero, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// How ``append(_:fraction:to:)`` writes the fractional second.
    package enum Fraction: Sendable {
        /// Whole seconds only.
        case omitted
        /// Six digits when the instant has a fractional second, none otherwise.
        case whenNonZero
        /// Always six digits, as the Cloudflare API writes its timestamps.
        case microseconds
    }

    /// Appends `date` in UTC to `bytes`: the formatter behind ``string(from:)``, shared with the
    /// simulated account, which renders hundreds of thousands of timestamps per listing.
    package static func append(_ date: Date, fraction: Fraction, to bytes: inout [UInt8]) {
        let interval = date.timeIntervalSince1970
        guard interval.isFinite else {
            bytes.append(contentsOf: "invalid-date".utf8)
            return
        }
        var wholeSeconds = interval.rounded(.down)
        var microseconds = Int(((interval - wholeSeconds) * 1_000_000).rounded())
        if microseconds >= 1_000_000 {
            wholeSeconds += 1
            microseconds -= 1_000_000
        }
        // Dates beyond ±2^53 seconds are not representable to the second anyway; clamp rather than trap.
        let seconds = Int64(max(min(wholeSeconds, 9_007_199_254_740_992), -9_007_199_254_740_992))
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilDate(fromDaysSinceEpoch: days)

        if year < 0 { bytes.append(UInt8(ascii: "-")) }
        let yearDigits = String(year.magnitude).utf8
        for _ in yearDigits.count..<4 { bytes.append(UInt8(ascii: "0")) }
        bytes.append(contentsOf: yearDigits)
        bytes.append(UInt8(ascii: "-"))
        appendTwoDigits(month, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendTwoDigits(day, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendTwoDigits(secondOfDay / 3600, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendTwoDigits(secondOfDay / 60 % 60, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendTwoDigits(secondOfDay % 60, to: &bytes)
        if fraction == .microseconds || (fraction == .whenNonZero && microseconds > 0) {
            bytes.append(UInt8(ascii: "."))
            var divisor = 100_000
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(microseconds / divisor % 10))
                divisor /= 10
            }
        }
        bytes.append(UInt8(ascii: "Z"))
    }

    private static func appendTwoDigits(_ value: Int, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "0") + UInt8(value / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        // The shortest valid form is "YYYY-MM-DDTHH:MM:SSZ".
        guard bytes.count >= 20 else { return nil }

        func digits(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<start + count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }

        guard let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = digits(5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = digits(8, 2),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
            let hour = digits(11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), bytes[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var position = 19
        var nanoseconds = 0
        if bytes[position] == UInt8(ascii: ".") {
            position += 1
            var scale = 100_000_000
            let firstDigit = position
            while position < bytes.count {
                let digit = bytes[position] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                nanoseconds += Int(digit) * scale
                scale /= 10
                position += 1
            }
            guard position > firstDigit else { return nil }
        }

        guard position < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[position] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            position += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard position + 6 == bytes.count,
                let offsetHour = digits(position + 1, 2), bytes[position + 3] == UInt8(ascii: ":"),
                let offsetMinute = digits(position + 4, 2),
                offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (bytes[position] == UInt8(ascii: "-") ? -1 : 1)
            position += 6
        default:
            return nil
        }
        guard position == bytes.count else { return nil }

        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1_000_000_000)
    }

    /// The days in `month` (1–12) of `year`, proleptic Gregorian.
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
    package static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(fromDaysSinceEpoch days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
