import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// The application-registration API (Admin only), with the field names of CXone's registration model:
/// `GET|POST /authentication/v1/applications`, `GET|PATCH|DELETE /authentication/v1/applications/{trackingNumber}`
/// (DELETE schedules the deletion and says when), `POST .../{trackingNumber}-approve`, `-enable` and `-disable`.
struct RegistrationRoutes {
    let services: Services
    static let base = "/authentication/v1/applications"

    func register(on surface: Surface) {
        surface.on(Self.base, .get) { _, context in try await list(context) }
        surface.on(Self.base, .post) { request, context in try await submit(request, context) }
        let one = Self.base + "/:id"
        surface.on(one, .get) { _, context in try await read(context) }
        surface.on(one, .patch) { request, context in try await update(request, context) }
        surface.on(one, .delete) { _, context in try await delete(context) }
        surface.on(one, .post) { _, context in try await action(context) }
    }

    private func admin(_ context: TesseraContext) throws -> Caller {
        let caller = try context.requireCaller()
        try caller.require(.admin)
        return caller
    }

    private func list(_ context: TesseraContext) async throws -> Response {
        let caller = try admin(context)
        let all = try await services.registrations.list(site: caller.site)
        return CXoneIO.json([("applications", .array(all.map { .object(describe($0)) }))], headers: CXoneIO.noStore)
    }

    private func read(_ context: TesseraContext) async throws -> Response {
        let caller = try admin(context)
        let found = try await services.registrations.get(site: caller.site, trackingNumber: try context.parameters.require("id"))
        return CXoneIO.json(describe(found), headers: CXoneIO.noStore)
    }

    private func submit(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try admin(context)
        let form = try await Self.form(request)
        let registration = try await services.registrations.submit(form, site: caller.site, actor: caller.user.id, clientAddress: context.clientAddress)
        return CXoneIO.json(describe(RegisteredApplication(registration: registration, clients: [])), status: .created, headers: CXoneIO.noStore)
    }

    private func update(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try admin(context)
        let form = try await Self.form(request)
        let updated = try await services.registrations.update(site: caller.site, trackingNumber: try context.parameters.require("id"), form,
                                                              actor: caller.user.id, clientAddress: context.clientAddress)
        return CXoneIO.json(describe(updated), headers: CXoneIO.noStore)
    }

    private func delete(_ context: TesseraContext) async throws -> Response {
        let caller = try admin(context)
        let scheduled = try await services.registrations.scheduleDeletion(site: caller.site, trackingNumber: try context.parameters.require("id"),
                                                                          actor: caller.user.id, clientAddress: context.clientAddress)
        return CXoneIO.json(describe(scheduled), status: .accepted, headers: CXoneIO.noStore)
    }

    /// `{tracking}-approve`, `{tracking}-enable`, `{tracking}-disable`.
    private func action(_ context: TesseraContext) async throws -> Response {
        let caller = try admin(context)
        let id = try context.parameters.require("id")
        guard let dash = id.lastIndex(of: "-") else { throw ServiceError.notFound("unknown action") }
        let tracking = String(id[..<dash])
        switch id[id.index(after: dash)...] {
        case "approve":
            // Approval issues client secrets: an administrator's own act, not an application's.
            try caller.requireFirstHand("approving an application")
            let (approved, secrets) = try await services.registrations.approve(site: caller.site, trackingNumber: tracking, actor: caller.user.id,
                                                                               clientAddress: context.clientAddress)
            return CXoneIO.json(describe(approved, secrets: secrets), headers: CXoneIO.noStore)
        case "enable", "disable":
            let changed = try await services.registrations.setEnabled(site: caller.site, trackingNumber: tracking, enabled: id.hasSuffix("-enable"),
                                                                      actor: caller.user.id, clientAddress: context.clientAddress)
            return CXoneIO.json(describe(changed), headers: CXoneIO.noStore)
        default:
            throw ServiceError.notFound("unknown action: use -approve, -enable or -disable")
        }
    }

