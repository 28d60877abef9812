import NIOCore

extension ReadTimeoutHandler {
    /// Whose turn it is on one connection, and so which timeout applies, as a value type
    /// with no clock and no I/O: the handler passes the time in and carries out the actions.
    ///
    /// The server waits on the client in three places: for a new request (`idle`), for the
    /// rest of a head that has begun (`header`, counted from its first byte) and, inside a
    /// body, for bytes it asked for (`idle` again, counted from the ask, so a handler that
    /// reads slowly is never blamed on the client).
    struct StateMachine {
        enum Phase: Equatable {
            /// No byte of the next request yet.
            case waitingForRequest
            /// Some bytes of a head, not the whole head, since the given time.
            case readingHead(since: NIODeadline)
            /// The head arrived; its body is still coming.
            case readingBody
            case closed
        }

        /// Which limit a connection broke, for the log line.
        enum Timeout: Equatable {
            case header, idle
        }

        enum Action: Equatable {
            case keepOpen
            case close(Timeout)
        }

        let limits: ConnectionLimits
        private(set) var phase = Phase.waitingForRequest
        /// Heads read whose response has not been written yet.
        private(set) var unanswered = 0
        /// Since when the server has been waiting on the client; nil while it is the server's turn.
        private(set) var waitingSince: NIODeadline?
        /// Whether a request part was decoded since the last batch of bytes arrived.
        private var decodedSinceLastRead = false

        init(limits: ConnectionLimits, now: NIODeadline) {
            self.limits = limits
            waitingSince = now
        }

        /// When the connection must be closed unless something happens first, and why.
        var deadline: (at: NIODeadline, timeout: Timeout)? {
            switch phase {
            case .readingHead(let since):
                return (since + TimeAmount(limits.headerTimeout), .header)
            case .waitingForRequest where unanswered == 0, .readingBody:
                return waitingSince.map { ($0 + TimeAmount(limits.idleTimeout), .idle) }
            case .waitingForRequest, .closed:
                return nil
            }
        }

        /// The head arrived whole; the body's clock starts when the server asks for it.
        mutating func receivedHead() {
            phase = .readingBody
            waitingSince = nil
            unanswered += 1
            decodedSinceLastRead = true
        }

        mutating func receivedBodyPart() {
            decodedSinceLastRead = true
        }

        /// The request is complete: the server's turn until its response is written.
        mutating func receivedEnd() {
            phase = .waitingForRequest
            waitingSince = nil
            decodedSinceLastRead = true
        }

        /// A batch of bytes arrived from the socket.
        mutating func bytesArrived(now: NIODeadline) {
            switch phase {
            case .waitingForRequest where !decodedSinceLastRead:
                // Bytes that decoded to nothing while no request is open: a new head has begun.
                phase = .readingHead(since: now)
            case .readingBody:
                // Progress; the clock restarts when the server asks for more.
                waitingSince = nil
            case .waitingForRequest, .readingHead, .closed:
                break
            }
            decodedSinceLastRead = false
        }

        /// The server asked the socket for more bytes (it is ready for them).
        mutating func serverAskedForBytes(now: NIODeadline) {
            if phase == .readingBody, waitingSince == nil { waitingSince = now }
        }

        /// A response was written to its end.
        mutating func answered(now: NIODeadline) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0, phase == .waitingForRequest { waitingSince = now }
        }

        mutating func connectionClosed() {
            phase = .closed
        }

        /// The timer went off: close when a deadline has passed; otherwise it was set for an older one.
        mutating func timerFired(now: NIODeadline) -> Action {
            guard let deadline, now >= deadline.at else { return .keepOpen }
            phase = .closed
            return .close(deadline.timeout)
        }
    }
}
