import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore
import TesseraCrypto

/// `/access-key-management/v1/access-keys`: create (the secret shown once), list, read, (de)activate, delete.
/// Answers carry CXone's field names; a created key comes in both the `accessKey` and the `resultSet` wrappers
/// that clients read.
struct AccessKeyRoutes {
    let services: Services
    static let base = "/access-key-management/v1/access-keys"

    func register(on surface: Surface) {
        surface.on(Self.base, .post) { request, context in try await create(request, context) }
        surface.on(Self.base, .get) { request, context in try await list(request, context) }
        // The older spelling: the key in the query (`?accessKeyId=`), as an earlier version of CXone's API had it.
        surface.on(Self.base, .patch) { request, context in
            guard let id = request.uri.queryParameters["accessKeyId"].map(String.init) else { throw ServiceError.invalidInput("accessKeyId is required") }
            return try await patch(try Self.checkedKeyID(id), request, context)
        }
        let one = Self.base + "/:key"
        surface.on(one, .get) { _, context in try await read(context) }
        surface.on(one, .patch) { request, context in try await patch(try Self.keyID(context), request, context) }
        surface.on(one, .delete) { _, context in try await delete(context) }
    }

    private func create(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await CXoneIO.parameters(request)
        guard let userID = body["userId"], let tenantID = body["tenantId"] else { throw ServiceError.invalidInput("userId and tenantId are required") }
        guard UUID(uuidString: tenantID) == caller.site.id else { throw ServiceError.forbidden("tenantId is not the caller's tenant") }
        let user = try await services.accessKeys.user(guid: userID, site: caller.site)
        let created = try await services.accessKeys.create(for: user, caller: caller, clientAddress: context.clientAddress)
        let fields = describe(created.key, user: user, site: caller.site, secret: created.secret)
        return CXoneIO.json([("accessKey", JSONValue.object(fields)), ("resultSet", JSONValue.object(fields))], status: .created,
                            headers: CXoneIO.noStore)
    }

    private func list(_ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        let query = request.uri.queryParameters
        var user: User?
        if let guid = query["userId"] { user = try await services.accessKeys.user(guid: String(guid), site: caller.site) }
        if let agent = query["agentId"] {
            guard agent.count <= 10, let id = Int(agent), let found = try await services.directory.user(site: caller.site.id, id: id) else {
                throw ServiceError.notFound("no agent \(agent.prefix(20))")
            }
            if let user, user.id != found.id { throw ServiceError.invalidInput("userId and agentId name different users") }
            user = found
        }
        let skip = try Self.number(query["skip"], name: "skip", default: 0, max: Int(Int32.max))
        let top = try Self.number(query["top"], name: "top", default: 100, max: 1000)
        guard top >= 1 else { throw ServiceError.invalidInput("top must be 1 to 1000") }
        let page = try await services.accessKeys.list(caller: caller, user: user, offset: skip, limit: top)
        var owners: [Int: User] = [:]
        for key in page.keys where owners[key.userID] == nil {
            owners[key.userID] = try await services.directory.user(site: caller.site.id, id: key.userID)
        }
        let link = { (offset: Int) -> String in
            var items = ["skip=\(offset)", "top=\(top)"]
            if let user { items.append("userId=\(user.guid.lowercasedString)") }
            return services.settings.baseURL(of: caller.site) + Self.base + "?" + items.joined(separator: "&")
        }
        let links: [(String, JSONValue)] = [
            ("self", .string(link(skip))),
            ("next", skip + top < page.total ? .string(link(skip + top)) : .null),
            ("previous", skip > 0 ? .string(link(max(0, skip - top))) : .null),
        ]
        return CXoneIO.json([
            ("totalRecords", CXoneIO.int(page.total)), ("_links", JSONValue.object(links)),
            ("accessKeys", .array(page.keys.map { JSONValue.object(describe($0, user: owners[$0.userID], site: caller.site)) })),
        ])
    }

    private func read(_ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        let key = try await services.accessKeys.key(try Self.keyID(context), caller: caller)
        let owner = try await services.directory.user(site: caller.site.id, id: key.userID)
        return CXoneIO.json([("resultSet", JSONValue.object(describe(key, user: owner, site: caller.site)))])
    }

    private func patch(_ id: String, _ request: Request, _ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await CXoneIO.parameters(request)
        guard let text = body["isActive"], text == "true" || text == "false" else { throw ServiceError.invalidInput("isActive must be true or false") }
        let key = try await services.accessKeys.setActive(id, active: text == "true", caller: caller,
                                                          clientAddress: context.clientAddress)
        let owner = try await services.directory.user(site: caller.site.id, id: key.userID)
        return CXoneIO.json([("resultSet", JSONValue.object(describe(key, user: owner, site: caller.site)))])
    }

    private func delete(_ context: TesseraContext) async throws -> Response {
        let caller = try context.requireCaller()
        try await services.accessKeys.delete(try Self.keyID(context), caller: caller, clientAddress: context.clientAddress)
        return Response(status: .ok)
    }

    /// A key's fields as CXone names them; the secret only when it was just created.
    private func describe(_ key: AccessKey, user: User?, site: Site, secret: String? = nil) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("accessKeyId", .string(key.id))]
        if let secret { fields.append(("accessKeySecret", .string(secret))) }
        fields += [
            ("userId", user.map { .string($0.guid.lowercasedString) } ?? .null), ("tenantId", .string(site.id.lowercasedString)),
            ("agentId", CXoneIO.int(key.userID)), ("billingId", CXoneIO.int(site.tenant.businessUnit)), ("isActive", .bool(key.isActive)),
        ]
        if secret == nil { fields.append(("lastUsedDate", key.lastUsedAt.map { .string(Timestamps.iso8601($0)) } ?? .null)) }
        return fields
    }

    private static func keyID(_ context: TesseraContext) throws -> String {
        try checkedKeyID(context.parameters.get("key") ?? "")
    }

    private static func checkedKeyID(_ id: String) throws -> String {
        guard !id.isEmpty, id.utf8.count <= 128 else { throw ServiceError.notFound("no such access key") }
        return id
    }

    private static func number(_ text: Substring?, name: String, default value: Int, max: Int) throws -> Int {
        guard let text else { return value }
        guard text.count <= 10, let n = Int(text), n >= 0, n <= max else { throw ServiceError.invalidInput("\(name) must be a number from 0 to \(max)") }
        return n
    }
}
