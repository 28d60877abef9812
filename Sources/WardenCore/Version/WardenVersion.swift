/// Warden's own release, as `warden --version` and `GET /v2` report it.
public enum WardenVersion {
    public static let current = "0.1.0"
}
