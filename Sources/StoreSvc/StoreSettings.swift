import Imaging

/// StoreSvc's configuration.
struct StoreSettings: Sendable {
    /// Bytes of blobs and thumbnails kept in memory. Default 256 MiB.
    var cacheCapacity = 256 * 1024 * 1024
    /// Largest width × height accepted at upload. Default 100 MP.
    var pixelLimit = DecodeOptions.defaultPixelLimit
    /// Largest upload in bytes. Default 50 MiB.
    var maxImageBytes = 50 * 1024 * 1024
    /// Most items on one page of a list. Default 200.
    var maxPageSize = 200
    /// Events older than this that every registered consumer has committed past are pruned. Default 7 days.
    var eventRetention: Int64 = 7 * 86_400_000
    /// How long a consumer's replica holds its partitions of the event log after its last poll, in
    /// milliseconds: a replica that dies is replaced this long after. Default 15 s.
    var consumerLease: Int64 = 15_000
}
