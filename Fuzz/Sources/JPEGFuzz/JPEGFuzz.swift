import FuzzDriver

/// libFuzzer over the check named here (its file says what is checked).
@main
enum JPEGFuzz {
    static func main() { FuzzDriver.run { DecoderFuzzing.check($0, expecting: .jpeg) } }
}
