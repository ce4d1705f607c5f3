public import Simulation

/// One request a ``FakeCloudflareServer`` received, as its observer sees it once the request is handled.
public struct ServedRequest: Sendable, Hashable {
    /// From 1, across all connections.
    public var requestNumber: Int
    public var method: String
    /// The percent-decoded path.
    public var path: String
    public var query: [QueryItem]
    /// The status sent, or for ``FaultPlan/Fault/lostAnswer`` the status the account answered but never sent;
    /// nil when no answer was produced (``FaultPlan/Fault/connectionReset``).
    public var status: Int?
    public var fault: FaultPlan.Fault?
}

/// One fault a ``FakeCloudflareServer`` injected.
public struct InjectedFault: Sendable, Hashable {
    public var requestNumber: Int
    public var fault: FaultPlan.Fault
    public var method: String
    public var path: String
}
