import Synchronization

/// A clock whose `sleep` returns at once after moving virtual time forward, recording each sleep,
/// so pacing and backoff are tested without waiting.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex<(now: Duration, sleeps: [Duration])>((.zero, []))

    var now: Instant { Instant(offset: state.withLock { $0.now }) }
    var minimumResolution: Duration { .nanoseconds(1) }
    /// Every sleep so far, in order.
    var sleeps: [Duration] { state.withLock { $0.sleeps } }
    var totalSlept: Duration { sleeps.reduce(.zero, +) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        state.withLock { state in
            let duration = deadline.offset - state.now
            if duration > .zero {
                state.sleeps.append(duration)
                state.now = deadline.offset
            }
        }
    }

    func advance(by duration: Duration) { state.withLock { $0.now += duration } }
}
