import Imaging

/// ProcessSvc's configuration.
struct ProcessSettings: Sendable {
    /// Job workers running at once. Default: the number of active cores.
    var workers = Parallelism.allCores.threads
    /// Times a job is taken up before it ends in `error` (a worker that died counts). Default 3.
    var maxAttempts = 3
    /// Largest width × height decoded. Default 100 MP.
    var pixelLimit = DecodeOptions.defaultPixelLimit
    /// Largest width × height any step of a pipeline may produce. Default 100 MP.
    var pixelBudget = Pipeline.defaultPixelBudget
    /// How often an idle worker looks for a pending job. Default 50 ms.
    var idlePoll = Duration.milliseconds(50)
    /// The thumbnails' longest side and JPEG quality. Defaults 256 px and 80.
    var thumbnail = Thumbnailer()
    /// Jobs one owner may have pending or running at once; the next is refused with TooManyRequests
    /// (M12). Default 100.
    var maxQueuedJobsPerOwner = 100
    /// Most items on one page of the job list. Default 200.
    var maxPageSize = 200
    /// How long a claimed job stays this replica's without a renewal; renewed every third of it. A job
    /// whose replica died runs again once its lease ends. Default 30 s.
    var jobLease = Duration.seconds(30)

    var jobLeaseMillis: Int64 {
        let (seconds, attoseconds) = jobLease.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
