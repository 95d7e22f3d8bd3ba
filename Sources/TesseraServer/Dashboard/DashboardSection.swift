import TesseraCore

/// A part of the dashboard, and who may see it in the navigation. The handlers check the same permissions through
/// the services; the navigation only hides what would be refused.
struct DashboardSection: Sendable {
    var id: String
    var href: String
    var label: String
    var summary: String
    var permissions: [Permission]

    func visible(to user: User) -> Bool { permissions.isEmpty || permissions.contains(where: user.can) }

    static let home = DashboardSection(id: "home", href: "/", label: "Dashboard", summary: "", permissions: [])
    static let tokens = DashboardSection(
        id: "tokens", href: "/dashboard/tokens", label: "API Token Management",
        summary: "Server, browser and OAuth tokens for integrations, and long-term JWTs bound to a user.", permissions: [.tokenAdministration])
    static let key = DashboardSection(
        id: "key", href: "/dashboard/key", label: "Generate Key",
        summary: "A basic token to exchange for an access token and a refresh token.", permissions: [.myAccessKey])
    static let accessKeys = DashboardSection(
        id: "access-keys", href: "/dashboard/access-keys", label: "Access keys",
        summary: "Access key ids and secrets that scripts exchange for tokens.", permissions: [.myAccessKey, .accessKey])
    static let applications = DashboardSection(
        id: "applications", href: "/dashboard/applications", label: "Applications",
        summary: "The applications you allowed to act for you; administrators register and approve applications.", permissions: [])
    static let users = DashboardSection(
        id: "users", href: "/dashboard/users", label: "Users", summary: "Accounts, roles, seats and passwords.", permissions: [.admin])
    static let settings = DashboardSection(
        id: "settings", href: "/dashboard/settings", label: "Site settings", summary: "Branding and legacy tokens.", permissions: [.admin])
    static let audit = DashboardSection(
        id: "audit", href: "/dashboard/audit", label: "Audit trail", summary: "Who did what, when, and whether it worked.", permissions: [.admin])

    static let all: [DashboardSection] = [.home, .tokens, .key, .accessKeys, .applications, .users, .settings, .audit]
}
