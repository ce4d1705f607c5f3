public import Cloudflare

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension SimulatedAccount {
    /// The API operation a request was routed to, for counting.
    public enum Endpoint: String, Sendable, Hashable, CaseIterable {
        case verifyUserToken = "GET /user/tokens/verify"
        case verifyAccountToken = "GET /accounts/{id}/tokens/verify"
        case listRegistrations = "GET /accounts/{id}/devices/registrations"
        case getRegistration = "GET /accounts/{id}/devices/registrations/{id}"
        case revokeRegistrations = "POST /accounts/{id}/devices/registrations/revoke"
        case unrevokeRegistrations = "POST /accounts/{id}/devices/registrations/unrevoke"
        case deleteRegistrations = "DELETE /accounts/{id}/devices/registrations"
        case deleteRegistration = "DELETE /accounts/{id}/devices/registrations/{id}"
        case listAccessUsers = "GET /accounts/{id}/access/users"
        case listProfiles = "GET /accounts/{id}/devices/policies"
        case getDefaultProfile = "GET /accounts/{id}/devices/policy"
        /// No such route (404), or a method the route does not take (405).
        case unknown = "unknown"
    }

    /// One request the account answered.
    public struct RequestRecord: Sendable, Hashable {
        public var method: HTTPRequest.Method
        /// The percent-decoded path, e.g. `/client/v4/accounts/…/devices/registrations/revoke`.
        public var path: String
        /// In the order sent; repeated keys appear once per value.
        public var query: [QueryItem]
        public var endpoint: Endpoint
        public var status: Int
        /// The account's clock when it answered.
        public var time: Date

        /// Every value of the query parameter `name`, in order.
        public func values(for name: String) -> [String] {
            query.filter { $0.name == name }.map(\.value)
        }
    }

    /// A revoke, unrevoke or delete request the account applied, with every registration ID it carried:
    /// those it changed and those already in the target state alike. Where ``RegistrationChange`` shows what
    /// changed, this shows what the client sent, so a test can prove no ID was sent twice.
    public struct AppliedRequest: Sendable, Hashable {
        public var kind: RegistrationChange.Kind
        /// In the order sent, repeats included.
        public var registrationIDs: [String]
        public var time: Date
    }

    /// A change the API made to a registration. Requests that changed nothing (revoking a revoked one)
    /// record none, so a test can prove an action was applied exactly once.
    public struct RegistrationChange: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable { case revoked, unrevoked, deleted }

        public var kind: Kind
        public var registrationID: String
        public var time: Date
    }
}
