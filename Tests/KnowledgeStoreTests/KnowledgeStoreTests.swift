import ExtractiveAnswer
import Foundation
import KnowledgeStore
import TonehostText
import XCTest

final class KnowledgeStoreTests: XCTestCase {
    private var tempDir: URL!

    override func setUpWithError() throws {
        tempDir = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("tonehost-kb-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tempDir)
    }

    private func makeStore(_ name: String = "kb.db") throws -> KnowledgeStore {
        try KnowledgeStore(path: tempDir.appendingPathComponent(name).path)
    }

    private func seededStore() throws -> KnowledgeStore {
        let store = try makeStore()
        let summary = try store.seedSampleIfEmpty()
        XCTAssertNotNil(summary, "a new store is empty, so the sample must be ingested")
        XCTAssertGreaterThan(try store.passageCount(), 0)
        return store
    }

    private func write(_ text: String, to name: String, in dir: URL? = nil) throws -> URL {
        let url = (dir ?? tempDir).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    private struct LabelledQuestion: Decodable {
        var question: String
        var expected_title: String
    }

    // MARK: Retrieval on the sample knowledge base

    func testSampleKnowledgeIsBundled() throws {
        let url = try XCTUnwrap(KnowledgeStore.sampleKnowledgeURL, "SampleKnowledge/itri.json must ship with KnowledgeStore")
        XCTAssertTrue(FileManager.default.fileExists(atPath: url.path))
    }

    func testLabelledQuestionsRetrieveTheExpectedTitleFirst() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "retrieval-questions", withExtension: "json", subdirectory: "Fixtures"),
                                "Fixtures/retrieval-questions.json missing")
        let questions = try JSONDecoder().decode([LabelledQuestion].self, from: Data(contentsOf: url))
        XCTAssertFalse(questions.isEmpty)
        let store = try seededStore()
        var failures: [String] = []
        for q in questions {
            let results = try store.search(q.question, language: LanguageDetector.answerLanguage(for: q.question))
            if results.first?.title != q.expected_title {
                let top = results.prefix(3).map { "\"\($0.title)\" (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", ")
                failures.append("• \(q.question)\n    expected \"\(q.expected_title)\", got [\(top)]")
            }
        }
        let accuracy = Double(questions.count - failures.count) / Double(questions.count)
        print(String(format: "retrieval accuracy@1: %d/%d = %.1f%%", questions.count - failures.count, questions.count, accuracy * 100))
        XCTAssertTrue(failures.isEmpty, "\(failures.count) of \(questions.count) labelled questions miss rank 1:\n" + failures.joined(separator: "\n"))
    }

    func testSeedingIsOnlyForAnEmptyStoreAndReinitializeRestoresTheSample() throws {
        let store = try seededStore()
        let sampleCount = try store.passageCount()
        XCTAssertNil(try store.seedSampleIfEmpty(), "a store with passages is not seeded again")
        XCTAssertEqual(try store.passageCount(), sampleCount)

        try store.ingest(entries: [Entry(title: "Extra", content: "An extra passage about zebras and giraffes.")], source: "extra")
        XCTAssertEqual(try store.passageCount(), sampleCount + 1)
        let summary = try XCTUnwrap(try store.reinitialize())
        XCTAssertEqual(summary.passages, sampleCount)
        XCTAssertEqual(try store.passageCount(), sampleCount)
        XCTAssertTrue(try store.search("zebras giraffes", language: .english).isEmpty)
        XCTAssertFalse(try store.search("工研院", language: .traditionalChinese).isEmpty)
    }

    // MARK: Query handling

