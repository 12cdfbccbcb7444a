import Foundation
import ToneRules
import TonehostText
import XCTest

/// The quality checker (ToneQuality) over every rule tone: the bundled sample's answers and,
/// when the real knowledge base sits next to the repository, answers made from its passages —
/// both languages, first and later messages. Each defect class must be 0 and every number and
/// name of the untoned answer must be kept.
final class ToneQualityTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `TONEHOST_CORPUS_DIR`, else `../shared/corpus/itri-golden` next to the repository, else
    /// `/work/shared/corpus/itri-golden`.
    static var corpusDirectory: URL? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["TONEHOST_CORPUS_DIR"], !env.isEmpty { candidates.append(env) }
        candidates.append(repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/itri-golden").path)
        candidates.append("/work/shared/corpus/itri-golden")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }

    func check(_ report: ToneQuality.Report, title: String) {
        print(report.table(title: title))
        XCTAssertGreaterThan(report.conversions, 100, "\(title): too few answers to judge")
        XCTAssertEqual(report.total, 0, "\(title): \(report.total) defects\n\(report.table(title: title))\n\(report.examples())")
    }

    func testSampleAnswersHaveNoToneDefects() throws {
        let cases = try ToneQuality.sampleCases(repoRoot: Self.repoRoot)
        check(ToneQuality.run(cases), title: "bundled sample")
    }

    func testCorpusAnswersHaveNoToneDefects() throws {
        guard let dir = Self.corpusDirectory else {
            throw XCTSkip("the real knowledge base is not here (set TONEHOST_CORPUS_DIR or put it at ../shared/corpus/itri-golden); only the bundled sample was checked")
        }
        let cases = try ToneQuality.corpusCases(directory: dir)
        XCTAssertGreaterThan(cases.count, 200, "\(dir.path): expected the 255 passages of itri-golden")
        check(ToneQuality.run(cases), title: "itri-golden corpus")
    }
}
