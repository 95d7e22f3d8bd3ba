import Foundation
import TesseraCore
import TesseraCrypto

extension StoreChange {
    /// The NOTIFY payload: `user|<site>|<id>`, `tokens|<site>`, `accesskeys|<site>`, `keys|<site>`, `revoked|<site>|<expiry>|<reference>`, `sites`,
    /// `applications` or `all`.
    var payload: String {
        switch self {
        case .user(let site, let id): "user|\(site.lowercasedString)|\(id)"
        case .developerTokens(let site): "tokens|\(site.lowercasedString)"
        case .accessKeys(let site): "accesskeys|\(site.lowercasedString)"
        case .signingKeys(let site): "keys|\(site.lowercasedString)"
        case .sites: "sites"
        case .applications: "applications"
        case .revoked(let r): "revoked|\(r.siteID.lowercasedString)|\(r.expiresAt)|\(r.reference)"
        case .all: "all"
        }
    }

    init?(payload: String) {
        let parts = payload.split(separator: "|").map(String.init)
        switch parts.first {
        case "user":
            guard parts.count == 3, let site = UUID(uuidString: parts[1]), let id = Int(parts[2]) else { return nil }
            self = .user(site: site, id: id)
        case "tokens":
            guard parts.count == 2, let site = UUID(uuidString: parts[1]) else { return nil }
            self = .developerTokens(site: site)
        case "accesskeys":
            guard parts.count == 2, let site = UUID(uuidString: parts[1]) else { return nil }
            self = .accessKeys(site: site)
        case "keys":
            guard parts.count == 2, let site = UUID(uuidString: parts[1]) else { return nil }
            self = .signingKeys(site: site)
        case "sites": self = .sites
        case "applications": self = .applications
        case "revoked":
            // The reference is the rest of the payload.
            let fields = payload.split(separator: "|", maxSplits: 3).map(String.init)
            guard fields.count == 4, let site = UUID(uuidString: fields[1]), let expires = Int64(fields[2]) else { return nil }
            self = .revoked(Revocation(siteID: site, reference: fields[3], expiresAt: expires))
        case "all": self = .all
        default: return nil
        }
    }
}
