import FuzzDriver

/// libFuzzer over the check named here (its file says what is checked).
@main
enum OpsFuzz {
    static func main() { FuzzDriver.run { OperationsFuzzing.check($0) } }
}