    /// A registration as CXone's model names its fields; `credentials` lists each environment's client (with its
    /// secret only in the approval's answer).
    private func describe(_ entry: RegisteredApplication, secrets: [String: String] = [:]) -> [(String, JSONValue)] {
        let r = entry.registration
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        func time(_ date: Date?) -> JSONValue { date.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null }
        let credentials: [JSONValue] = entry.clients.map { client in
            var members: [(String, JSONValue)] = [("environment", .string(client.environment)), ("clientId", .string(client.clientID))]
            if let secret = secrets[client.clientID] { members.append(("clientSecret", .string(secret))) }
            return .object(members)
        }
        return [
            ("id", .string(r.trackingNumber)), ("trackingNumber", .string(r.trackingNumber)), ("name", .string(r.name)),
            ("description", .string(r.description)), ("businessUnit", r.businessUnit.map { CXoneIO.int($0) } ?? .null),
            ("contacts", strings(r.contacts)), ("type", .string(r.type.rawValue)), ("tenancy", .string(r.multiTenant ? "all" : "single")),
            ("environments", strings(r.environments)), ("authMethod", .string(r.authMethod.rawValue)), ("redirects", strings(r.redirectURIs)),
            ("logouts", strings(r.logoutURIs)), ("origins", strings(r.origins)), ("scope", strings(r.scopes)), ("status", .string(r.status.rawValue)),
            ("isEnabled", .bool(r.isEnabled)), ("createdBy", r.createdBy.map { CXoneIO.int($0) } ?? .null), ("createdTime", time(r.createdAt)),
            ("lastModifiedTime", time(r.modifiedAt)), ("approvedBy", r.approvedBy.map { CXoneIO.int($0) } ?? .null),
            ("approvedTime", time(r.approvedAt)), ("jwksEndpoint", r.jwksURL.map(JSONValue.string) ?? .null),
            ("jwks", r.jwks.flatMap { JSONValue.parseObject(Array($0.utf8)) }.map(JSONValue.object) ?? .null),
            ("scheduledDeletionTime", time(r.scheduledDeletion)), ("credentials", .array(credentials)),
        ]
    }

    /// The JSON body of a submission or an update, with CXone's names (and Tessera's longer ones).
    static func form(_ request: Request) async throws -> RegistrationForm {
        if let type = request.headers[.contentType].map(CXoneIO.mediaType), type != "application/json" {
            throw UnsupportedMediaType(mediaType: String(type.prefix(64)))
        }
        var buffer = try await request.body.collect(upTo: Limits.maxBodyBytes)
        guard let body = JSONValue.parseObject(buffer.readBytes(length: buffer.readableBytes) ?? []) else {
            throw ServiceError.invalidInput("the body must be a JSON object")
        }
        func string(_ name: String) throws -> String? {
            guard let value = body[name], value != .null else { return nil }
            guard case .string(let text) = value else { throw ServiceError.invalidInput("\(name) must be a string") }
            return text
        }
        func list(_ names: String...) throws -> [String]? {
            guard let name = names.first(where: { body[$0] != nil }), let value = body[name], value != .null else { return nil }
            guard case .array(let items) = value else { throw ServiceError.invalidInput("\(name) must be an array of strings") }
            return try items.map { item in
                guard case .string(let text) = item else { throw ServiceError.invalidInput("\(name) must be an array of strings") }
                return text
            }
        }
        var form = RegistrationForm()
        form.name = try string("name")
        form.description = try string("description")
        if let value = body["businessUnit"], value != .null {
            switch value {
            case .number(let n) where n.rounded() == n && abs(n) < 1e12: form.businessUnit = Int(n)
            case .string(let s): form.businessUnit = try Int(s).unwrap("businessUnit must be a number")
            default: throw ServiceError.invalidInput("businessUnit must be a number")
            }
        }
        form.contacts = try list("contacts")
        if let tenancy = try string("tenancy") {
            guard tenancy == "single" || tenancy == "all" || tenancy == "multiple" else { throw ServiceError.invalidInput("tenancy must be single or all") }
            form.multiTenant = tenancy != "single"
        }
        form.environments = try list("environments")
        if let type = try string("type") {
            let normalised = type.lowercased().replacingOccurrences(of: "-", with: "")
            form.type = try ApplicationType(rawValue: normalised).unwrap("type must be backend, confidential or public")
        }
        if let method = try string("authMethod") {
            form.authMethod = try ClientAuthMethod(rawValue: method).unwrap(
                "authMethod must be client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none")
        }
        // private_key_jwt: a JWK Set as an object (or its JSON text), or where it is published.
        switch body["jwks"] {
        case nil, .null?: break
        case .object(let set)?: form.jwks = JSONValue.object(set).serialised
        case .string(let text)?: form.jwks = text
        default: throw ServiceError.invalidInput("jwks must be a JWK Set")
        }
        // CXone's model carries jwksEndpoint on every application: empty means none.
        form.jwksURL = try (string("jwksEndpoint") ?? string("jwksUri")).flatMap { $0.isEmpty ? nil : $0 }
        form.redirectURIs = try list("redirects", "redirectUris")
        form.logoutURIs = try list("logouts", "postLogoutRedirectUris")
        form.origins = try list("origins")
        if let value = body["scope"], case .string(let text) = value {
            form.scopes = text.split(separator: " ").map(String.init)
        } else {
            form.scopes = try list("scope", "scopes")
        }
        return form
    }
}
