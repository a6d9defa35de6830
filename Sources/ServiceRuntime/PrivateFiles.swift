import Foundation

/// A data folder is its owner's alone: it holds password hashes, signing keys, the cluster secret, mail
/// with confirmation codes and everyone's photos. Every Clearsky process creates files 0600 and folders
/// 0700 (umask 077), and tightens what an earlier version or a person left looser.
public enum PrivateFiles {
    /// From now on, files this process creates are 0600 and folders 0700.
    public static func restrictNewFiles() {
        umask(0o077)
    }

    /// `folder` becomes 0700 and each regular file directly in it 0600 (databases, their WAL and
    /// shared-memory files, the secret); deeper contents are the services' own and were created private.
    /// Symbolic links are left as they are.
    public static func tighten(_ folder: String) throws {
        try setMode(folder, 0o700, ifKind: S_IFDIR)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        for name in names { try setMode("\(folder)/\(name)", 0o600, ifKind: S_IFREG) }
    }

    private static func setMode(_ path: String, _ mode: mode_t, ifKind kind: mode_t) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // gone since it was listed
        guard status.st_mode & S_IFMT == kind, status.st_mode & 0o777 != mode else { return }
        guard chmod(path, mode) == 0 else {
            throw CocoaError(
                .fileWriteNoPermission,
                userInfo: [NSFilePathErrorKey: path, "reason": String(cString: strerror(errno))])
        }
    }
}
