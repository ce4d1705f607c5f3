import NIOCore
import NIOHTTP1
import NIOPosix
public import Simulation

/// A ``SimulatedAccount`` served over real HTTP/1.1 on loopback, with injected faults.
///
/// Keep-alive and pipelining work, connections are served concurrently on NIO's shared event loops, and the
/// account answers each request synchronously. Integration tests point the real libcurl client at
/// ``baseURL``; `fake-cloudflare` wraps this for shell tests and benchmarks.
///
/// ```swift
/// let server = try await FakeCloudflareServer.start(account: account, faults: .every(20, .serverError(status: 503)))
/// defer { Task { try await server.shutdown() } }   // or call shutdown() at the end of the test
/// client.apiBase = server.baseURL                  // "http://127.0.0.1:PORT/client/v4"
/// ```
public final class FakeCloudflareServer: Sendable {
    /// Refuses hosts that are not loopback: this server has no authentication of its own.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let account: SimulatedAccount
    public let host: String
    public let port: Int
    private let serverChannel: any Channel
    private let activity: ServerActivity

    private init(
        account: SimulatedAccount,
        host: String,
        port: Int,
        serverChannel: any Channel,
        activity: ServerActivity
    ) {
        self.account = account
        self.host = host
        self.port = port
        self.serverChannel = serverChannel
        self.activity = activity
    }

    /// `http://HOST:PORT/client/v4`, the API base to give the client.
    public var baseURL: String {
        let authority = host.contains(":") ? "[\(host)]" : host
        return "http://\(authority):\(port)/client/v4"
    }

    /// Starts serving `account` on `host:port` (port 0 picks a free one).
    ///
    /// - Parameters:
    ///   - faults: Which requests to answer badly.
    ///   - observer: Called once per request after it is handled, on an event loop: keep it quick.
    /// - Throws: ``StartError`` for a host that is not loopback; NIO's error if the address cannot be bound.
    public static func start(
        account: SimulatedAccount,
        host: String = "127.0.0.1",
        port: Int = 0,
        faults: FaultPlan = .none,
        observer: (@Sendable (ServedRequest) -> Void)? = nil
    ) async throws -> FakeCloudflareServer {
        guard isLoopback(host) else {
            throw StartError(
                description: "refusing to listen on \(host): the fake Cloudflare server binds loopback addresses only"
            )
        }
        let activity = ServerActivity(faults: faults, observer: observer)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        RequestHandler(account: account, activity: activity, host: host)
                    )
                    activity.track(channel)
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        guard let boundPort = channel.localAddress?.port else {
            try? await channel.close()
            throw StartError(description: "the listening socket on \(host) has no port")
        }
        return FakeCloudflareServer(
            account: account,
            host: host,
            port: boundPort,
            serverChannel: channel,
            activity: activity
        )
    }

    /// Stops listening and closes every open connection.
    public func shutdown() async throws {
        try await serverChannel.close()
        for channel in activity.openChannels() {
            try? await channel.close()
        }
    }

    /// How many requests arrived, on all connections.
    public var requestCount: Int { activity.requestCount }

    /// Every fault injected so far, in order.
    public var injectedFaults: [InjectedFault] { activity.injectedFaults }

    /// How many times `fault` was injected.
    public func injectedCount(of fault: FaultPlan.Fault) -> Int {
        activity.injectedFaults.filter { $0.fault == fault }.count
    }

    /// Whether `host` is a loopback address this server agrees to bind: `localhost`, `::1` or `127.x.x.x`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
