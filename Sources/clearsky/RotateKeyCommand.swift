import ArgumentParser
import ClusterCertificates
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
        let rotation = try await OperatorCall.auth(options) { try await $0.call(AuthContract.rotateKey, Empty()) }
        print("Signing key rotated; the new key is \(rotation.kid).")
    }
}

/// `clearsky revoke-key KID`: removes a signing key at once, for a key that leaked. Tokens it signed stop
/// verifying at every gateway within its key cache's age (30 s by default); people signed in with them
/// sign in again.
struct RevokeKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-key", abstract: "Revoke a token signing key of a running Clearsky (emergency).")

    @Argument(help: "The key id (the kid of the tokens' header, as rotate-key prints it).")
    var kid: String

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let request = RevokeKeyRequest(kid: kid)
        let revocation = try await OperatorCall.auth(options) { try await $0.call(AuthContract.revokeKey, request) }
        print("Signing key \(revocation.kid) revoked; \(revocation.activeKid) signs from now on.")
    }
}

/// A call to AuthSvc as the operator: with the operator's certificate from the certificate folder (or the
/// cluster secret alone over plain Wire).
enum OperatorCall {
    static func auth<T: Sendable>(
        _ options: ServiceOptions, _ body: @Sendable (WireClient) async throws -> T
    ) async throws -> T {
        let configuration = try options.resolve(for: .gateway)
        guard let endpoints = configuration.peers[.auth], !endpoints.isEmpty else {
            throw ValidationError("No AuthSvc address")
        }
        let client = WireClient(
            endpoints: endpoints, service: ServiceName.auth.rawValue,
            credentials: try configuration.credentials(as: .operatorCommands))
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}
