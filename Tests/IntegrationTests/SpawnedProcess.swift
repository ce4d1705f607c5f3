import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid`, for what `Foundation.Process` does not
/// tell: the signal that ended it, whether the kernel dumped its core, and its peak RSS while it lives.
///
/// Not `wait4`'s `ru_maxrss`: a child spawned by a large process (the test runner) inherits the parent's
/// high-water mark through `vfork` and `exec`, so that figure is the runner's, not the child's.
final class SpawnedProcess: Sendable {
    /// How the child ended, as `waitpid` reports it.
    struct Termination {
        /// The exit status, when it exited.
        var exitStatus: Int32?
        /// The signal that killed it, when one did.
        var signal: Int32?
        /// Whether the kernel wrote a core dump (`WCOREDUMP`).
        var coreDumped: Bool
        /// What it wrote to stderr.
        var stderr: String
    }

    let pid: pid_t
    private let stderrPath: String

    /// Starts `executable` with `arguments` and exactly `environment`; stdin and stdout are /dev/null, stderr
    /// goes to a file read back at the end.
    init(executable: String, arguments: [String], environment: [String: String]) throws {
        stderrPath = FileManager.default.temporaryDirectory.appendingPathComponent("ztg-stderr-\(UUID().uuidString)").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // A clean signal state, as a service manager gives: the test runner blocks signals on some of its
        // threads (SIGTERM, and SIGSEGV on one, which once left a crash test's control process immune),
        // and a child inherits the mask of the thread that spawned it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        self.pid = pid
    }

    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The peak resident set size of the running child since it `exec`ed, in KiB (`VmHWM`); nil once it ended.
    var peakRSSKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// Waits for the child to end; after `timeout` it is killed (and the result says SIGKILL).
    func wait(timeout: Duration = .seconds(60)) async -> Termination {
        let pid = pid
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        // waitpid blocks: on a thread of its own, not one of the cooperative pool's few.
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: stderrPath)
        let signal = status & 0x7F
        return Termination(
            exitStatus: signal == 0 ? (status >> 8) & 0xFF : nil,
            signal: signal == 0 ? nil : signal,
            coreDumped: status & 0x80 != 0,
            stderr: stderr)
    }
}
