import Foundation
import Synchronization

/// A change a store announces so that caches can forget what it touched.
public enum StoreChange: Sendable, Equatable {
    case user(site: UUID, id: Int)
    case developerTokens(site: UUID)
    /// Some access key of the site was made, changed or deleted.
    case accessKeys(site: UUID)
    case signingKeys(site: UUID)
    case sites
    /// Some application registration or its clients changed.
    case applications
    /// A credential was revoked (see `RevocationList`).
    case revoked(Revocation)
    /// Forget everything (a listener reconnected and may have missed changes).
    case all
}
