import Argon2
import Foundation
import Logging
import TesseraCore
import TesseraCrypto

/// Every service over a real store on a `TestClock`, with a fast password hash and no network.
public enum TestServices {
    public static let fastHash = Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)

    public static func make(_ store: any Store, clock: TestClock, settings: Settings = Settings(publicURL: "https://tessera.test"),
                            masterKey: MasterKey = .generate(), throttle: LoginThrottle? = nil) -> Services {
        Services(store: store, settings: settings, masterKey: masterKey, hasher: PasswordHasher(parameters: fastHash),
                 throttle: throttle ?? LoginThrottle(now: clock.reading), logger: Logger(label: "test"), now: clock.reading,
                 fetchJWKS: { _ in throw NoNetwork() })
    }

    struct NoNetwork: Error {}
}
