/// The dark channel prior's parameters (He, Sun and Tang), with the paper's defaults.
public struct DehazeParameters: Sendable, Hashable, Codable {
    /// Side of the square the dark channel takes its minimum over, in pixels; odd, 1…101. Default 15.
    public var patch: Int
    /// How much haze to remove, (0, 1]; 1 removes all of it and looks unnatural. Default 0.95.
    public var omega: Double
    /// Lower bound of the transmission, (0, 1), so dense haze does not blow up noise. Default 0.1.
    public var t0: Double
    /// Guided-filter radius in pixels, 1…500. Default 60.
    public var radius: Int
    /// Guided-filter regularisation, (0, 1]. Default 1e-4.
    public var eps: Double
    /// Fast guided filter (He and Sun 2015): run the filter at 1/`subsampling` resolution; 1 is the exact
    /// filter, 1…16. Default 1.
    public var subsampling: Int

    public init(
        patch: Int = 15, omega: Double = 0.95, t0: Double = 0.1, radius: Int = 60, eps: Double = 1e-4,
        subsampling: Int = 1
    ) {
        (self.patch, self.omega, self.t0, self.radius, self.eps, self.subsampling) =
            (patch, omega, t0, radius, eps, subsampling)
    }

    /// Throws for a parameter out of its range.
    public func validate() throws(InvalidOperation) {
        func fail(_ message: String) -> InvalidOperation { InvalidOperation(operation: "dehaze", message: message) }
        guard (1...101).contains(patch), patch % 2 == 1 else { throw fail("patch must be odd and 1…101, got \(patch)") }
        guard omega > 0, omega <= 1 else { throw fail("omega must be in (0, 1], got \(omega)") }
        guard t0 > 0, t0 < 1 else { throw fail("t0 must be in (0, 1), got \(t0)") }
        guard (1...500).contains(radius) else { throw fail("radius must be 1…500, got \(radius)") }
        guard eps > 0, eps <= 1 else { throw fail("eps must be in (0, 1], got \(eps)") }
        guard (1...16).contains(subsampling) else { throw fail("subsampling must be 1…16, got \(subsampling)") }
    }

    enum CodingKeys: String, CodingKey {
        case patch, omega, t0, radius, eps, subsampling
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DehazeParameters()
        self.init(
            patch: try container.decodeIfPresent(Int.self, forKey: .patch) ?? defaults.patch,
            omega: try container.decodeIfPresent(Double.self, forKey: .omega) ?? defaults.omega,
            t0: try container.decodeIfPresent(Double.self, forKey: .t0) ?? defaults.t0,
            radius: try container.decodeIfPresent(Int.self, forKey: .radius) ?? defaults.radius,
            eps: try container.decodeIfPresent(Double.self, forKey: .eps) ?? defaults.eps,
            subsampling: try container.decodeIfPresent(Int.self, forKey: .subsampling) ?? defaults.subsampling)
    }
}
