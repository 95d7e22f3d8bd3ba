import Foundation

/// A site's branding (logo and colour on every page), as an administrator changes it from the dashboard, the API or
/// the command line: validated, stored, announced to the other instances, audited.
public struct BrandingService: Sendable {
    private let store: any SiteStore
    private let sites: SiteDirectory
    private let audit: AuditLog

    public init(store: any SiteStore, sites: SiteDirectory, audit: AuditLog) {
        self.store = store
        self.sites = sites
        self.audit = audit
    }

    /// `logoURL` and `colour`: nil keeps the current value, empty removes it. `caller` is nil for the command line
    /// (run by whoever holds the data directory).
    public func update(site: Site, logoURL: String?, colour: String?, caller: Caller?, clientAddress: String) async throws -> SiteBranding {
        if let caller {
            try caller.require(.admin)
            try caller.requireFirstHand("changing the site's branding")
        }
        let logo = logoURL.map { $0.isEmpty ? nil : $0 } ?? site.branding.logoURL
        let colourValue = colour.map { $0.isEmpty ? nil : $0 } ?? site.branding.colour
        let branding = try SiteBranding.validated(logoURL: logo, colour: colourValue)
        do { try await store.updateBranding(site: site.id, branding) } catch StoreError.notFound { throw ServiceError.notFound("no such site") }
        sites.invalidate()
        audit.record(AuditEvent(siteID: site.id, action: "site.branding", outcome: "success", actorUserID: caller?.user.id, tokenID: nil,
                                clientAddress: clientAddress, detail: "logo \(branding.logoURL == nil ? "none" : "set"), colour \(branding.colour ?? "default")"))
        return branding
    }
}
