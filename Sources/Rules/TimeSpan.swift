/// A length of time written "90d", "15m", "2w", "30s", "12h" (ztguardd.toml(5), DURATIONS).
///
/// Two spans are equal when they last equally long: `"14d"` equals `"2w"`. The unit written is kept
/// only for ``description``.
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The length in seconds.
    public var seconds: Int64
    /// The unit the text was written in, so that "28d" reads back as "28 days", not "4 weeks".
    private var writtenUnit: Unit?

    /// Creates a span of `seconds` seconds.
    public init(seconds: Int64) {
        self.seconds = seconds
        self.writtenUnit = nil
    }

    /// Parses a whole positive number followed by one unit: `s`, `m`, `h`, `d` or `w` (`"90d"`).
    ///
    /// Returns nil for anything else: spaces or words (`"90 days"`), signs (`"-1d"`, `"+1d"`),
    /// fractions (`"1.5h"`), a missing number or unit (`"d"`, `"90"`, `""`), upper-case units, a zero
    /// length (`"0d"`, which would make every `*_older_than` key select everything) and lengths that
    /// overflow 64-bit seconds.
    public init?(parsing text: String) {
        guard case .success(let span) = Self.parse(text), span.seconds > 0 else { return nil }
        self = span
    }

    /// Why a text is not a usable span, so that a message can say what is wrong with it.
    public enum ParseFailure: Error, Sendable, Equatable {
        /// Not a whole number followed by one unit (`"90 days"`, `"1.5h"`, `"90"`).
        case notASpan
        /// A number and a unit, but longer than 64-bit seconds can hold.
        case tooLong
    }

    /// Parses a whole number followed by one unit, zero included (`"0s"`): where zero means nothing,
    /// the caller refuses it with its own reason.
    public static func parse(_ text: String) -> Result<TimeSpan, ParseFailure> {
        let utf8 = text.utf8
        guard utf8.count >= 2, let unit = Unit(symbol: utf8[utf8.index(before: utf8.endIndex)]) else {
            return .failure(.notASpan)
        }
        var count: Int64 = 0
        var overflowed = false
        for byte in utf8.dropLast() {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return .failure(.notASpan) }
            let (shifted, overflow) = count.multipliedReportingOverflow(by: 10)
            let (sum, overflowAgain) = shifted.addingReportingOverflow(Int64(digit))
            overflowed = overflowed || overflow || overflowAgain
            count = sum
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unit.seconds)
        guard !overflowed, !overflow else { return .failure(.tooLong) }
        var span = TimeSpan(seconds: seconds)
        span.writtenUnit = unit
        return .success(span)
    }

    /// The span in words: "90 days", "1 day", "15 minutes", "2 weeks".
    ///
    /// Uses the unit the text was written in; otherwise the largest unit that divides it exactly.
    public var description: String {
        let unit =
            seconds == 0
            ? .second
            : writtenUnit.flatMap { seconds % $0.seconds == 0 ? $0 : nil }
                ?? Unit.largestFirst.first { seconds % $0.seconds == 0 } ?? .second
        let count = seconds / unit.seconds
        return "\(count) \(count == 1 ? unit.singular : unit.plural)"
    }

    /// The span as a `TimeInterval`-style number of seconds, for date arithmetic.
    var interval: Double { Double(seconds) }

    /// Spans compare by length.
    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }

    /// Spans are equal when they last equally long, whatever unit they were written in.
    public static func == (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds == rhs.seconds }

    /// Hashes the length only, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(seconds) }

    private enum Unit: Sendable {
        case second, minute, hour, day, week

        static let largestFirst: [Unit] = [.week, .day, .hour, .minute, .second]

        init?(symbol: UInt8) {
            switch symbol {
            case UInt8(ascii: "s"): self = .second
            case UInt8(ascii: "m"): self = .minute
            case UInt8(ascii: "h"): self = .hour
            case UInt8(ascii: "d"): self = .day
            case UInt8(ascii: "w"): self = .week
            default: return nil
            }
        }

        var seconds: Int64 {
            switch self {
            case .second: 1
            case .minute: 60
            case .hour: 3600
            case .day: 86_400
            case .week: 604_800
            }
        }

        var singular: String {
            switch self {
            case .second: "second"
            case .minute: "minute"
            case .hour: "hour"
            case .day: "day"
            case .week: "week"
            }
        }

        var plural: String { singular + "s" }
    }
}
