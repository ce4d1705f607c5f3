import Glibc
import Testing

@testable import ztguardd

/// The clock arithmetic of the daemon's executor (the executor itself runs only in the daemon's
/// process: DaemonLifecycleTests watch it sleep) and the signal relay.
@Suite struct MainThreadExecutorTests {
    @Test("a deadline 1 s ahead on either runtime clock is 1 s ahead on CLOCK_MONOTONIC", arguments: [
        (swiftClock: Int32(1), clock: CLOCK_BOOTTIME), (swiftClock: Int32(2), clock: CLOCK_MONOTONIC),
    ])
    func deadlineAhead(swiftClock: Int32, clock: clockid_t) {
        // Bracketed by CLOCK_MONOTONIC reads before and after: however long the machine takes between the
        // reads, "now" on `clock` lies between them, so its deadline lies between them plus 1 s.
        let before = MainThreadExecutor.monotonicNanoseconds()
        var now = timespec()
        clock_gettime(clock, &now)
        let deadline = MainThreadExecutor.monotonicDeadline(
            seconds: Int64(now.tv_sec) + 1, nanoseconds: Int64(now.tv_nsec), swiftClock: swiftClock)
        let after = MainThreadExecutor.monotonicNanoseconds()
        #expect(deadline >= before + 1_000_000_000 && deadline <= after + 1_000_000_000,
            "deadline \(deadline) ns, between \(before) and \(after) ns plus 1 s")
    }

    @Test("a deadline already passed is due now, and one beyond the representable range is never")
    func deadlineEdges() {
        let passed = MainThreadExecutor.monotonicDeadline(seconds: 0, nanoseconds: 0, swiftClock: 1)
        #expect(passed <= MainThreadExecutor.monotonicNanoseconds())
        #expect(MainThreadExecutor.monotonicDeadline(seconds: .max, nanoseconds: 999_999_999, swiftClock: 2) == .max)
        #expect(MainThreadExecutor.nanoseconds(seconds: 2, plus: 5) == 2_000_000_005)
        #expect(MainThreadExecutor.nanoseconds(seconds: -1, plus: -5) == 0)
        #expect(MainThreadExecutor.nanoseconds(seconds: .max, plus: 0) == .max)
        #expect(MainThreadExecutor.saturatingAdd(.max - 1, 5) == .max)
        #expect(MainThreadExecutor.saturatingAdd(40, 2) == 42)
    }

    @Test("a signal sent after stream(of:) returns reaches every stream subscribed to it", .timeLimit(.minutes(1)))
    func signalReachesSubscribers() async {
        let first = SignalRelay.shared.stream(of: [SIGUSR2])
        let second = SignalRelay.shared.stream(of: [SIGUSR2, SIGUSR1])
        // Without the relay's handler, SIGUSR2's default action would end the test process.
        kill(getpid(), SIGUSR2)
        var firstSignals = first.makeAsyncIterator()
        var secondSignals = second.makeAsyncIterator()
        #expect(await firstSignals.next() == SIGUSR2)
        #expect(await secondSignals.next() == SIGUSR2)
    }
}