    private func smallStore() throws -> KnowledgeStore {
        let store = try makeStore()
        try store.ingest(entries: [
            Entry(title: "Exhibition hall", content: "The exhibition hall opens Tuesday to Saturday from 9:00 to 17:00. Admission is free."),
            Entry(title: "展示館", content: "展示館開放時間為週二至週六上午九點到下午五點，免費參觀。"),
            Entry(title: "AI chips", content: "The institute designs edge AI chips for factories and hospitals."),
            Entry(title: "人工智慧晶片", content: "工研院設計邊緣 AI 晶片，應用於智慧工廠與醫院。"),
            Entry(title: "Battery research", content: "Solid-state battery research improves safety and energy density."),
            Entry(title: "電池研究", content: "固態電池研究提升安全性與能量密度。"),
        ], source: "small")
        return store
    }

    func testTwoCharacterChineseTermMatches() throws {
        let store = try smallStore()
        let results = try store.search("晶片", language: .traditionalChinese)
        XCTAssertEqual(results.first?.title, "人工智慧晶片")
        XCTAssertEqual(try store.search("電池", language: .traditionalChinese).first?.title, "電池研究")
    }

    func testMixedChineseEnglishQueryMatches() throws {
        let store = try smallStore()
        let results = try store.search("工研院的 AI 晶片", language: .traditionalChinese)
        XCTAssertEqual(results.first?.title, "人工智慧晶片")
        // The language is preferred, not a filter: the English passage is still found.
        XCTAssertTrue(results.contains { $0.title == "AI chips" })
        XCTAssertEqual(try store.search("AI chips", language: .english).first?.title, "AI chips")
    }

    func testLanguageIsPreferredNotFiltered() throws {
        let store = try smallStore()
        try store.ingest(entries: [
            Entry(title: "ITRI", content: "ITRI is in Hsinchu."),
            Entry(title: "ITRI", content: "ITRI 位於新竹。"),
        ], source: "same")
        XCTAssertEqual(try store.search("ITRI", language: .english).first?.content, "ITRI is in Hsinchu.")
        XCTAssertEqual(try store.search("ITRI", language: .traditionalChinese).first?.content, "ITRI 位於新竹。")
        XCTAssertEqual(try store.search("ITRI", language: .traditionalChinese).count, 2)
        XCTAssertEqual(try store.search("battery", language: .traditionalChinese).first?.title, "Battery research")
    }

    func testEnglishVerbFormsMeet() throws {
        let store = try makeStore()
        try store.ingest(entries: [
            Entry(title: "Careers", content: "ITRI hires engineers every year."),
            Entry(title: "History", content: "The institute was founded in 1973."),
        ], source: "forms")
        XCTAssertEqual(try store.search("Is ITRI hiring?", language: .english).first?.title, "Careers")
        XCTAssertEqual(try store.search("When was it founded?", language: .english).first?.title, "History")
        XCTAssertEqual(try store.search("founding", language: .english).first?.title, "History")
    }

    func testStopWordOnlyAndEmptyQueriesReturnNothing() throws {
        let store = try smallStore()
        XCTAssertEqual(try store.search("", language: .english), [])
        XCTAssertEqual(try store.search("   ", language: nil), [])
        XCTAssertEqual(try store.search("What is the of and to?", language: .english), [])
        XCTAssertEqual(try store.search("的是什麼", language: .traditionalChinese), [])
        XCTAssertEqual(try store.search("hall", language: .english, topK: 0), [])
    }

    func testQuerySyntaxInUserTextIsHarmless() throws {
        let store = try smallStore()
        for query in ["\"hall", "hall AND OR NOT", "NEAR(hall chips)", "chips*", "title_terms:hall", "^hall", "(", "\"\"\"", "-- ; DROP TABLE passages",
                      "hall\u{0}chips", "e\u{301}cole", "🙂 hall", "ＡＩ　晶片"] {
            XCTAssertNoThrow(try store.search(query, language: nil), query)
        }
        XCTAssertEqual(try store.search("NEAR(hall)", language: .english).first?.title, "Exhibition hall")
    }

