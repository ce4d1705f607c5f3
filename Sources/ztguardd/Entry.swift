import ArgumentParser

#if canImport(Glibc)
import CMalloc
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process's entry point: every Swift task runs on the main thread (``MainThreadExecutor``), so
/// the executor must be in place before the command's first task exists; hence a synchronous `main`
/// rather than `AsyncParsableCommand`'s own.
@main
enum Entry {
    static func main() {
        // Before anything reads the token: no core dump of it, no TLS key log.
        ProcessHardening.apply()
        #if canImport(Glibc)
        // One malloc arena for the whole process. Every task runs on the main thread; the other
        // threads (a libcurl transfer's, the signal reader) seldom allocate while it does, so a second
        // arena buys no speed, and it would keep what a run freed: 0.5 MB of the idle daemon's RSS
        // after a 100,000-registration run, which malloc_trim does not give back.
        mallopt(M_ARENA_MAX, 1)
        #endif
        if let message = ZTGuardCommand.unknownCommandMessage(Array(CommandLine.arguments.dropFirst())) {
            StandardStream.write((message + "\n").utf8, to: 2)
            exit(64)
        }
        let executor = MainThreadExecutor.install()
        // Detached: `main` is on the main actor, which stays libdispatch's (see MainThreadExecutor.install).
        Task.detached {
            await ZTGuardCommand.main()
            exit(0)
        }
        executor.run()
    }
}
