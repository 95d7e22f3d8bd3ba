import Foundation

/// Why a request body could not be read as a deki document. The message is shown to the caller.
struct DekiParseError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
