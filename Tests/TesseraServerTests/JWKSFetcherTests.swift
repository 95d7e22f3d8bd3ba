import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
@testable import TesseraServer

/// The JWKS client against a real server on a loopback port that answers whatever bytes a test gives it: the good
/// answer, every way an answer can be refused, and TLS with and without a trusted certificate.
@Suite struct JWKSFetcherTests {
    static let jwks = #"{"keys":[{"kty":"oct","k":"AAAA"}]}"#

    @Test func readsABodyOfA200Answer() async throws {
        try await CannedServer.with(.answer(status: "200 OK", body: Self.jwks)) { server in
            let body = try await JWKSFetcher.fetch(server.url("/keys?x=1"), tls: Self.noTLS)
            #expect(String(decoding: body, as: UTF8.self) == Self.jwks)
            let request = try #require(server.requests.first)
            #expect(request.hasPrefix("GET /keys?x=1 HTTP/1.1\r\n"))
            #expect(request.lowercased().contains("\r\nhost: 127.0.0.1:\(server.port)\r\n"))
        }
    }

    @Test func readsAChunkedBody() async throws {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"key\r\n4\r\ns\":[\r\n2\r\n]}\r\n0\r\n\r\n"
        try await CannedServer.with(.raw(chunked)) { server in
            let body = try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS)
            #expect(String(decoding: body, as: UTF8.self) == #"{"keys":[]}"#)
        }
    }

    @Test(arguments: ["404 Not Found", "500 Internal Server Error", "204 No Content"])
    func refusesAnyOtherStatus(_ status: String) async throws {
        try await CannedServer.with(.answer(status: status, body: Self.jwks)) { server in
            await #expect(throws: (any Error).self) { try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS) }
        }
    }

    @Test func doesNotFollowARedirect() async throws {
        let redirect = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n"
        try await CannedServer.with(.raw(redirect)) { server in
            await #expect(throws: (any Error).self) { try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS) }
            #expect(server.requests.count == 1)
        }
    }

    /// A declared length over the limit is refused at the head; an undeclared one (chunked, or read to the close)
    /// is refused as soon as the limit is passed, without reading the rest: the server below would send 64 MiB.
    @Test func refusesABodyOverTheLimitWithoutReadingItAll() async throws {
        let declared = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "a", count: 1000)
        try await CannedServer.with(.raw(declared)) { server in
            await #expect(throws: (any Error).self) { try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS, maxBytes: 999) }
        }
        try await CannedServer.with(.endless) { server in
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) { try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS, maxBytes: 1024) }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
        // Exactly the limit is still read.
        try await CannedServer.with(.answer(status: "200 OK", body: String(repeating: "b", count: 999))) { server in
            let body = try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS, maxBytes: 999)
            #expect(body.count == 999)
        }
    }

    @Test func givesUpOnAServerThatNeverAnswers() async throws {
        try await CannedServer.with(.silent) { server in
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS, deadline: .milliseconds(300))
            }
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    /// The deadline covers the whole exchange, the connection included: a connect that cannot finish ends at the
    /// deadline, not at the connect timeout. (A listener whose accept queue is full drops new SYNs, so a connect
    /// to it hangs: shown first with a short connect timeout and a long deadline.)
    @Test func theDeadlineCountsFromBeforeTheConnection() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(listener, raw, length) == 0, listen(listener, 0) == 0, getsockname(listener, raw, &length) == 0 else {
                    throw JWKSFetcher.Failure(reason: "cannot listen")
                }
            }
        }
        let url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/keys"
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<3 {  // fill the accept queue (never accepted)
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            fillers.append(filler)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) } }
        }
        try await Task.sleep(for: .milliseconds(100))
        var started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            try await JWKSFetcher.fetch(url, tls: Self.noTLS, connectTimeout: .milliseconds(500), deadline: .seconds(10))
        }
        #expect(ContinuousClock.now - started >= .milliseconds(400), "the connect did not hang: this test shows nothing here")
        started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            try await JWKSFetcher.fetch(url, tls: Self.noTLS, connectTimeout: .seconds(5), deadline: .milliseconds(300))
        }
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func refusesAnAnswerCutShort() async throws {
        try await CannedServer.with(.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"keys\":")) { server in
            await #expect(throws: (any Error).self) { try await JWKSFetcher.fetch(server.url("/"), tls: Self.noTLS) }
        }
    }

    @Test(arguments: ["ftp://127.0.0.1/keys", "https://user:pw@127.0.0.1/keys", "file:///etc/passwd", "/keys", "http://", "not a url"])
    func refusesWhatIsNotAPlainHTTPURL(_ url: String) async throws {
        await #expect(throws: (any Error).self) { try await JWKSFetcher.fetch(url, tls: Self.noTLS) }
    }

    @Test func refusesAClosedPort() async throws {
        await #expect(throws: (any Error).self) { try await JWKSFetcher.fetch("http://127.0.0.1:1/keys", tls: Self.noTLS) }
    }

    /// TLS: a certificate the trust roots do not hold is refused (the system's roots do not hold a fresh
    /// self-signed one); trusted, the same server answers.
    @Test func checksTheServersCertificate() async throws {
        let pki = try SelfSignedCertificate.make(host: "localhost")
        let serverContext = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(pki.certificate)], privateKey: .privateKey(pki.key)))
        try await CannedServer.with(.answer(status: "200 OK", body: Self.jwks), tls: serverContext) { server in
            let url = "https://localhost:\(server.port)/keys"
            // (Refused in the handshake, not for want of trust roots: the system's load, and only verification fails.)
            await #expect(throws: NIOSSLError.self) { try await JWKSFetcher.fetch(url) }
            var trusting = TLSConfiguration.makeClientConfiguration()
            trusting.trustRoots = .certificates([pki.certificate])
            let context = try NIOSSLContext(configuration: trusting)
            let body = try await JWKSFetcher.fetch(url, tls: { context })
            #expect(String(decoding: body, as: UTF8.self) == Self.jwks)
            // The same trusted certificate names localhost, not another host: refused by name.
            await #expect(throws: NIOSSLExtraError.self) {
                try await JWKSFetcher.fetch("https://127.0.0.1:\(server.port)/keys", tls: { context })
            }
        }
    }

    @Sendable static func noTLS() throws -> NIOSSLContext {
        Issue.record("an http URL asked for a TLS context")
        throw JWKSFetcher.Failure(reason: "no TLS here")
    }
}

