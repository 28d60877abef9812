import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
import WardenCore
@testable import WardenServer
import WardenTestSupport

/// Slow clients (slowloris) against a real server with small limits: a head sent a byte at
/// a time, a body that stops, a connection that says nothing. Each is cut off once its
/// limit passes, never before, while other clients keep being served.
@Suite struct SlowClientTests {
    static let headerTimeout: Duration = .milliseconds(1500)
    static let idleTimeout: Duration = .seconds(2)

    static func smallLimits(_ configuration: inout ServerConfiguration) {
        configuration.connectionLimits.headerTimeout = headerTimeout
        configuration.connectionLimits.idleTimeout = idleTimeout
    }

    /// How a slow client fared: whether the server closed on it, when, and after how many bytes.
    struct Outcome: Sendable {
        var cutOff = false
        var after: Duration = .zero
        var bytesSent = 0
    }

    /// Sends `bytes` one a second, watching for the server's close between bytes.
    static func trickle(_ bytes: [UInt8], port: Int) throws -> Outcome {
        let connection = try RawConnection(port: port)
        let clock = ContinuousClock()
        let start = clock.now
        var outcome = Outcome()
        for byte in bytes {
            guard connection.write([byte]) else { break }
            outcome.bytesSent += 1
            // The one-second pace is the attack; the wait ends early on the server's close.
            if connection.closedByServer(within: .seconds(1)) {
                outcome.cutOff = true
                break
            }
        }
        outcome.after = clock.now - start
        return outcome
    }

    @Test func aHeadSentAByteASecondIsCutOffWhileOtherClientsAreServed() async throws {
        try await ServerHarness.run(Self.smallLimits) { harness, client in
            let port = try #require(client.port)
            // Twenty bytes, never the whole head: a server without a header timeout would wait out all of them.
            let head = Array("GET /healthz HTTP/1.1\r\nHost: warden\r\nX-Slow: 1\r\n".utf8.prefix(20))
            let finished = Counter()
            let slowClients = 3
            async let outcomes = withThrowingTaskGroup(of: Outcome.self) { group in
                for _ in 0..<slowClients {
                    group.addTask {
                        defer { finished.increment() }
                        return try await RawConnection.blocking { try Self.trickle(head, port: port) }
                    }
                }
                return try await group.reduce(into: [Outcome]()) { $0.append($1) }
            }
            // Meanwhile, ordinary requests are answered at once (bounded by the slow clients' twenty seconds).
            var served = 0
            while finished.value < slowClients {
                let response = try await client.send(uri: "/healthz", method: .get)
                #expect(response.status == .ok)
                served += 1
                try await Task.sleep(for: .milliseconds(50))
            }
            for outcome in try await outcomes {
                #expect(outcome.cutOff, "a client sending one header byte a second was still connected after \(outcome.bytesSent) bytes")
                #expect(outcome.after >= Self.headerTimeout - .milliseconds(100), "cut off after \(outcome.after), before the header timeout")
                #expect(outcome.after < Self.headerTimeout + .seconds(5), "cut off only after \(outcome.after)")
            }
            #expect(served > 0, "no ordinary request was answered while the slow clients were connected")
        }
    }

