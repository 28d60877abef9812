/// How long a connection may keep the server waiting, and how many may be open at once:
/// the defence against slow clients (slowloris) holding every connection.
///
/// A request's head must arrive whole within `headerTimeout` of its first byte. While the
/// server waits on the client (between requests, or for the next piece of a body it asked
/// for) a connection that sends nothing for `idleTimeout` is closed. Time the server itself
/// spends (handling a request, or a handler that reads its body slowly) never counts.
public struct ConnectionLimits: Sendable, Equatable {
    /// The most a request's head (request line and headers) may take, from its first byte.
    public var headerTimeout: Duration = .seconds(10)
    /// The most a connection may stay silent while the server waits for it: an idle
    /// keep-alive connection, or a body that stopped arriving.
    public var idleTimeout: Duration = .seconds(30)
    /// Connections open at once; more wait in the listen backlog until one closes.
    /// Keep it below the process's open-file limit (`ulimit -n`).
    public var maximumConnections = 1000

    public init() {}
}
