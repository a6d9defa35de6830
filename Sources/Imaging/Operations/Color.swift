extension Color {
    /// The bytes of this colour in `layout` (gray is the colour's luma).
    func bytes(for layout: PixelLayout) -> [UInt8] {
        let luma = Imaging.luma(red, green, blue)
        switch layout {
        case .gray: return [luma]
        case .grayAlpha: return [luma, alpha]
        case .rgb: return [red, green, blue]
        case .rgba: return [red, green, blue, alpha]
        }
    }
}
