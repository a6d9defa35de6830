import FuzzDriver

/// libFuzzer over the check named here (its file says what is checked).
@main
enum WireFuzz {
    static func main() { FuzzDriver.run { WireFuzzing.check($0) } }
}
