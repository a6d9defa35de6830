import Detection
import ServiceRuntime

/// The real YOLOv3-tiny model for tests, loaded once per process off the cooperative pool (loading takes
/// seconds in a debug build; a blocking `static let` would hold the pool's threads meanwhile).
public enum TestModel {
    private static let loading = Task {
        await Offload.run {
            Result { () throws -> Detector in
                // One thread: the many servers of a test run share the cores.
                var detector = try Detector(files: ModelFiles(folder: TestImages.modelFolder))
                detector.parallelism = .single
                return detector
            }
        }
    }

    public static func detector() async throws -> Detector { try await loading.value.get() }
}
