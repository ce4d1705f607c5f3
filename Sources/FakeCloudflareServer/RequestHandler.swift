import Cloudflare
import NIOCore
import NIOHTTP1
import Simulation

/// Serves one connection: hands each complete request to the account, or answers it badly when the fault
/// plan says so. `HTTPServerPipelineHandler` (installed before it) holds pipelined requests back until the
/// previous answer is written, so answers stay in order even when one is delayed.
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let account: SimulatedAccount
    private let activity: ServerActivity
    private let host: String
    private var head: HTTPRequestHead?

    init(account: SimulatedAccount, activity: ServerActivity, host: String) {
        self.account = account
        self.activity = activity
        self.host = host
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break  // The API takes no request bodies; whatever arrives is ignored.
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let number = activity.nextRequestNumber()
        let target = RequestTarget(parsing: head.uri)
        var served = ServedRequest(
            requestNumber: number,
            method: head.method.rawValue,
            path: target.path,
            query: target.query,
            status: nil,
            fault: nil
        )

        guard let method = HTTPRequest.Method(rawValue: head.method.rawValue) else {
            let response = SimulatedAccount.errorResponse(
                status: 405,
                code: 7001,
                message: "Method \(head.method.rawValue) not allowed for this route"
            )
            served.status = response.status
            write(response, for: head, context: context)
            activity.observer?(served)
            return
        }
        let authority = head.headers.first(name: "host") ?? host
        let request = HTTPRequest(
            method: method,
            url: "http://\(authority)\(head.uri)",
            headers: head.headers.map { ($0.name, $0.value) }
        )

        let fault = activity.faults.fault(forRequestNumber: number, request)
        if let fault {
            served.fault = fault
            activity.noteInjected(
                InjectedFault(requestNumber: number, fault: fault, method: head.method.rawValue, path: target.path)
            )
        }

        switch fault {
        case nil:
            let response = account.respond(to: request)
            served.status = response.status
            write(response, for: head, context: context)
        case .slow(let milliseconds):
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                let response = self.account.respond(to: request)
                served.status = response.status
                self.write(response, for: head, context: context)
                self.activity.observer?(served)
            }
            return
        case .serverError(let status):
            let response = SimulatedAccount.errorResponse(
                status: status,
                code: 10002,
                message: "Internal server error (injected)"
            )
            served.status = status
            write(response, for: head, context: context)
        case .malformedJSON:
            let body = Array("<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>\n".utf8)
            let response = HTTPResponse(status: 200, headers: ["content-type": "text/html"], body: body)
            served.status = 200
            write(response, for: head, context: context)
        case .successFalse:
            let response = SimulatedAccount.errorResponse(
                status: 200,
                code: 10001,
                message: "service temporarily unavailable (injected)"
            )
            served.status = 200
            write(response, for: head, context: context)
        case .tooManyRequests(let seconds):
            let response = SimulatedAccount.errorResponse(
                status: 429,
                code: 10429,
                message: "Rate limited (injected)",
                headers: ["retry-after": String(seconds)]
            )
            served.status = 429
            write(response, for: head, context: context)
        case .truncatedBody:
            let response = account.respond(to: request)
            served.status = response.status
            writeTruncated(response, for: head, context: context)
        case .connectionReset:
            reset(context: context)
        case .lostAnswer:
            served.status = account.respond(to: request).status
            reset(context: context)
        case .emptyDetour:
            let response = SimulatedAccount.emptyDetourPage(for: request, nonce: number)
            served.status = response.status
            write(response, for: head, context: context)
        case .missingResult, .nullResult, .emptyResult, .without:
            var response = account.respond(to: request)
            if let fault, let rewrite = ResultRewrite(fault) { response.body = rewrite.apply(to: response.body) }
            served.status = response.status
            write(response, for: head, context: context)
        case .retryAfterHeader(let value):
            let response = SimulatedAccount.errorResponse(
                status: 429, code: 10429, message: "Rate limited (injected)", headers: ["retry-after": value])
            served.status = 429
            write(response, for: head, context: context)
        case .oversizedBody:
            let body = Array(#"{"success":true,"errors":[],"messages":[],"result":["#.utf8)
                + [UInt8](repeating: UInt8(ascii: " "), count: 40 << 20) + Array("]}".utf8)
            served.status = 200
            write(HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: body), for: head, context: context)
        case .rejected(let message):
            served.status = 400
            write(SimulatedAccount.errorResponse(status: 400, code: 1001, message: message), for: head, context: context)
        case .gzipBomb(let mebibytes):
            let body = GzipBomb.bytes(decodedSize: mebibytes << 20)
            let headers = ["content-type": "application/json", "content-encoding": "gzip"]
            served.status = 200
            write(HTTPResponse(status: 200, headers: headers, body: body), for: head, context: context)
        case .accessUserDeleted:
            account.replaceAccessUsers(Array(account.accessUsers.dropFirst()))
            let response = account.respond(to: request)
            served.status = response.status
            write(response, for: head, context: context)
        }
        activity.observer?(served)
    }

    private func responseHead(
        _ response: HTTPResponse,
        for request: HTTPRequestHead,
        keepAlive: Bool
    ) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) where name != "content-length" {
            headers.add(name: name, value: value)
        }
        headers.add(name: "content-length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        return HTTPResponseHead(
            version: request.version,
            status: HTTPResponseStatus(statusCode: response.status),
            headers: headers
        )
    }

    private func write(_ response: HTTPResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = request.isKeepAlive
        context.write(wrapOutboundOut(.head(responseHead(response, for: request, keepAlive: keepAlive))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Promises the whole body, sends half of it, then closes: the client sees a short read.
    private func writeTruncated(_ response: HTTPResponse, for request: HTTPRequestHead, context: ChannelHandlerContext)
    {
        context.write(wrapOutboundOut(.head(responseHead(response, for: request, keepAlive: true))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count / 2)
        buffer.writeBytes(response.body.prefix(response.body.count / 2))
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Closes with SO_LINGER 0, so the peer gets a TCP reset instead of an orderly end of stream.
    private func reset(context: ChannelHandlerContext) {
        guard let provider = context.channel as? any SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        // `struct linger { int l_onoff; int l_linger; }`. Its memberwise initializer belongs to whichever C module
        // clang first saw the header in (NIO's internal CNIOLinux), which MemberImportVisibility will not let us
        // name, so build it from its two ints.
        let abortiveClose = unsafeBitCast((Int32(1), Int32(0)), to: NIOLinger.self)
        provider.setSoLinger(abortiveClose)
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
