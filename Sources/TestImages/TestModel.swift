import Detection
import ServiceRuntime

/// The real YOLOv3-tiny model for tests, loaded once per process off the cooperative pool (loading takes
/// seconds in a debug build; a blocking `static let` would hold the pool's threads meanwhile).
public enum TestModel {
    private static let loading = Task {
        await Offload.run {
            Result { () throws -> Detector in
                // One OpenBLAS thread: its idle threads spin, which starves the many servers of a test run.
                Network.setThreads(1)
                return try Detector(files: ModelFiles(folder: TestImages.modelFolder))
            }
        }
    }

    public static func detector() async throws -> Detector { try await loading.value.get() }
}
