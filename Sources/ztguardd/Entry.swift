import ArgumentParser

#if canImport(Glibc)
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
        let executor = MainThreadExecutor.install()
        // Detached: `main` is on the main actor, which stays libdispatch's (see MainThreadExecutor.install).
        Task.detached {
            await ZTGuardCommand.main()
            exit(0)
        }
        executor.run()
    }
}
