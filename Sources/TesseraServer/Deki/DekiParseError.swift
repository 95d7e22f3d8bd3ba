import Foundation

/// Why a request body could not be read as a deki document. The message is shown to the caller.
package struct DekiParseError: Error, Equatable {
    package var message: String
    init(_ message: String) { self.message = message }
}
