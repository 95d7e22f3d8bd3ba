import Foundation
import TesseraCrypto

/// A registration with the clients its approval issued.
public struct RegisteredApplication: Sendable {
    public var registration: AppRegistration
    public var clients: [Application]

    public init(registration: AppRegistration, clients: [Application]) {
        self.registration = registration
        self.clients = clients
    }
}
