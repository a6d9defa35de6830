import FuzzDriver

/// libFuzzer over the check named here (its file says what is checked).
@main
enum PNGFuzz {
    static func main() { FuzzDriver.run { DecoderFuzzing.check($0, expecting: .png) } }
}
