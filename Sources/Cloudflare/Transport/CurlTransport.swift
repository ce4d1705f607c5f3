import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The production ``Transport``: libcurl, one reused easy handle per connection slot so
/// connections stay alive between requests.
///
/// `curl_easy_perform` blocks, so each request runs it on a thread of its own and the caller awaits a
/// continuation: no executor thread is ever blocked. A plain thread, not a `DispatchQueue`: the daemon
/// keeps libdispatch's worker pool, and the once-a-second timer that comes with it, out of the process
/// (see the daemon's `MainThreadExecutor`). A thread costs tens of microseconds; a request, milliseconds.
public final class CurlTransport: Transport {
    public struct Options: Sendable {
        public var connectTimeout: Duration = .seconds(10)
        public var totalTimeout: Duration = .seconds(60)
        public var userAgent: String
        /// How many requests may be in flight at once; each has its own handle and connection.
        public var connections: Int = 2
        /// The most a response body may hold once decoded (a page of 1,000 registrations is about 1 MB).
        public var maximumBodySize: Int = 32 << 20

        public init(userAgent: String) { self.userAgent = userAgent }
    }

    private let options: Options
    private let slots: [Slot]
    private let freeSlots: SlotQueue

    /// Creates a transport with `options.connections` easy handles.
    ///
    /// - Throws: ``TransportError`` with code `initializationFailed` if libcurl cannot create a handle.
    public init(options: Options) throws {
        self.options = options
        let count = max(1, options.connections)
        var slots: [Slot] = []
        for _ in 0..<count {
            slots.append(Slot(handle: try CurlEasyHandle()))
        }
        self.slots = slots
        self.freeSlots = SlotQueue(count: count)
    }

    /// libcurl's version line, for `--version` and the startup log.
    public static var libraryVersion: String { CurlGlobal.version }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let index = await freeSlots.acquire()
        let slot = slots[index]
        let options = self.options
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Swift.Result<HTTPResponse, any Error>, Never>) in
            let started = DetachedThread.start {
                continuation.resume(returning: Swift.Result { try slot.handle.perform(request, options: options) })
            }
            if started != 0 {
                // EAGAIN under a task limit (systemd's TasksMax=, RLIMIT_NPROC): retried like any
                // transport failure, never a request left waiting for a thread that does not exist.
                continuation.resume(returning: .failure(TransportError(
                    code: .other, detail: "could not start a thread for the request: \(String(cString: strerror(started)))")))
            }
        }
        await freeSlots.release(index)
        return try outcome.get()
    }
}

/// One easy handle.
///
/// `@unchecked Sendable`: a slot is lent to one request at a time by ``SlotQueue``, and only that
/// request's thread touches `handle`.
private final class Slot: @unchecked Sendable {
    let handle: CurlEasyHandle

    init(handle: CurlEasyHandle) {
        self.handle = handle
    }
}

/// Lends slot indices, first come first served.
private actor SlotQueue {
    private var free: [Int]
    private var waiters: [CheckedContinuation<Int, Never>] = []

    init(count: Int) { free = Array((0..<count).reversed()) }

    func acquire() async -> Int {
        if let index = free.popLast() { return index }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ index: Int) {
        if waiters.isEmpty {
            free.append(index)
        } else {
            waiters.removeFirst().resume(returning: index)
        }
    }
}
