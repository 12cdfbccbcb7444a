import Foundation
import TonehostCore
import XCTest

/// The request path (MISSION §3) with real plugins that sleep, fail and record.
final class PipelineTests: XCTestCase {
    func testBranchesRunInParallel() async throws {
        // describer 400 ms ∥ (retrieve → llm 600 ms): the whole request well under their sum.
        let dir = try TestPlugins.standardSet(describer: ["delay_ms": 400], llm: ["start_delay_ms": 600])
        let generation = try TestPlugins.generation(dir)
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?"), generation)
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.tone?.category, "elder_friendly")
        XCTAssertEqual(r.tone?.descriptionSource, .describer)
        XCTAssertLessThan(r.seconds, 0.75, "took \(r.seconds) s")
        XCTAssertGreaterThanOrEqual(r.seconds, 0.6)
    }

    func testHangingDescriberDoesNotHoldTheAnswer() async throws {
        let dir = try TestPlugins.standardSet(describer: ["mode": "hang", "delay_ms": 20000], describerExtra: "deadline_ms = 500",
                                              llm: ["start_delay_ms": 100])
        let generation = try TestPlugins.generation(dir)
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?"), generation)
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.tone?.category, "casual_friendly")
        XCTAssertTrue(r.tone?.fallbackReason?.contains("timed out") ?? false, "\(String(describing: r.tone))")
        XCTAssertLessThan(r.seconds, 0.9, "answer held \(r.seconds) s by a hanging describer")
        XCTAssertTrue(r.text.contains("1973"))
    }

    func testDefaultDescriberDeadlineIsFiveSeconds() async throws {
        let dir = try TestPlugins.standardSet(describer: ["mode": "hang", "delay_ms": 20000])
        let generation = try TestPlugins.generation(dir)
        var settings = PipelineSettings()
        XCTAssertEqual(settings.describerDeadline, .seconds(5))
        settings.describerDeadline = .milliseconds(300)  // configurable
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?"), generation, settings: settings)
        XCTAssertEqual(r.tone?.category, "casual_friendly")
        XCTAssertLessThan(r.seconds, 0.7)
    }

    func testDescriberErrorFallsBackToCasual() async throws {
        let dir = try TestPlugins.standardSet(describer: ["mode": "error"])
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?"), try TestPlugins.generation(dir))
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.tone?.category, "casual_friendly")
        XCTAssertTrue(r.tone?.fallbackReason?.contains("camera service unreachable") ?? false)
        XCTAssertFalse(r.text.isEmpty)
        XCTAssertEqual(r.summary?.pluginFailures, ["test-describer"], "failures are reported by plugin")
    }

    func testClientDescriptionSkipsTheDescriber() async throws {
        let calls = NSTemporaryDirectory() + "describer-calls-\(UUID().uuidString)"
        let dir = try TestPlugins.standardSet(describer: ["calls_file": calls])
        let generation = try TestPlugins.generation(dir)
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?", userDescription: "a man with a walking stick"), generation)
        XCTAssertEqual(r.tone?.descriptionSource, .client)
        XCTAssertEqual(r.tone?.category, "elder_friendly")
        XCTAssertFalse(FileManager.default.fileExists(atPath: calls), "the describer was called")
        // And without a client description it is called, with the session id.
        _ = await runPipeline(PipelineRequest(question: "What is ITRI?", sessionID: "kiosk-7"), generation)
        XCTAssertEqual(try String(contentsOfFile: calls, encoding: .utf8), "kiosk-7\n")
    }

    func testToneReceivesDescriptionQuestionLanguageAndFirstMessage() async throws {
        let dir = try TestPlugins.standardSet(describer: ["text": "一位拄著拐杖 walking stick 的老爺爺"], tone: ["record": 1])
        let generation = try TestPlugins.generation(dir)
        let r = await runPipeline(PipelineRequest(question: "工研院是什麼？"), generation)
        XCTAssertEqual(r.tone?.category, "elder_friendly")
        XCTAssertTrue(r.text.contains("[desc=一位拄著拐杖 walking stick 的老爺爺|msg=工研院是什麼？|lang=zh-TW|first=1|seg=0|final=0]"), r.text)
        XCTAssertTrue(r.text.contains("|final=1]"), r.text)

        let later = await runPipeline(PipelineRequest(question: "Who founded ITRI?", history: [
            ChatMessage(role: "user", content: "What is ITRI?"), ChatMessage(role: "assistant", content: "A research institute."),
        ]), generation)
        XCTAssertTrue(later.text.contains("|msg=Who founded ITRI?|lang=en|first=0|seg=0|final=0]"), later.text)
    }

    func testOriginalAnswerIsKeptForHistory() async throws {
        let dir = try TestPlugins.standardSet()
        let r = await runPipeline(PipelineRequest(question: "What is ITRI?", userDescription: "someone"), try TestPlugins.generation(dir))
        XCTAssertEqual(r.summary?.originalAnswer, "ITRI was founded in 1973. It is in Hsinchu. It created TSMC.")
        XCTAssertEqual(r.text, "ITRI was founded in 1973 fr! It is in Hsinchu fr! It created TSMC fr!")
    }

    func testStreamingToneStartsBeforeGenerationEnds() async throws {
        // 12 words at 100 ms: generation takes 1.2 s; the first converted sentence must arrive long before.
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 100, "text": "First sentence here. Second one is a bit longer. Third comes last of all."])
        let r = await runPipeline(PipelineRequest(question: "q", userDescription: "a tourist"), try TestPlugins.generation(dir))
        XCTAssertNil(r.failure)
        let first = try XCTUnwrap(r.firstText)
        XCTAssertLessThan(first, 0.6, "first text after \(first) s")
        XCTAssertGreaterThan(r.seconds, 1.1)
    }

    func testNoToneConversionStreamsRawTokensWithoutCallingTheDescriber() async throws {
        let calls = NSTemporaryDirectory() + "describer-calls-\(UUID().uuidString)"
        let dir = try TestPlugins.standardSet(describer: ["calls_file": calls])
        let r = await runPipeline(PipelineRequest(question: "q", convertTone: false), try TestPlugins.generation(dir))
        XCTAssertNil(r.tone)
        XCTAssertEqual(r.text, "ITRI was founded in 1973. It is in Hsinchu. It created TSMC.")
        XCTAssertFalse(FileManager.default.fileExists(atPath: calls))
    }

    /// An LLM may cut its stream anywhere, even inside a character: the answer arrives whole
    /// (the host holds back an incomplete UTF-8 tail until the next chunk completes it).
    func testAStreamCutInsideCharactersArrivesWhole() async throws {
        let text = "工研院成立於1973年，總部在新竹。ITRI 🇹🇼 café."
        for size in [1, 2, 4, 5, 7] {
            let dir = try TestPlugins.standardSet(llm: ["text": text, "chunk_bytes": size])
            let r = await runPipeline(PipelineRequest(question: "q", convertTone: false), try TestPlugins.generation(dir))
            XCTAssertEqual(r.text, text, "chunks of \(size) bytes")
        }
    }

    /// `on_end`: a PENDING call that only waits for the host's end notification (it never polls
    /// `is_cancelled`) learns that its deadline passed, once, and completes.
    func testAPendingCallIsToldWhenItsDeadlinePasses() async throws {
        let file = NSTemporaryDirectory() + "on-end-\(UUID().uuidString.prefix(8))"
        let dir = try TestPlugins.standardSet(llm: ["pending_until_end": file])
        var settings = PipelineSettings()
        settings.generationDeadline = .milliseconds(300)
        let r = await runPipeline(PipelineRequest(question: "q", convertTone: false), try TestPlugins.generation(dir), settings: settings)
        XCTAssertNotNil(r.failure, "the deadline ends the answer")
        XCTAssertLessThan(r.seconds, 2)
        // The notification ran exactly once, after the call was marked ended.
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "ended 1\n")
    }

    func testLLMFailureMidStreamIsReported() async throws {
        let dir = try TestPlugins.standardSet(llm: ["fail_after": 6])
        let r = await runPipeline(PipelineRequest(question: "q", userDescription: "a tourist"), try TestPlugins.generation(dir))
        XCTAssertTrue(r.failure?.contains("model server went away mid-stream") ?? false, "\(String(describing: r.failure))")
        XCTAssertTrue(r.text.contains("1973"), "text generated before the failure is kept: \(r.text)")
        XCTAssertEqual(r.summary?.failed, true)
    }

    func testRetrieverFailureIsReported() async throws {
        let dir = try TestPlugins.standardSet(retriever: ["fail": 1])
        let r = await runPipeline(PipelineRequest(question: "q", convertTone: false), try TestPlugins.generation(dir))
        XCTAssertTrue(r.failure?.contains("index offline") ?? false, "\(String(describing: r.failure))")
        XCTAssertEqual(r.text, "")
    }

    func testUnknownOrFailingSelectorFallsBackToCasual() async throws {
        let unknown = try TestPlugins.generation(try TestPlugins.standardSet(selector: ["answer": "pirate_friendly"]))
        var r = await runPipeline(PipelineRequest(question: "q", userDescription: "a man with a walking stick"), unknown)
        XCTAssertEqual(r.tone?.category, "casual_friendly")
        XCTAssertTrue(r.tone?.fallbackReason?.contains("pirate_friendly") ?? false)

        let failing = try TestPlugins.generation(try TestPlugins.standardSet(selector: ["mode": "error"]))
        r = await runPipeline(PipelineRequest(question: "q", userDescription: "a man with a walking stick"), failing)
        XCTAssertEqual(r.tone?.category, "casual_friendly")

        let none = try TestPlugins.generation(try TestPlugins.standardSet(selector: nil))
        r = await runPipeline(PipelineRequest(question: "q", userDescription: "a man with a walking stick"), none)
        XCTAssertEqual(r.tone?.category, "casual_friendly")
    }

    func testLanguageHandedToPlugins() async throws {
        let dir = try TestPlugins.standardSet(llm: ["echo": 1])
        let generation = try TestPlugins.generation(dir)
        var r = await runPipeline(PipelineRequest(question: "工研院在哪裡？", convertTone: false), generation)
        XCTAssertTrue(r.text.hasPrefix("q=工研院在哪裡？|lang=zh-TW|purpose=answer|passages=ITRI overview,工研院簡介|messages=2"), r.text)
        r = await runPipeline(PipelineRequest(question: "Where is ITRI?", convertTone: false), generation)
        XCTAssertTrue(r.text.contains("|lang=en|"), r.text)
        r = await runPipeline(PipelineRequest(question: "請用英文回答：工研院在哪裡？", convertTone: false), generation)
        XCTAssertTrue(r.text.contains("|lang=en|"), r.text)
        for question in ["Where is ITRI? Answer in Chinese.", "WHERE IS ITRI, IN TRADITIONAL CHINESE PLEASE", "Where is ITRI? 用中文"] {
            r = await runPipeline(PipelineRequest(question: question, convertTone: false), generation)
            XCTAssertTrue(r.text.contains("|lang=zh-TW|"), "\(question): \(r.text)")
        }
        r = await runPipeline(PipelineRequest(question: "工研院在哪裡？In English, please", convertTone: false), generation)
        XCTAssertTrue(r.text.contains("|lang=en|"), r.text)
        // Asking for both keeps the question's own language.
        r = await runPipeline(PipelineRequest(question: "工研院在哪裡？中文 or in English", convertTone: false), generation)
        XCTAssertTrue(r.text.contains("|lang=zh-TW|"), r.text)
    }

    func testCancellingTheConsumerStopsGeneration() async throws {
        let progress = NSTemporaryDirectory() + "llm-progress-\(UUID().uuidString)"
        let words = (1...40).map { "word\($0)" }.joined(separator: " ")
        let dir = try TestPlugins.standardSet(llm: ["delay_ms": 50, "text": words, "progress_file": progress])
        let generation = try TestPlugins.generation(dir)
        let task = Task {
            var received = ""
            for await event in Pipeline().run(PipelineRequest(question: "q", convertTone: false), generation: generation) {
                if case .text(let t) = event { received += t }
            }
            return received
        }
        try await Task.sleep(for: .milliseconds(400))
        task.cancel()
        _ = await task.value
        try await Task.sleep(for: .milliseconds(300))
        let sent = Int(try String(contentsOfFile: progress, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        try await Task.sleep(for: .milliseconds(300))
        let later = Int(try String(contentsOfFile: progress, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        XCTAssertEqual(sent, later, "generation kept going after the consumer went away")
        XCTAssertLessThan(later, 20)
    }

    func testHundredConcurrentRunsWithBlockingDescriberDoNotStarveThePool() async throws {
        // The describer blocks its thread for 1 s (no cancellation checks): the host must give
        // each call its own plugin thread instead of running them on the cooperative pool.
        let dir = try TestPlugins.standardSet(describer: ["delay_ms": 1000])
        let generation = try TestPlugins.generation(dir)
        let start = ContinuousClock.now
        let results = await withTaskGroup(of: PipelineResult.self) { group in
            for i in 0..<100 {
                group.addTask { await runPipeline(PipelineRequest(question: "q\(i)", sessionID: "s\(i)"), generation) }
            }
            var all: [PipelineResult] = []
            for await r in group { all.append(r) }
            return all
        }
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(results.count, 100)
        XCTAssertTrue(results.allSatisfy { $0.failure == nil && $0.tone?.category == "elder_friendly" })
        XCTAssertLessThan(elapsed, .milliseconds(1500), "100 runs took \(elapsed)")
        print("100 concurrent runs with a 1 s blocking describer: \(elapsed); plugin threads peak \(PluginThreadPool.shared.threadCount.peak)")
    }
}

extension PipelineTests {
    func testDescriptionCacheReusesASessionsDescription() async throws {
        let calls = NSTemporaryDirectory() + "describer-calls-\(UUID().uuidString)"
        let dir = try TestPlugins.standardSet(describer: ["calls_file": calls])
        let generation = try TestPlugins.generation(dir)
        var settings = PipelineSettings()
        settings.descriptionCacheTTL = .seconds(60)
        let session = "cache-\(UUID().uuidString.prefix(6))"
        let first = await runPipeline(PipelineRequest(question: "q1", sessionID: session), generation, settings: settings)
        let second = await runPipeline(PipelineRequest(question: "q2", sessionID: session), generation, settings: settings)
        XCTAssertEqual(first.tone?.descriptionSource, .describer)
        XCTAssertEqual(second.tone?.descriptionSource, .cache)
        XCTAssertEqual(second.tone?.userDescription, first.tone?.userDescription)
        XCTAssertEqual(second.tone?.category, "elder_friendly")
        _ = await runPipeline(PipelineRequest(question: "q3", sessionID: session + "-other"), generation, settings: settings)
        let lines = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines, [Substring(session), Substring(session + "-other")], "the describer is asked once per session")
        // Without a TTL the describer is asked every time.
        _ = await runPipeline(PipelineRequest(question: "q4", sessionID: session), generation)
        XCTAssertEqual(try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n").count, 3)
    }
}
