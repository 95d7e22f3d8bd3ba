import TesseraCore
import Hummingbird

/// `/healthz` (the process answers) and `/readyz` (the store answers too).
struct HealthRoutes {
    let services: Services

    func register(on surface: Surface) {
        surface.on("/healthz", .get) { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        surface.on("/readyz", .get) { _, context in
            do {
                try await services.store.ping()
                return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                context.logger.warning("store not reachable", metadata: ["error": "\(type(of: error))"])
                return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain"],
                                body: .init(byteBuffer: ByteBuffer(string: "store unreachable\n")))
            }
        }
    }
}
