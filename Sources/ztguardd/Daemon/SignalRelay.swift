import Cloudflare
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Delivers Unix signals (SIGTERM, SIGINT, SIGHUP) to async code without libdispatch.
///
/// swift-service-lifecycle's `UnixSignalsSequence` registers dispatch signal sources, and the first
/// dispatch worker thread starts libdispatch's one-second pool monitor for good (see
/// ``MainThreadExecutor``). Here the classic self-pipe instead: the handler writes the signal's
/// number to a pipe (async-signal-safe), and one thread, blocked in `read(2)` until a signal comes,
/// yields it to every stream subscribed to it.
final class SignalRelay: Sendable {
    static let shared = SignalRelay()

    private struct State {
        var subscribers: [Int32: [UInt64: AsyncStream<Int32>.Continuation]] = [:]
        var handled: Set<Int32> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    private init() {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            fatalError("ztguardd: cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        // Not inherited by children; and the handler must never block, even if the reader falls
        // behind: a full pipe drops the signal instead.
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(descriptors[1], F_SETFL, O_NONBLOCK)
        signalPipeWriteEnd = descriptors[1]
        let readEnd = descriptors[0]
        let started = DetachedThread.start { [self] in readLoop(readEnd) }
        guard started == 0 else {
            fatalError("ztguardd: cannot start the signal thread: \(String(cString: strerror(started)))")
        }
    }

    /// The arrivals of `signals` from now on; the handlers are installed before this returns, so no
    /// signal sent after it is lost. The stream ends when its consumer is cancelled.
    func stream(of signals: Set<Int32>) -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(8))
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            for signal in signals { state.subscribers[signal, default: [:]][id] = continuation }
            continuation.onTermination = { [self] _ in
                self.state.withLock { state in
                    for signal in signals { state.subscribers[signal]?[id] = nil }
                }
            }
            // Under the lock, so a concurrent caller cannot return before the handler is in place.
            // glibc's signal(2) keeps the handler installed and restarts interrupted calls (SA_RESTART).
            for number in signals.subtracting(state.handled) { _ = signal(number, writeSignalToPipe) }
            state.handled.formUnion(signals)
        }
        // A blocked signal is never handled, and the mask is inherited: a daemon started from a
        // libdispatch worker thread (Foundation's Process in a test runner does that) begins with
        // SIGHUP and SIGTERM blocked. systemd starts services with an empty mask; do the same for
        // these signals, on this thread, which runs every task (MainThreadExecutor). Threads it starts
        // later (libcurl's) inherit the unblocked mask and may take a signal too: the handler works on
        // any thread.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in signals { sigaddset(&unblock, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return stream
    }

    private func readLoop(_ descriptor: Int32) {
        var byte: UInt8 = 0
        while true {
            let count = read(descriptor, &byte, 1)
            if count == 1 {
                let signal = Int32(byte)
                let subscribers = state.withLock { Array(($0.subscribers[signal] ?? [:]).values) }
                for subscriber in subscribers { subscriber.yield(signal) }
            } else if count < 0, errno == EINTR {
                continue
            } else {
                // Cannot happen while the write end stays open; if it did, signals must not vanish:
                // give them back their default action (SIGTERM and SIGHUP terminate).
                for number in state.withLock({ $0.handled }) { _ = signal(number, SIG_DFL) }
                return
            }
        }
    }
}

/// The pipe's write end; set once, before any handler is installed.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// The signal handler: only async-signal-safe calls.
private let writeSignalToPipe: @convention(c) (Int32) -> Void = { signal in
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(signalPipeWriteEnd, &byte, 1)
    errno = savedErrno
}
