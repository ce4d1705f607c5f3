#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A thread for blocking work (a libcurl request, a signal reader) that resumes async code when done.
///
/// Not Foundation's `Thread`: its `start()` ignores a failure of `pthread_create` (EAGAIN under
/// systemd's `TasksMax=` or RLIMIT_NPROC), and whatever waited for the thread would wait forever.
public enum DetachedThread {
    /// Runs `body` on a new detached thread; 0, or `pthread_create`'s error when the system would not
    /// start one (then `body` never runs).
    public static func start(_ body: @escaping @Sendable () -> Void) -> Int32 {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        if result != 0 { Unmanaged<ThreadBody>.fromOpaque(context).release() }
        return result
    }
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