/// A loopback server that answers each connection with canned bytes and records what it was sent.
final class CannedServer: @unchecked Sendable {
    enum Behaviour {
        case answer(status: String, body: String)
        case raw(String)
        /// A 200 with no length that keeps sending until the peer goes (64 MiB at most).
        case endless
        /// Accepts and never answers.
        case silent
    }

    let port: Int
    private let channel: Channel
    private let recorder: Recorder
    var requests: [String] { recorder.requests }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    static func with(_ behaviour: Behaviour, tls: NIOSSLContext? = nil, _ body: (CannedServer) async throws -> Void) async throws {
        let server = try await CannedServer(behaviour, tls: tls)
        do { try await body(server) } catch {
            try? await server.channel.close()
            throw error
        }
        try? await server.channel.close()
    }

    private init(_ behaviour: Behaviour, tls: NIOSSLContext?) async throws {
        let recorder = Recorder()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture(withResultOf: {
                    if let tls { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try child.pipeline.syncOperations.addHandler(Answerer(behaviour: behaviour, recorder: recorder))
                })
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
        self.recorder = recorder
    }

    private final class Recorder: Sendable {
        private let received = Mutex<[String]>([])
        var requests: [String] { received.withLock { $0 } }
        func record(_ request: String) { received.withLock { $0.append(request) } }
    }

    private final class Answerer: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let recorder: Recorder
        var request = ""
        var answered = false

        init(behaviour: Behaviour, recorder: Recorder) {
            self.behaviour = behaviour
            self.recorder = recorder
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            request += buffer.readString(length: buffer.readableBytes) ?? ""
            guard !answered, request.contains("\r\n\r\n") else { return }
            answered = true
            recorder.record(request)
            switch behaviour {
            case .answer(let status, let body):
                send(context, "HTTP/1.1 \(status)\r\nContent-Length: \(body.utf8.count)\r\nContent-Type: application/json\r\n\r\n\(body)")
            case .raw(let bytes):
                send(context, bytes)
            case .endless:
                context.write(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")), promise: nil)
                pump(context, left: 64 * 1024 * 1024)
            case .silent:
                break
            }
        }

        private func send(_ context: ChannelHandlerContext, _ text: String) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }

        private func pump(_ context: ChannelHandlerContext, left: Int) {
            guard left > 0, context.channel.isActive else { return context.close(promise: nil) }
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
            context.writeAndFlush(wrapOutboundOut(chunk)).assumeIsolated().whenComplete { result in
                if case .success = result { self.pump(context, left: left - chunk.readableBytes) } else { context.close(promise: nil) }
            }
        }
    }
}

/// A fresh key and self-signed certificate for a host name, made by the `openssl` command.
enum SelfSignedCertificate {
    static func make(host: String) throws -> (certificate: NIOSSLCertificate, key: NIOSSLPrivateKey) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyPath = dir.appendingPathComponent("key.pem").path, certPath = dir.appendingPathComponent("cert.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                             "-subj", "/CN=\(host)", "-addext", "subjectAltName=DNS:\(host)", "-keyout", keyPath, "-out", certPath]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw JWKSFetcher.Failure(reason: "openssl req failed") }
        return (try NIOSSLCertificate.fromPEMFile(certPath)[0], try NIOSSLPrivateKey(file: keyPath, format: .pem))
    }
}
