import Contracts
import Foundation
import Primitives
import Wire

/// Content-addressed files: `ROOT/blobs/<owner>/<sha[0..2]>/<sha>`. A blob is written to `ROOT/tmp`,
/// fsynced, then renamed into place, so a reader (or a restart) never sees half a blob.
struct BlobStore: Sendable {
    let root: String

    init(root: String) throws {
        self.root = root
        for folder in [blobsFolder, temporaryFolder] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }

    var blobsFolder: String { "\(root)/blobs" }
    var temporaryFolder: String { "\(root)/tmp" }

    func path(owner: String, sha256: String) -> String {
        "\(blobsFolder)/\(owner)/\(sha256.prefix(2))/\(sha256)"
    }

    /// Writes `bytes` to a new temporary file and fsyncs it; `publish` moves it into place.
    func stage(_ bytes: [UInt8]) throws -> String {
        let path = "\(temporaryFolder)/\(Crypto.hex(Crypto.randomBytes(12)))"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("create", path) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = failure("write", path)
                unlink(path)
                throw error
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("fsync", path)
            unlink(path)
            throw error
        }
        return path
    }

    /// Renames a staged file to its blob path; when the blob already exists the staged copy is dropped.
    func publish(staged: String, owner: String, sha256: String) throws {
        let target = path(owner: owner, sha256: sha256)
        if access(target, F_OK) == 0 {
            unlink(staged)
            return
        }
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard rename(staged, target) == 0 else { throw failure("rename", target) }
        // The rename is durable once its folder is.
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// The whole blob, or `length` bytes from `offset`.
    func read(owner: String, sha256: String, offset: Int = 0, length: Int? = nil) throws -> [UInt8] {
        let path = path(owner: owner, sha256: sha256)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw WireError(.dataLoss, "The content of this image is missing from storage")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("stat", path) }
        let size = Int(status.st_size)
        let start = min(offset, size)
        let count = min(length ?? size, size - start)
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + done, count - done, off_t(start + done))
            }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw failure("read", path) }
            done += got
        }
        return bytes
    }

    func remove(owner: String, sha256: String) {
        unlink(path(owner: owner, sha256: sha256))
    }

    /// Drops staged files a crash left behind: all of them, or those last changed before `olderThan`
    /// (when other processes stage into the same folder).
    func sweepTemporary(olderThan: Date? = nil) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporaryFolder)) ?? [] {
            let path = "\(temporaryFolder)/\(name)"
            if let olderThan, Self.modified(path).map({ $0 >= olderThan }) ?? true { continue }
            unlink(path)
        }
    }

    /// When the blob was last changed; nil when it is not there.
    func modified(owner: String, sha256: String) -> Date? { Self.modified(path(owner: owner, sha256: sha256)) }

    private static func modified(_ path: String) -> Date? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Date(
            timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9)
    }

    /// Every blob on disk as (owner, sha256).
    func allBlobs() -> [(owner: String, sha256: String)] {
        var found: [(String, String)] = []
        let manager = FileManager.default
        for owner in (try? manager.contentsOfDirectory(atPath: blobsFolder)) ?? [] {
            for prefix in (try? manager.contentsOfDirectory(atPath: "\(blobsFolder)/\(owner)")) ?? [] {
                for name in (try? manager.contentsOfDirectory(atPath: "\(blobsFolder)/\(owner)/\(prefix)")) ?? [] {
                    found.append((owner, name))
                }
            }
        }
        return found
    }

    private func failure(_ what: String, _ path: String) -> WireError {
        WireError(.internal, "Storage \(what) failed for \((path as NSString).lastPathComponent): errno \(errno)")
    }
}