    func testPassageMetadata() throws {
        let store = try makeStore()
        try store.ingest(entries: [
            Entry(title: "Shuttle", content: "A free shuttle bus runs from Hsinchu station every 30 minutes.",
                  source: "transport.pdf", category: "visit", hierarchy: "Visit > Transport"),
        ], source: "meta")
        let p = try XCTUnwrap(try store.search("shuttle bus", language: .english).first)
        XCTAssertEqual(p.title, "Shuttle")
        XCTAssertEqual(p.source, "transport.pdf")
        XCTAssertEqual(p.category, "visit")
        XCTAssertEqual(p.hierarchy, "Visit > Transport")
        XCTAssertEqual(p.language, .english)
        XCTAssertGreaterThan(p.score, 0)
        XCTAssertFalse(p.id.isEmpty)
    }

    // MARK: Ingestion

    func testIngestFolderIsIdempotentAndReplacesChangedFiles() throws {
        let folder = tempDir.appendingPathComponent("kb")
        let json = try write("""
            [{"title": "Parking", "content": "Visitors park for free in lot B next to the main gate."},
             {"title": "停車", "content": "訪客可免費停放於正門旁的B停車場。", "category": "交通"}]
            """, to: "visit.json", in: folder)
        _ = try write("""
            # Museum guide

            The museum guide introduces the exhibits.

            ## Tickets

            Tickets cost nothing; booking is needed for groups of ten or more.

            ## Cafe

            The cafe on the second floor serves coffee and pineapple cake.
            """, to: "guide/museum.md", in: folder)
        _ = try write("Opening notes\n\nThe hall closes early on the eve of the Lunar New Year.\n", to: "guide/notes.txt", in: folder)
        _ = try write("ignored", to: "guide/image.png", in: folder)

        let store = try makeStore()
        var progressCalls: [(Int, Int)] = []
        let first = try store.ingest(paths: [folder.path]) { done, total, _ in progressCalls.append((done, total)) }
        XCTAssertEqual(first.skipped, [])
        XCTAssertEqual(first.files, 3)
        XCTAssertEqual(progressCalls.map(\.0), [1, 2, 3])
        XCTAssertEqual(progressCalls.last?.1, 3)
        let count = try store.passageCount()
        XCTAssertEqual(count, first.passages)
        XCTAssertEqual(count, 2 + 3 + 1)

        let second = try store.ingest(paths: [folder.path])
        XCTAssertEqual(second.files, 0)
        XCTAssertEqual(second.unchanged, 3)
        XCTAssertEqual(second.passages, 0)
        XCTAssertEqual(try store.passageCount(), count, "re-ingesting unchanged files must not duplicate")

        // Changing one file replaces exactly its passages.
        try Data("""
            [{"title": "Parking", "content": "Parking moved to the underground garage under building 51."}]
            """.utf8).write(to: json)
        let third = try store.ingest(paths: [folder.path])
        XCTAssertEqual(third.files, 1)
        XCTAssertEqual(third.unchanged, 2)
        XCTAssertEqual(third.replaced, 2)
        XCTAssertEqual(try store.passageCount(), count - 1)
        XCTAssertEqual(try store.search("underground garage", language: .english).first?.title, "Parking")
        XCTAssertTrue(try store.search("lot B main gate", language: .english).allSatisfy { !$0.content.contains("lot B") })
        XCTAssertTrue(try store.search("停車場", language: .traditionalChinese).isEmpty)
        XCTAssertEqual(try store.search("pineapple cake", language: .english).first?.title, "Cafe")

        // The same folder reached through another spelling of its path is the same documents.
        let again = try store.ingest(paths: [folder.path + "/./guide/../"])
        XCTAssertEqual(again.unchanged, 3)
        XCTAssertEqual(try store.passageCount(), count - 1)
    }

