import Foundation

/// The device-code grant (RFC 8628 §3.4) of Expert's `access.json`: the client polls until the user approved or
/// denied on the device page. Polling answers 428 while the user has not answered, as Expert does (RFC 8628 says
/// 400 `authorization_pending`).
public struct DeviceCodeGrant: GrantHandler {
    public static let type = "urn:ietf:params:oauth:grant-type:device_code"
    public let grantType = DeviceCodeGrant.type
    let devices: any GrantStore
    let directory: Directory
    let tokens: CXoneTokenService
    let now: @Sendable () -> Date

    public init(devices: any GrantStore, directory: Directory, tokens: CXoneTokenService, now: @escaping @Sendable () -> Date = { Date() }) {
        self.devices = devices
        self.directory = directory
        self.tokens = tokens
        self.now = now
    }

    public func issue(_ request: TokenRequest, client: OAuthClient?, site: Site) async throws(OAuthError) -> IssuedTokens {
        guard let client else { throw .invalidClient("client authentication is required") }
        guard let raw = request.parameters["device_code"], !raw.isEmpty, raw.utf8.count <= 512 else { throw .invalidRequest("device_code is required") }
        let found: DeviceAuthorization?
        do { found = try await devices.pollDeviceAuthorization(hash: tokens.refreshHash(raw)) } catch { throw .serverError(error) }
        guard let found, found.siteID == site.id, found.clientID == client.id else { throw .invalidGrant("device_code is invalid") }
        if found.status != .approved, found.expiresAt <= now() { throw OAuthError(code: "expired_token", description: "the device code expired") }
        switch found.status {
        case .pending:
            throw OAuthError(code: "authorization_pending", description: "waiting for the user to approve", status: 428)
        case .denied:
            throw OAuthError(code: "access_denied", description: "the user denied the request")
        case .used:
            throw .invalidGrant("device_code was already used")
        case .approved:
            do {
                guard let userID = found.userID, let user = try await directory.user(site: site.id, id: userID), user.status == .active,
                      // Stored to the second: a request started in the second of a password change counts as before it.
                      Int64(found.createdAt.timeIntervalSince1970) * 1000 >= user.tokensValidAfter
                else {
                    throw OAuthError.invalidGrant("the approving user is no longer active")
                }
                return try await tokens.issue(user: user, site: site, clientID: client.id, scope: found.scope)
            } catch let error as OAuthError {
                throw error
            } catch {
                throw .serverError(error)
            }
        }
    }
}
