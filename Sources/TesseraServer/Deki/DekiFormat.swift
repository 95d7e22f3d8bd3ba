import Foundation
import Hummingbird
import TesseraCore

/// The output formats of `/@api/deki`: XML by default, deki JSON with `?dream.out.format=json`, PHP's serialized
/// array with `php`. `jsonp` is refused: it would hand credentialed answers to any page that includes the URL as a
/// script.
enum DekiFormat {
    case xml
    case json
    case php

    /// Reads `dream.out.format`. An unsupported value is a 400, as in deki.
    static func of(_ request: Request) throws -> DekiFormat {
        switch request.uri.queryParameters["dream.out.format"].map({ $0.lowercased() }) {
        case nil, "", "xml": return .xml
        case "json": return .json
        case "php": return .php
        case "jsonp": throw ServiceError.invalidInput("jsonp output format not supported: it would expose credentialed answers to other sites")
        case let other?:
            let shown = String(other.prefix(32))
            throw ServiceError.invalidInput("\(shown) output format not supported")
        }
    }

    /// The format to render an error in: like `of`, but an unsupported value falls back to XML.
    static func forError(_ request: Request) -> DekiFormat {
        (try? of(request)) ?? .xml
    }
}
