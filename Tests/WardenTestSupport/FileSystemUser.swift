import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` with file permissions checked as an unprivileged user, also when the tests
/// run as root (as CI does), so a test of an unreadable file checks something there too.
///
/// As root on Linux this sets the calling thread's filesystem user and group ids
/// (`setfsuid(2)`, `setfsgid(2)`) to `nobody` (65534) for the duration of `body`. Those ids
/// are per thread, and changing the fs uid from 0 clears the thread's CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH, so `open(2)` honours file modes again; `body` is synchronous, so no
/// other task runs on this thread meanwhile. As any other user `body` simply runs.
/// - Throws: `.ioFailure` when running as root where `setfsuid` does not exist or did not
///   take effect: the test fails loudly instead of passing without checking.
public func asUnprivilegedUser<T>(_ body: () throws -> T) throws -> T {
    guard geteuid() == 0 else { return try body() }
    typealias SetFSID = @convention(c) (UInt32) -> Int32
    guard let handle = dlopen(nil, RTLD_NOW),
          let uidSymbol = dlsym(handle, "setfsuid"), let gidSymbol = dlsym(handle, "setfsgid") else {
        throw WardenError(.ioFailure, "running as root without setfsuid(2): cannot drop file permissions to test an unreadable file")
    }
    let setfsuid = unsafeBitCast(uidSymbol, to: SetFSID.self)
    let setfsgid = unsafeBitCast(gidSymbol, to: SetFSID.self)
    let nobody: UInt32 = 65534
    _ = setfsgid(nobody)
    _ = setfsuid(nobody)
    defer {
        _ = setfsuid(0)
        _ = setfsgid(0)
    }
    // setfsuid answers the previous id and never fails visibly: ask again (an invalid id changes nothing).
    guard setfsuid(UInt32.max) == nobody else {
        throw WardenError(.ioFailure, "setfsuid(\(nobody)) did not take effect: cannot drop file permissions to test an unreadable file")
    }
    return try body()
}