    func testBadFilesAreSkippedWithTheirNameAndReasonWhileOthersIngest() throws {
        let folder = tempDir.appendingPathComponent("mixed")
        let good = try write(#"[{"title": "Good", "content": "A valid entry about solar panels."}]"#, to: "good.json", in: folder)
        let broken = try write(#"[{"title": "Broken", "content": "missing bracket"}"#, to: "broken.json", in: folder)
        let noContent = try write(#"[{"title": "A", "content": "fine"}, {"title": "B"}]"#, to: "no-content.json", in: folder)
        let notList = try write(#""just a string""#, to: "string.json", in: folder)
        _ = try write("Wind turbines\n\nOffshore wind turbines are tested in the Taichung harbour.", to: "wind.txt", in: folder)

        let store = try makeStore()
        let summary = try store.ingest(paths: [folder.path, tempDir.appendingPathComponent("nowhere").path])
        XCTAssertEqual(summary.files, 2)
        XCTAssertEqual(summary.skipped.count, 4, summary.skipped.joined(separator: "\n"))
        func reason(for url: URL) -> String? { summary.skipped.first { $0.hasPrefix(url.path + ": ") } }
        XCTAssertNil(reason(for: good))
        XCTAssertTrue(reason(for: broken)?.contains("invalid JSON") ?? false, summary.skipped.joined(separator: "\n"))
        XCTAssertTrue(reason(for: noContent)?.contains("entry 2 has no \"content\"") ?? false, summary.skipped.joined(separator: "\n"))
        XCTAssertNotNil(reason(for: notList))
        XCTAssertTrue(summary.skipped.contains { $0.contains("nowhere: no such file or directory") })
        XCTAssertEqual(try store.passageCount(), 2)
        XCTAssertEqual(try store.search("solar panels", language: .english).first?.title, "Good")
        XCTAssertEqual(try store.search("offshore wind", language: .english).first?.title, "Wind turbines")

        // A file that becomes invalid keeps its previous passages.
        try Data("not json".utf8).write(to: good)
        let again = try store.ingest(paths: [good.path])
        XCTAssertEqual(again.skipped.count, 1)
        XCTAssertEqual(try store.search("solar panels", language: .english).first?.title, "Good")
    }

    func testEntriesIngestReplacesBySource() throws {
        let store = try makeStore()
        XCTAssertEqual(try store.ingest(entries: [Entry(content: "First version about robots."), Entry(content: "Second passage about drones.")], source: "s"), 2)
        XCTAssertEqual(try store.ingest(entries: [Entry(content: "Only passage about robots now.")], source: "s"), 1)
        XCTAssertEqual(try store.passageCount(), 1)
        XCTAssertThrowsError(try store.ingest(entries: [Entry(content: "  ")], source: "empty")) { error in
            XCTAssertTrue("\(error)".contains("empty"), "\(error)")
        }
        XCTAssertEqual(try store.passageCount(), 1)
    }

    func testOpeningSomethingThatIsNotAStoreNamesThePath() throws {
        let bogus = try write(String(repeating: "not a database ", count: 100), to: "bogus.db")
        XCTAssertThrowsError(try KnowledgeStore(path: bogus.path)) { error in
            XCTAssertTrue("\(error)".contains(bogus.path), "\(error)")
        }
        // A missing directory is created.
        let nested = tempDir.appendingPathComponent("a/b/c/kb.db").path
        XCTAssertNoThrow(try KnowledgeStore(path: nested))
        XCTAssertTrue(FileManager.default.fileExists(atPath: nested))
    }

    // MARK: Chunking

    func testLongMarkdownIsSplitByHeadingsAndChunked() throws {
        let sentence = "The pilot line tests new battery chemistries under controlled temperature and humidity. "
        let longSection = String(repeating: sentence, count: 40)  // ~3,500 characters
        let chineseSentence = "試量產線在溫濕度受控的環境下測試新型電池化學配方。"
        let longChinese = String(repeating: chineseSentence, count: 60)  // ~1,500 characters
        let markdown = """
            # Battery Center

            The Battery Center is part of the Green Energy lab.

            ## Pilot line

            \(longSection)

            ### Safety

            - Fire doors close **automatically**.
            - See [the manual](https://example.com/manual) for details.

            ## 電池試量產

            \(longChinese)
            """
        let url = try write(markdown, to: "battery.md")
        let store = try makeStore()
        let summary = try store.ingest(paths: [url.path])
        XCTAssertEqual(summary.skipped, [])

        var pilot = try store.search("pilot line battery chemistries", language: .english, topK: 50)
        pilot = pilot.filter { $0.title == "Pilot line" }
        XCTAssertGreaterThanOrEqual(pilot.count, 4, "3,500 characters make at least 4 chunks of ≤ ~900")
        for p in pilot {
            XCTAssertEqual(p.hierarchy, "Battery Center > Pilot line")
            XCTAssertLessThanOrEqual(p.content.count, 900 + 225)
            XCTAssertTrue(p.content.hasSuffix("."), "chunks end on a sentence boundary")
        }
        XCTAssertEqual(pilot.map(\.content.count).reduce(0, +), longSection.trimmingWhitespace().count - (pilot.count - 1),
                       "chunks cover the section (minus the spaces between them)")

        let safety = try XCTUnwrap(try store.search("fire doors", language: .english).first)
        XCTAssertEqual(safety.title, "Pilot line > Safety")
        XCTAssertEqual(safety.hierarchy, "Battery Center > Pilot line > Safety")
        XCTAssertEqual(safety.content, "Fire doors close automatically.\nSee the manual for details.")

        let intro = try XCTUnwrap(try store.search("Green Energy lab", language: .english).first)
        XCTAssertEqual(intro.title, "Battery Center")

        let chinese = try store.search("試量產 電池", language: .traditionalChinese, topK: 50).filter { $0.title == "電池試量產" }
        XCTAssertGreaterThanOrEqual(chinese.count, 3)
        for p in chinese {
            XCTAssertEqual(p.language, .traditionalChinese)
            XCTAssertLessThanOrEqual(p.content.count, 600 + 150)
            XCTAssertTrue(p.content.hasSuffix("。"))
        }
    }

    func testChunkerKeepsShortTextWhole() {
        XCTAssertEqual(Chunker.chunks("  One short paragraph.  "), ["One short paragraph."])
        XCTAssertEqual(Chunker.chunks(""), [])
        let paragraphs = (1...10).map { "Paragraph \($0) " + String(repeating: "word ", count: 30) + "end." }
        let chunks = Chunker.chunks(paragraphs.joined(separator: "\n\n"))
        XCTAssertGreaterThan(chunks.count, 1)
        XCTAssertTrue(chunks.allSatisfy { $0.count <= 900 })
        XCTAssertEqual(chunks.joined(separator: "\n\n"), paragraphs.joined(separator: "\n\n"), "paragraph packing loses nothing")
    }

    // MARK: Concurrency

    func testConcurrentSearchesWhileIngesting() throws {
        let store = try seededStore()
        let errors = ErrorBox()
        let group = DispatchGroup()
        for t in 0..<4 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for i in 0..<100 {
                    do {
                        let q = i % 2 == 0 ? "ITRI research" : "工研院 研究"
                        _ = try store.search(q, language: t % 2 == 0 ? .english : .traditionalChinese)
                    } catch { errors.add(error) }
                }
            }
        }
        for i in 0..<20 {
            let entries = (0..<20).map { Entry(title: "Batch \(i) item \($0)", content: "Concurrent ingest passage \($0) about wind power and 風力發電.") }
            try store.ingest(entries: entries, source: "batch-\(i)")
        }
        group.wait()
        XCTAssertEqual(errors.errors.map { "\($0)" }, [])
        XCTAssertGreaterThan(try store.search("wind power", language: .english).count, 0)
    }

    // MARK: ExtractiveAnswerer

    private func sources(_ passages: [Passage]) -> [SourcePassage] {
        passages.map { SourcePassage(title: $0.title, content: $0.content, language: $0.language, score: $0.score) }
    }

    func testExtractiveAnswersComeFromThePassagesInTheQuestionLanguage() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "retrieval-questions", withExtension: "json", subdirectory: "Fixtures"))
        let questions = try JSONDecoder().decode([LabelledQuestion].self, from: Data(contentsOf: url))
        let store = try seededStore()
        let english = try XCTUnwrap(questions.first { LanguageDetector.answerLanguage(for: $0.question) == .english })
        let chinese = try XCTUnwrap(questions.first { LanguageDetector.answerLanguage(for: $0.question) == .traditionalChinese })
        var answered = 0
        for q in questions {
            let language = LanguageDetector.answerLanguage(for: q.question)
            let passages = sources(try store.search(q.question, language: language))
            let answer = ExtractiveAnswerer.answer(question: q.question, language: language, passages: passages)
            let chosen = ExtractiveAnswerer.sentences(question: q.question, language: language, passages: passages)
            if answer != ExtractiveAnswerer.noInformation(language) { answered += 1 }
            for sentence in chosen {
                XCTAssertTrue(passages.contains { $0.content.contains(sentence) }, "\"\(sentence)\" is not from the passages")
                XCTAssertTrue(answer.contains(sentence))
            }
            if q.question == english.question || q.question == chinese.question {
                XCTAssertNotEqual(answer, ExtractiveAnswerer.noInformation(language), q.question)
                XCTAssertEqual(LanguageDetector.detect(answer), language, "\(q.question) → \(answer)")
            }
        }
        print("extractive answers given for \(answered)/\(questions.count) labelled questions")
        XCTAssertGreaterThanOrEqual(Double(answered), Double(questions.count) * 0.8)
    }

    func testExtractiveAnswerSaysNoInformationForUnrelatedQuestions() throws {
        let store = try seededStore()
        for (question, language) in [("What is the capital of Peru?", Language.english), ("秘魯的首都是哪裡？", .traditionalChinese)] {
            let passages = sources(try store.search(question, language: language))
            XCTAssertEqual(ExtractiveAnswerer.answer(question: question, language: language, passages: passages),
                           ExtractiveAnswerer.noInformation(language), question)
        }
        XCTAssertEqual(ExtractiveAnswerer.answer(question: "What is ITRI?", language: .english, passages: []),
                       "I don't have information about that.")
        XCTAssertEqual(ExtractiveAnswerer.noInformation(.traditionalChinese), "目前資料庫中沒有相關資料。")
    }

    func testExtractiveAnswerPicksRelevantSentencesInOrder() {
        let passages = [
            SourcePassage(title: "Hall", content: "The exhibition hall is in building 51. It opens at 9:00 on weekdays. The hall closes at 17:00. Photography is allowed.", language: .english, score: 2),
            SourcePassage(title: "展示館", content: "展示館位於51館。平日上午九點開放。", language: .traditionalChinese, score: 1.5),
            SourcePassage(title: "Cafe", content: "The cafe sells coffee. The cafe opens at 8:00 on weekdays.", language: .english, score: 1),
        ]
        let answer = ExtractiveAnswerer.answer(question: "When does the exhibition hall open?", language: .english, passages: passages)
        XCTAssertTrue(answer.hasPrefix("The exhibition hall is in building 51."), answer)
        XCTAssertTrue(answer.contains("It opens at 9:00 on weekdays."), answer)
        XCTAssertFalse(answer.contains("展示館"), answer)
        XCTAssertFalse(answer.contains("Photography"), answer)

        // "幾點" asks for a time: the sentence with one answers it.
        let chinese = ExtractiveAnswerer.answer(question: "展示館幾點開放？", language: .traditionalChinese, passages: passages)
        XCTAssertEqual(chinese, "平日上午九點開放。")

        // Only English passages: a Chinese question falls back to them rather than giving up.
        let fallback = ExtractiveAnswerer.answer(question: "cafe 幾點開？", language: .traditionalChinese, passages: [passages[2]])
        XCTAssertTrue(fallback.contains("The cafe opens at 8:00 on weekdays."), fallback)
    }
}

private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var errors: [Error] = []
    func add(_ error: Error) {
        lock.lock()
        errors.append(error)
        lock.unlock()
    }
}
