#if canImport(Glibc)
import CMalloc
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the process does first, before it reads a credential: nothing of the API token may leave it
/// through a core dump or a TLS key log.
enum ProcessHardening {
    /// Marks the process non-dumpable (no core file, no ptrace or /proc/PID/mem by other processes of the
    /// same user) and drops `SSLKEYLOGFILE`, which TLS libraries honour by writing every session key to
    /// that file, world-readable if it is new. Says so on stderr when it drops the variable.
    ///
    /// - Returns: false when the kernel refused `PR_SET_DUMPABLE` (the unit's `LimitCORE=0` still holds).
    @discardableResult
    static func apply() -> Bool {
        if getenv("SSLKEYLOGFILE") != nil {
            unsetenv("SSLKEYLOGFILE")
            let message = "ztguardd: ignoring SSLKEYLOGFILE: the TLS keys of requests that carry the API token "
                + "are never written to a file\n"
            StandardStream.write(message.utf8, to: 2)
        }
        #if canImport(Glibc)
        return ztg_prctl_set_not_dumpable() == 0
        #else
        return false
        #endif
    }

    /// Whether the process is dumpable now (`PR_GET_DUMPABLE`), for tests.
    static var isDumpable: Bool {
        #if canImport(Glibc)
        return ztg_prctl_get_dumpable() != 0
        #else
        return true
        #endif
    }
}
