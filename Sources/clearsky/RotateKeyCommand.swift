import ArgumentParser
import Contracts
import ServiceRuntime
import Wire

/// `clearsky rotate-key`: tells AuthSvc to sign with a new key. Tokens signed with the old key keep
/// verifying until they expire.
struct RotateKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key", abstract: "Rotate the token signing key of a running Clearsky.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let configuration = try options.resolve(for: .gateway)
        guard let endpoint = configuration.peers[.auth] else { throw ValidationError("No AuthSvc address") }
        let client = WireClient(
            endpoint: endpoint, service: ServiceName.auth.rawValue,
            secret: try ClusterSecret.load(from: configuration.secretFile))
        let rotation: KeyRotation
        do {
            rotation = try await client.call(AuthContract.rotateKey, Empty())
        } catch {
            await client.close()
            throw error
        }
        await client.close()
        print("Signing key rotated; the new key is \(rotation.kid).")
    }
}
