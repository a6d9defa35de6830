import FuzzDriver

/// libFuzzer over the check named here (its file says what is checked).
@main
enum MultipartFuzz {
    static func main() { FuzzDriver.run { MultipartFuzzing.check($0) } }
}
