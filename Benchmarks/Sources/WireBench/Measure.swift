import BenchSupport
import Foundation

/// Blocking 16-byte ping-pong on a plain socket: the floor any protocol sits on.
func measureTCP(port: Int, iterations: Int) -> Figures {
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
    var buffer = [UInt8](repeating: 7, count: 16)
    let clock = ContinuousClock()
    var samples: [Double] = []
    for index in 0..<(iterations + iterations / 10) {
        let start = clock.now
        _ = write(fd, buffer, 16)
        _ = readFully(fd, &buffer)
        if index >= iterations / 10 { samples.append((clock.now - start).microseconds) }
    }
    samples.sort()
    let total = samples.reduce(0, +) / 1e6
    return Figures(
        p50: samples[samples.count / 2], p99: samples[samples.count * 99 / 100],
        requestsPerSecond: Double(samples.count) / total)
}
