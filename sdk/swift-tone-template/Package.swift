// swift-tools-version:6.0
// The teen_friendly tone as a Swift package of its own, built against the tonehost SDK
// (the TonehostPluginKit product of a tonehost checkout).
import Foundation
import PackageDescription

/// The tonehost checkout: $TONEHOST_SDK, else the path given to `tonehost plugins new --sdk`.
let sdk = Context.environment["TONEHOST_SDK"] ?? "../.."
/// SwiftPM names a path dependency after its folder.
let sdkName = URL(fileURLWithPath: sdk, relativeTo: URL(fileURLWithPath: Context.packageDirectory, isDirectory: true))
    .standardizedFileURL.lastPathComponent

let package = Package(
    name: "teen-friendly-tone",
    products: [.library(name: "teen-friendly-tone", type: .dynamic, targets: ["TeenFriendlyTone"])],
    dependencies: [.package(path: sdk)],
    targets: [
        .target(name: "TeenFriendlyTone", dependencies: [.product(name: "TonehostPluginKit", package: sdkName)],
                swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
