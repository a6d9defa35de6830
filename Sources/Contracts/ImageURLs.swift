import Wire

/// The REST paths of an image's content and thumbnail: the gateway hands them out, StoreSvc reads a
/// thumbnail URL back to its image.
public enum ImageURLs {
    public static func content(_ id: String) -> String { "/v1/images/\(id)/content" }
    public static func thumbnail(_ id: String) -> String { "/v1/images/\(id)/thumbnail" }

    /// The image id in a thumbnail URL, absolute (`https://host/v1/images/ID/thumbnail?x`) or a path; nil
    /// when the URL is not one.
    public static func imageId(fromThumbnailURL url: String) -> String? {
        var path = Substring(url)
        if let scheme = path.range(of: "://") {
            path = path[scheme.upperBound...]
            guard let slash = path.firstIndex(of: "/") else { return nil }
            path = path[slash...]
        }
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "v1", parts[2] == "images", parts[4] == "thumbnail",
            !parts[3].isEmpty
        else { return nil }
        return String(parts[3])
    }
}
