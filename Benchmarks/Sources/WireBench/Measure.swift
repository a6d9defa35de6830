import BenchSupport
import Foundation

/// Blocking ping-pong of `size`-byte messages (a `u32` length, then the bytes) on a plain socket: the floor
/// any protocol sits on.
func measureTCP(port: Int, size: Int, iterations: Int) -> Figures {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var yes: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    var message = withUnsafeBytes(of: UInt32(size).bigEndian, Array.init)
    message += [UInt8](repeating: 7, count: size)
    var buffer = message
    let clock = ContinuousClock()
    var samples: [Double] = []
    for index in 0..<(iterations + iterations / 10) {
        let start = clock.now
        guard writeFully(fd, message), readFully(fd, &buffer, count: message.count) else { fatalError("TCP peer gone") }
        if index >= iterations / 10 { samples.append((clock.now - start).microseconds) }
    }
    samples.sort()
    let total = samples.reduce(0, +) / 1e6
    return Figures(
        p50: samples[samples.count / 2], p99: samples[samples.count * 99 / 100],
        requestsPerSecond: Double(samples.count) / total)
}
