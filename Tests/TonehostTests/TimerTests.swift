import Foundation
import TonehostCore
import XCTest

/// The host's one timer thread (`OneShotTimer`): request deadlines, plugin-call deadlines,
/// store-call deadlines and answer pacing all go through it.
final class TimerTests: XCTestCase {
    func testTimersFireInDeadlineOrderWhateverOrderTheyWereArmedIn() {
        let fired = Locked<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        let delays = Array(1...40).shuffled()
        var timers: [OneShotTimer] = []
        for d in delays {
            timers.append(OneShotTimer(after: .milliseconds(d * 5)) {
                fired.append(d)
                done.signal()
            })
        }
        for _ in delays { XCTAssertEqual(done.wait(timeout: .now() + 10), .success) }
        XCTAssertEqual(fired.value, Array(1...40))
        _ = timers
    }

    func testACancelledTimerNeverFiresAndTheOthersStillDo() {
        let fired = Locked<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        // Many long deadlines cancelled at once (what every finished request does), then short ones.
        let long = (0..<5_000).map { i in OneShotTimer(after: .seconds(300)) { fired.append(-i) } }
        for t in long { t.cancel() }
        let short = (0..<10).map { i in OneShotTimer(after: .milliseconds(20 + i)) { fired.append(i); done.signal() } }
        short[3].cancel()
        short[3].cancel()  // idempotent
        for _ in 0..<9 { XCTAssertEqual(done.wait(timeout: .now() + 10), .success) }
        XCTAssertEqual(done.wait(timeout: .now() + 0.2), .timedOut)
        // Sorted: these actions run on dispatch's threads, so two deadlines 1 ms apart may append
        // in either order on a busy machine (the order is the previous test's, 5 ms apart).
        XCTAssertEqual(fired.value.sorted(), [0, 1, 2, 4, 5, 6, 7, 8, 9])
    }

    /// The answer stream paces its text writes with `pause`: text waits, the end does not.
    func testAPauseEndsAtItsDeadlineOrAtOnceForAnUrgentEventOrTheEnd() async {
        var producer: EventChannel<Int>.Producer?
        let channel = EventChannel<Int> { producer = $0 }
        let urgent: @Sendable (Int) -> Bool = { $0 < 0 }
        var start = ContinuousClock.now
        await channel.pause(until: start + .milliseconds(60), unless: urgent)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(59), "no event: the whole pause")

        start = ContinuousClock.now
        Task { [producer] in
            try? await Task.sleep(for: .milliseconds(20))
            producer?.yield(1)  // not urgent: the pause goes on
            try? await Task.sleep(for: .milliseconds(20))
            producer?.yield(-1)
        }
        await channel.pause(until: start + .seconds(30), unless: urgent)
        let waited = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(39))
        XCTAssertLessThan(waited, .seconds(10), "an urgent event ends the pause")
        let batch = await channel.nextBatch()
        XCTAssertEqual(batch, [1, -1])

        // The end of the channel ends the pause.
        start = ContinuousClock.now
        Task { [producer] in
            try? await Task.sleep(for: .milliseconds(20))
            producer?.finish()
        }
        await channel.pause(until: start + .seconds(30), unless: { _ in false })
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(10), "the end of the channel ends the pause")

        // So does cancelling the pausing task.
        let other = EventChannel<Int> { _ in }
        let task = Task {
            let began = ContinuousClock.now
            await other.pause(until: began + .seconds(30), unless: { _ in false })
            return ContinuousClock.now - began
        }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        let paused = await task.value
        XCTAssertLessThan(paused, .seconds(10), "cancelling the task ends the pause")
    }
}
