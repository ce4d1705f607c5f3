import Cloudflare
import Synchronization

/// What work started on a thread of its own gives back, awaited without blocking the one thread
/// that runs ztguardd's tasks (``MainThreadExecutor``): the run report is written this way while the
/// run journals its actions.
final class ThreadOutcome<Value: Sendable>: Sendable {
    private enum State {
        case running(waiter: CheckedContinuation<Value, Never>?)
        case finished(Value)
    }

    private let state = Mutex<State>(.running(waiter: nil))

    /// Starts `body` on a new thread; when the system will not start one (systemd's `TasksMax=`),
    /// runs it here, before returning.
    init(_ body: @escaping @Sendable () -> Value) {
        if DetachedThread.start({ [self] in deliver(body()) }) != 0 {
            deliver(body())
        }
    }

    /// What `body` returned, once it has.
    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let finished = state.withLock { state -> Value? in
                    switch state {
                    case .finished(let value): return value
                    case .running: state = .running(waiter: continuation)
                    }
                    return nil
                }
                if let finished { continuation.resume(returning: finished) }
            }
        }
    }

    private func deliver(_ value: Value) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard case .running(let waiter) = state else { return nil }
            state = .finished(value)
            return waiter
        }
        waiter?.resume(returning: value)
    }
}
