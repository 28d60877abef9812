import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client keeps the server waiting: a request head that takes
/// longer than `headerTimeout` from its first byte, or silence for `idleTimeout` while the
/// server waits for a request or for the rest of a body (`ConnectionLimits`).
///
/// It sits after HTTP decoding (Hummingbird's `additionalChannelHandlers`), so it sees
/// whole request parts; `channelReadComplete` tells it that bytes arrived even when they
/// decoded to nothing yet (a head trickling in), and the outbound `read` tells it that the
/// server is ready for more, so backpressure from a slow handler is never counted.
/// Hummingbird's own `idleTimeout` cannot tell these apart: a body trickling one byte at a
/// time resets it, and it has one limit for a head and a silent connection.
final class ReadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let logger: Logger
    private var state: StateMachine?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state?.connectionClosed()
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: state?.receivedHead()
        case .body: state?.receivedBodyPart()
        case .end: state?.receivedEnd()
        }
        update(context)
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        state?.bytesArrived(now: .now())
        update(context)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        state?.serverAskedForBytes(now: .now())
        update(context)
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            state?.answered(now: .now())
            update(context)
        }
        context.write(data, promise: promise)
    }

    // MARK: The timer

    private func start(_ context: ChannelHandlerContext) {
        guard state == nil else { return }
        state = StateMachine(limits: limits, now: .now())
        update(context)
    }

    /// Keeps one scheduled task, at or before the state's deadline; a task that fires
    /// early (the deadline moved later) just schedules the next one.
    private func update(_ context: ChannelHandlerContext) {
        guard let deadline = state?.deadline?.at else { return cancelTimer() }
        if let timerDeadline, timerDeadline <= deadline { return }
        cancelTimer()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            switch state?.timerFired(now: .now()) {
            case .close(let timeout)?:
                logger.info("closed a connection that kept the server waiting", metadata: [
                    "remote": "\(context.channel.remoteAddress?.description ?? "?")",
                    "reason": "\(timeout == .header ? "the request head took longer than \(limits.headerTimeout)" : "nothing arrived for \(limits.idleTimeout)")",
                ])
                context.close(promise: nil)
            case .keepOpen?, nil:
                update(context)
            }
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }
}

@available(*, unavailable)
extension ReadTimeoutHandler: Sendable {}
