import NIOCore
import Synchronization

/// What the server's connections share: the request counter, the fault plan and its record, the observer and
/// the open connections.
final class ServerActivity: Sendable {
    private struct Record {
        var requestCount = 0
        var injectedFaults: [InjectedFault] = []
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    let faults: FaultPlan
    let observer: (@Sendable (ServedRequest) -> Void)?
    private let record = Mutex(Record())

    init(faults: FaultPlan, observer: (@Sendable (ServedRequest) -> Void)?) {
        self.faults = faults
        self.observer = observer
    }

    /// Numbers a new request, from 1.
    func nextRequestNumber() -> Int {
        record.withLock { record in
            record.requestCount += 1
            return record.requestCount
        }
    }

    func noteInjected(_ fault: InjectedFault) {
        record.withLock { $0.injectedFaults.append(fault) }
    }

    var requestCount: Int { record.withLock { $0.requestCount } }
    var injectedFaults: [InjectedFault] { record.withLock { $0.injectedFaults } }

    func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        record.withLock { $0.channels[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.record.withLock { _ = $0.channels.removeValue(forKey: key) }
        }
    }

    func openChannels() -> [any Channel] {
        record.withLock { Array($0.channels.values) }
    }
}
