import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads an identity provider's JWKS over HTTP(S): a short timeout, 200 only, at most 256 KiB.
public enum JWKSFetcher {
    static let maxBytes = 256 * 1024

    struct Failure: Error {
        var reason: String
    }

    @Sendable public static func fetch(_ url: String) async throws -> [UInt8] {
        guard let target = URL(string: url) else { throw Failure(reason: "bad URL") }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 5)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else { throw Failure(reason: "status") }
        guard data.count <= maxBytes else { throw Failure(reason: "too large") }
        return Array(data)
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 5
        configuration.timeoutIntervalForResource = 10
        configuration.httpCookieStorage = nil
        return URLSession(configuration: configuration)
    }()
}
