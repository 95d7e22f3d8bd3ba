import Foundation

/// Text on the site's colour: white or near-black, whichever contrasts more (WCAG 2 relative luminance), so that any
/// colour an administrator picks keeps the header, buttons and navigation readable.
enum Branding {
    static let dark = "#1d2330"
    static let light = "#ffffff"

    static func textColour(on colour: String) -> String {
        guard let background = luminance(colour) else { return light }
        let onLight = contrast(background, 1.0)
        let onDark = contrast(background, luminance(dark)!)
        return onLight >= onDark ? light : dark
    }

    /// The contrast ratio of text in `textColour(on:)` over the colour, for the settings preview.
    static func contrast(of colour: String) -> Double {
        guard let background = luminance(colour), let text = luminance(textColour(on: colour)) else { return 1 }
        return contrast(background, text)
    }

    private static func contrast(_ a: Double, _ b: Double) -> Double { (max(a, b) + 0.05) / (min(a, b) + 0.05) }

    /// Relative luminance of `#rrggbb`.
    static func luminance(_ colour: String) -> Double? {
        let digits = colour.dropFirst()
        guard colour.first == "#", digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        func channel(_ shift: UInt32) -> Double {
            let c = Double((value >> shift) & 0xFF) / 255
            return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
    }
}
