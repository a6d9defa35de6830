import FuzzDriver

/// libFuzzer over the check named here (its file says what is checked).
@main
enum JWTFuzz {
    static func main() { FuzzDriver.run { TokenFuzzing.check($0) } }
}
