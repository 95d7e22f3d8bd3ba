import Foundation
import Hummingbird
import TesseraCore

/// A body in a format the endpoint does not read (415).
struct UnsupportedMediaType: Error {
    var mediaType: String
}
