import Testing

@testable import AuthSvc

/// M8: random usernames cannot grow the throttle without bound.
@Suite struct ThrottleTests {
    @Test func expiredKeysLeaveAndLiveKeysAreCapped() {
        let throttle = Throttle(limit: 3, window: 60, maxKeys: 1000)
        for index in 0..<5000 { #expect(throttle.attempt("user-\(index)", now: 0) == nil) }
        #expect(throttle.keyCount == 1000)
        // Once the window has passed, one more attempt drops every expired key.
        #expect(throttle.attempt("late", now: 61) == nil)
        #expect(throttle.keyCount == 1)
        // The limit still holds for a key that keeps trying.
        for _ in 0..<2 { #expect(throttle.attempt("late", now: 62) == nil) }
        #expect(throttle.attempt("late", now: 62) != nil)
    }
}
