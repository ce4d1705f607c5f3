import CSwiftExecutorHooks
// SchedulingExecutor (SE-0505, in Swift 6.3 behind this SPI): how Task.sleep finds the executor that
// keeps its timer. Without it, sleeps went to libdispatch's timer queue and woke a dispatch worker.
@_spi(ExperimentalScheduling) import _Concurrency

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs every Swift task of the process on the main thread, in place of libdispatch.
///
/// Why: on Linux the default global executor is libdispatch's thread pool, and libdispatch starts a
/// pool monitor (a one-second timer, created with the first worker thread and never cancelled) that
/// wakes the process every second for the rest of its life. A daemon that should sleep for an hour
/// between runs did not: 10 wake-ups in 10 idle seconds. ztguardd's async work is small and waits on
/// the network, so one thread is enough; between runs it sleeps in one futex wait until its next
/// deadline (the next run or the next watchdog ping). Blocking work runs on threads of its own: libcurl
/// (``CurlTransport``) and the signal reader (``SignalRelay``) resume their tasks through the hooks.
///
/// It takes over through the Swift runtime's executor hooks (`swift_task_enqueueGlobal_hook` and its
/// siblings, the mechanism SwiftNIO's `NIOSingletons` uses to make an event loop the global executor),
/// installed by ``install()`` before the first task exists. Jobs run in arrival order; timers in deadline
/// order. Swift 6.3.1 has `ExecutorFactory` (the future public way) only behind an experimental SPI.
final class MainThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `ready` and `timers` are only touched with `mutex` held.

    /// The executor the hooks feed; ``install()`` makes it the process's global executor.
    static let shared = MainThreadExecutor()

    private struct Timer {
        /// CLOCK_MONOTONIC nanoseconds.
        var deadline: UInt64
        var job: UnownedJob
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var ready: [UnownedJob] = []
    /// Sorted by deadline; equal deadlines keep their arrival order.
    private var timers: [Timer] = []

    private init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    /// Makes ``shared`` the executor of every task. Call once, from the main thread, before any task
    /// exists; then create the first task, detached, and call ``run()``.
    ///
    /// The main actor stays libdispatch's: Swift 6.3 sends main-actor jobs to dispatch's main queue
    /// without asking the hooks (measured: `swift_task_enqueueMainExecutor_hook` is not called), and
    /// nothing drains that queue here, so a hop to the main actor would wait forever. Neither ztguardd
    /// nor its dependencies (ArgumentParser, swift-log, ServiceLifecycle, TOMLKit) use the main actor;
    /// every command's integration test would hang if one started to.
    static func install() -> MainThreadExecutor {
        let global: EnqueueHook = { job, _ in
            MainThreadExecutor.shared.append(job)
        }
        let delayed: DelayHook = { delay, job, _ in
            MainThreadExecutor.shared.enqueue(job, afterNanoseconds: delay)
        }
        let deadline: DeadlineHook = { seconds, nanoseconds, _, _, clock, job, _ in
            MainThreadExecutor.shared.enqueue(job, atSeconds: seconds, nanoseconds: nanoseconds, swiftClock: clock)
        }
        ztguardd_install_executor_hooks(
            unsafeBitCast(global, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(delayed, to: UnsafeMutableRawPointer.self),
            unsafeBitCast(deadline, to: UnsafeMutableRawPointer.self))
        return shared
    }

    func enqueue(_ job: consuming ExecutorJob) {
        append(UnownedJob(job))
    }

    /// Runs jobs as they become ready, on the calling (main) thread. Never returns: the process ends
    /// when its command calls `exit`.
    func run() -> Never {
        let taskExecutor = asUnownedTaskExecutor()
        var batch: [UnownedJob] = []
        pthread_mutex_lock(mutex)
        while true {
            let now = Self.monotonicNanoseconds()
            let due = timers.prefix { $0.deadline <= now }.count
            if due > 0 {
                ready.append(contentsOf: timers[..<due].lazy.map(\.job))
                timers.removeFirst(due)
            }
            guard ready.isEmpty else {
                swap(&batch, &ready)
                pthread_mutex_unlock(mutex)
                for job in batch { job.runSynchronously(on: taskExecutor) }
                batch.removeAll(keepingCapacity: true)
                pthread_mutex_lock(mutex)
                continue
            }
            if let next = timers.first?.deadline {
                var wakeAt = timespec(tv_sec: Int(next / 1_000_000_000), tv_nsec: Int(next % 1_000_000_000))
                pthread_cond_timedwait(condition, mutex, &wakeAt)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
    }

    private func append(_ job: UnownedJob) {
        pthread_mutex_lock(mutex)
        ready.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func enqueue(_ job: UnownedJob, afterNanoseconds delay: UInt64) {
        enqueue(job, at: Self.saturatingAdd(Self.monotonicNanoseconds(), delay))
    }

    private func enqueue(_ job: UnownedJob, atSeconds seconds: Int64, nanoseconds: Int64, swiftClock: Int32) {
        enqueue(job, at: Self.monotonicDeadline(seconds: seconds, nanoseconds: nanoseconds, swiftClock: swiftClock))
    }

    private func enqueue(_ job: UnownedJob, at deadline: UInt64) {
        pthread_mutex_lock(mutex)
        var index = timers.endIndex
        while index > timers.startIndex, timers[index - 1].deadline > deadline { index -= 1 }
        timers.insert(Timer(deadline: deadline, job: job), at: index)
        // The loop may be waiting for a later deadline: let it recompute.
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    // MARK: Clocks

    static func monotonicNanoseconds() -> UInt64 {
        nanoseconds(on: CLOCK_MONOTONIC)
    }

    private static func nanoseconds(on clock: clockid_t) -> UInt64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// A deadline on one of the runtime's clocks, as CLOCK_MONOTONIC nanoseconds. The runtime's
    /// `swift_clock_id_continuous` (1) is CLOCK_BOOTTIME on Linux, `swift_clock_id_suspending` (2)
    /// CLOCK_MONOTONIC; any other is taken as monotonic.
    ///
    /// The time left is measured once, here, and then waited for on CLOCK_MONOTONIC (a condition
    /// variable cannot wait on CLOCK_BOOTTIME): time the machine spends suspended is not counted, and
    /// a ContinuousClock deadline passed during a suspension fires that much later. Servers do not
    /// suspend; a laptop running the daemon would run late by the length of its sleep.
    static func monotonicDeadline(seconds: Int64, nanoseconds: Int64, swiftClock: Int32) -> UInt64 {
        let clock = swiftClock == 1 ? CLOCK_BOOTTIME : CLOCK_MONOTONIC
        let target = Self.nanoseconds(seconds: seconds, plus: nanoseconds)
        let now = Self.nanoseconds(on: clock)
        let remaining = target > now ? target - now : 0
        return saturatingAdd(monotonicNanoseconds(), remaining)
    }

    /// `seconds` and `nanoseconds` as nanoseconds; negatives count as 0, a total past `UInt64` as its maximum.
    static func nanoseconds(seconds: Int64, plus nanoseconds: Int64) -> UInt64 {
        let (whole, overflow) = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : saturatingAdd(whole, UInt64(clamping: nanoseconds))
    }

    static func saturatingAdd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? UInt64.max : sum
    }
}

extension MainThreadExecutor: SchedulingExecutor {
    /// Task.sleep, ContinuousClock.sleep and SuspendingClock.sleep: the job runs on the main thread
    /// once `delay` has passed on CLOCK_MONOTONIC (so not counting a suspension; see
    /// ``monotonicDeadline(seconds:nanoseconds:swiftClock:)``). The two standard clocks measure in
    /// `Duration`; a delay that is not one, or is negative, runs at once rather than never.
    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        let positive = (delay as? Duration).flatMap { $0 > .zero ? $0 : nil } ?? .zero
        let (seconds, attoseconds) = positive.components
        enqueue(UnownedJob(job), afterNanoseconds: Self.nanoseconds(seconds: seconds, plus: attoseconds / 1_000_000_000))
    }
}

// The runtime's hook signatures (swift/Runtime/Concurrency.h); the last argument is the runtime's own
// implementation, which MainThreadExecutor never calls.
private typealias EnqueueOriginal = @convention(thin) (UnownedJob) -> Void
private typealias EnqueueHook = @convention(thin) (UnownedJob, EnqueueOriginal) -> Void
private typealias DelayOriginal = @convention(thin) (UInt64, UnownedJob) -> Void
private typealias DelayHook = @convention(thin) (UInt64, UnownedJob, DelayOriginal) -> Void
private typealias DeadlineOriginal = @convention(thin) (Int64, Int64, Int64, Int64, Int32, UnownedJob) -> Void
private typealias DeadlineHook = @convention(thin) (Int64, Int64, Int64, Int64, Int32, UnownedJob, DeadlineOriginal) -> Void