    @Test func aHeadInSeveralPiecesWithinTheLimitIsServed() async throws {
        try await ServerHarness.run(Self.smallLimits) { _, client in
            let port = try #require(client.port)
            let response = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                connection.write("GET /healthz HTTP/1.1\r\n")
                _ = connection.read(within: .milliseconds(300))  // a pause well inside the limit
                connection.write("Host: warden\r\n\r\n")
                return connection.response()
            }
            #expect(response?.status == 200, "\(response?.statusLine ?? "no answer")")
        }
    }

    @Test func aBodyThatStopsArrivingIsCutOffAndStoresNothing() async throws {
        let logs = LogRecorder()
        try await ServerHarness.run(Self.smallLimits, logs: logs) { harness, client in
            let port = try #require(client.port)
            let bytes = [UInt8](repeating: 7, count: 100)
            let request = "PUT /api/v1/blobs/\(Digest.sha256(bytes)) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(harness.adminToken)\r\nContent-Length: 100\r\n\r\n"
            let (closed, after) = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                connection.write(Array(request.utf8) + bytes[..<10])
                let clock = ContinuousClock()
                let start = clock.now
                return (connection.closedByServer(within: .seconds(15)), clock.now - start)
            }
            #expect(closed, "a body that stopped after 10 of 100 bytes kept its connection for 15 s")
            #expect(after >= Self.idleTimeout - .milliseconds(100), "closed after \(after), before the idle timeout")
            // The handler aborts the upload once the closed connection ends its body stream, which
            // can come a moment after the client sees the close: wait for it, bounded.
            let folder = harness.directory.file("data/blobs/uploads")
            try await waitUntil("the partial upload is removed: \((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])", within: .seconds(10)) {
                try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty
            }
        }
        #expect(logs.entries(atLeast: .error).isEmpty, "\(logs.entries(atLeast: .error))")
    }

    @Test func aConnectionThatSaysNothingIsClosedAfterTheIdleTimeout() async throws {
        try await ServerHarness.run(Self.smallLimits) { _, client in
            let port = try #require(client.port)
            let (closed, after) = try await RawConnection.blocking {
                let connection = try RawConnection(port: port)
                let clock = ContinuousClock()
                let start = clock.now
                return (connection.closedByServer(within: .seconds(15)), clock.now - start)
            }
            #expect(closed, "a silent connection was kept for 15 s")
            #expect(after >= Self.idleTimeout - .milliseconds(100), "closed after \(after), before the idle timeout")
        }
    }

    @Test func connectionsOverTheCapWaitUntilOneCloses() async throws {
        // Run as `warden serve` runs it: HummingbirdTesting's live server drops the connection cap.
        try await Self.serve({ $0.connectionLimits.maximumConnections = 2 }) { port in
            let (heldBack, servedAfterAClose) = try await RawConnection.blocking {
                let first = try RawConnection(port: port)
                let second = try RawConnection(port: port)
                // Both are accepted (each is answered), so the server now holds its two.
                for connection in [first, second] {
                    connection.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    guard connection.response()?.status == 200 else { return (false, false) }
                }
                let third = try RawConnection(port: port)  // the kernel's backlog takes it
                third.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                let early = third.response(within: .milliseconds(500))
                first.close()  // frees a place
                let late = early ?? third.response(within: .seconds(10))
                second.close()
                return (early == nil, late?.status == 200)
            }
            #expect(heldBack, "a third connection was served while two were open and the cap is 2")
            #expect(servedAfterAClose, "the third connection was not served after one of the two closed")
        }
    }

    @Test func theLimitsComeFromTheConfigurationFileWithErrorsNamingTheKey() throws {
        let directory = try TemporaryDirectory("warden-config")
        defer { directory.remove() }
        let good = try directory.write("good.yaml", "header_timeout_seconds: 2.5\nidle_timeout_seconds: 60\nmax_connections: 64\n")
        let limits = try ServerConfiguration.load(file: good).connectionLimits
        #expect(limits.headerTimeout == .milliseconds(2500) && limits.idleTimeout == .seconds(60) && limits.maximumConnections == 64)
        #expect(ServerConfiguration().connectionLimits == ConnectionLimits(), "defaults: 10 s, 30 s, 1000")
        #expect(ConnectionLimits().headerTimeout == .seconds(10) && ConnectionLimits().idleTimeout == .seconds(30))
        for (text, message) in [
            ("header_timeout_seconds: 0\n", "header_timeout_seconds: must be a positive number of seconds"),
            ("idle_timeout_seconds: forever\n", "idle_timeout_seconds: must be a positive number of seconds"),
            ("max_connections: -5\n", "max_connections: must be a positive number of connections"),
        ] {
            let bad = try directory.write("bad.yaml", text)
            expectWardenError(.invalidArgument, containing: message) { _ = try ServerConfiguration.load(file: bad) }
        }
    }

    /// Runs the application as `warden serve` does (the same services, the same server
    /// configuration) on a free loopback port, until `body` returns.
    static func serve(_ adjust: (inout ServerConfiguration) -> Void, _ body: @Sendable (Int) async throws -> Void) async throws {
        let directory = try TemporaryDirectory("warden-serve")
        defer { directory.remove() }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory.file("data")
        configuration.host = "127.0.0.1"
        configuration.port = 0
        adjust(&configuration)
        var logger = Logger(label: "warden.test")
        logger.logLevel = .warning
        let server = try await WardenServer.open(configuration, logger: logger)
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let application = server.application { channel in listening.yield(channel.localAddress?.port ?? 0) }
        let services = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw WardenError(.ioFailure, "the server did not start") }
            do {
                try await body(port)
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}

