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
        XCTAssertEqual(fired.value, [0, 1, 2, 4, 5, 6, 7, 8, 9])
    }

    func testSleepWaitsAndACancelledSleepReturnsAtOnce() async {
        let start = ContinuousClock.now
        await OneShotTimer.sleep(for: .milliseconds(50))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(49))

        let task = Task {
            let began = ContinuousClock.now
            await OneShotTimer.sleep(for: .seconds(60))
            return ContinuousClock.now - began
        }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        let slept = await task.value
        XCTAssertLessThan(slept, .seconds(5))

        // Cancelled before it starts: no wait at all.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            let began = ContinuousClock.now
            await OneShotTimer.sleep(for: .seconds(60))
            return ContinuousClock.now - began
        }
        let d = await early.value
        XCTAssertLessThan(d, .seconds(1))
    }
}
