/// Monotonic time for pacing requests: how long since the source started, and a way to sleep.
///
/// Built from any standard `Clock`, so production uses `ContinuousClock` and tests use a clock
/// whose `sleep` returns at once and only advances virtual time.
public struct TimeSource: Sendable {
    private let elapsedSinceStart: @Sendable () -> Duration
    private let sleepFor: @Sendable (Duration) async throws -> Void

    /// Creates a time source that reads and sleeps on `clock`.
    public init<C: Clock>(clock: C) where C.Duration == Duration {
        let origin = clock.now
        elapsedSinceStart = { origin.duration(to: clock.now) }
        sleepFor = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
    }

    /// The production time source.
    public static var continuous: TimeSource { TimeSource(clock: ContinuousClock()) }

    /// Time since this source was created.
    public var elapsed: Duration { elapsedSinceStart() }

    /// Sleeps for `duration`; returns at once for zero or negative durations.
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return }
        try await sleepFor(duration)
    }
}