/// A count shared between tasks.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}

/// The timeout rules with no clock and no socket: times are passed in.
@Suite struct ReadTimeoutStateMachineTests {
    typealias Machine = ReadTimeoutHandler.StateMachine
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    static var limits: ConnectionLimits {
        var limits = ConnectionLimits()
        limits.headerTimeout = .seconds(10)
        limits.idleTimeout = .seconds(30)
        return limits
    }

    func at(_ seconds: Int64) -> NIODeadline { Self.start + .seconds(seconds) }

    @Test func aNewConnectionMayIdleThenItsHeadHasTheHeaderTimeoutFromItsFirstByte() {
        var machine = Machine(limits: Self.limits, now: at(0))
        #expect(machine.deadline?.at == at(30) && machine.deadline?.timeout == .idle)
        machine.bytesArrived(now: at(20))
        #expect(machine.deadline?.at == at(30) && machine.deadline?.timeout == .header)
        machine.bytesArrived(now: at(25))  // more of the head: the clock does not restart
        #expect(machine.timerFired(now: at(29)) == .keepOpen)
        #expect(machine.timerFired(now: at(30)) == .close(.header))
    }

    @Test func whileTheServerHandlesARequestNothingTimesOut() {
        var machine = Machine(limits: Self.limits, now: at(0))
        machine.receivedHead()
        machine.receivedEnd()
        machine.bytesArrived(now: at(1))  // the bytes that carried the whole request
        #expect(machine.deadline == nil)
        #expect(machine.timerFired(now: at(500)) == .keepOpen)
        machine.answered(now: at(600))
        #expect(machine.deadline?.at == at(630) && machine.deadline?.timeout == .idle)
    }

    @Test func aBodyTimesOutOnlyWhileTheServerAsksForBytesThatDoNotCome() {
        var machine = Machine(limits: Self.limits, now: at(0))
        machine.bytesArrived(now: at(0))
        machine.receivedHead()
        #expect(machine.deadline == nil, "the handler has not asked for the body yet")
        machine.serverAskedForBytes(now: at(5))
        #expect(machine.deadline?.at == at(35))
        machine.receivedBodyPart()
        machine.bytesArrived(now: at(20))
        #expect(machine.deadline == nil)
        machine.serverAskedForBytes(now: at(20))
        #expect(machine.timerFired(now: at(49)) == .keepOpen)
        #expect(machine.timerFired(now: at(50)) == .close(.idle))
    }

    @Test func aResponseWrittenBeforeTheNextHeadRestartsTheIdleClock() {
        var machine = Machine(limits: Self.limits, now: at(0))
        machine.receivedHead()
        machine.receivedEnd()
        machine.bytesArrived(now: at(0))
        machine.answered(now: at(2))
        machine.bytesArrived(now: at(3))  // the next request's head begins
        #expect(machine.deadline?.at == at(13) && machine.deadline?.timeout == .header)
        machine.receivedHead()
        #expect(machine.deadline == nil)
    }
}
