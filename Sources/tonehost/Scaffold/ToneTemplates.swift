/// The files `tonehost plugins new tone CATEGORY` writes: a working tone plugin, its manifest
/// and a build script, in C against the ABI header, in plain C with no header ("simple"), or in
/// Swift against the TonehostPluginKit package. `sdk/swift-tone-template/` in the repository is
/// this generator's Swift output for teen_friendly (a test keeps the two the same).
struct ToneTemplate {
    /// e.g. "teen_friendly".
    let category: String

    /// "teen".
    var stem: String {
        category.hasSuffix("_friendly") ? String(category.dropLast("_friendly".count)) : category
    }

    /// A C identifier: "teen_friendly".
    var cName: String { String(category.map { $0.isLetter || $0.isNumber ? $0 : "_" }) }

    /// "TeenFriendly".
    var swiftName: String {
        category.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// "teen-friendly".
    var dashed: String { category.replacingOccurrences(of: "_", with: "-") }

    var manifestName: String { "tone-\(dashed).toml" }

    func cues(_ indent: String = "") -> String {
        """
        # Which visitors this tone is for: the default rule selector chooses it when the visitor's
        # description has one of these (English: whole words/phrases; Chinese: substrings).
        # "first": before the built-in rules; "last": only when none of them matched.
        [cues]
        en = ["\(stem)"]
        zh = []
        precedence = "first"
        """
    }

    /// The manifest of a tone built against the ABI (C or Swift): its library next to it.
    func abiManifest(what: String, library: String) -> String {
        """
        # The \(category) tone \(what)
        name = "tone-\(dashed)"
        kind = "tone"
        tone_category = "\(category)"
        library = "./\(library)"     # relative to this manifest's folder
        abi_version = 1

        \(cues())

        [config]
        greeting = "Hey!"
        """
    }

    // MARK: C against the ABI header

    func cFiles() -> [String: String] {
        [
            "\(cName).c": cSource,
            manifestName: abiManifest(what: "(C, tonehost ABI). Copy this file into the host's manifest folder\n# (and the library next to it, or give an absolute path), then reload the host.",
                                      library: "lib\(cName).so"),
            "build.sh": """
                #!/bin/sh
                # Builds lib\(cName).so. The header comes from pkg-config (scripts/install-sdk.sh installs
                # tonehost-plugin.pc) or from $TONEHOST_INCLUDE (the folder holding tonehost_plugin.h).
                set -e
                cd "$(dirname "$0")"
                if [ -n "$TONEHOST_INCLUDE" ]; then CFLAGS="-I$TONEHOST_INCLUDE"; else CFLAGS="$(pkg-config --cflags tonehost-plugin)"; fi
                cc -shared -fPIC -O2 -Wall $CFLAGS -o lib\(cName).so \(cName).c
                echo "built $(pwd)/lib\(cName).so"
                """,
        ]
    }

    var cSource: String {
        """
        /* The \(category) tone, against tonehost_plugin.h. It streams: the host calls convert_tone once
         * per sentence of the answer (segment_index 0, 1, …) and once more with is_final = 1. */
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>

        #include "tonehost_plugin.h"

        TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

        typedef struct { char greeting[128]; } tone;

        /* config_json is the manifest's [config] table as JSON, e.g. {"greeting":"Hey!",...}. */
        static void *create(const tonehost_host_api *host, const char *config_json, char *error, size_t error_size) {
            tone *t = calloc(1, sizeof *t);
            if (!t) { snprintf(error, error_size, "out of memory"); return NULL; }
            strcpy(t->greeting, "Hey!");
            const char *p = strstr(config_json, "\\"greeting\\":\\"");
            if (p) {
                p += strlen("\\"greeting\\":\\"");
                size_t n = strcspn(p, "\\"");
                if (n >= sizeof t->greeting) { snprintf(error, error_size, "greeting is too long"); free(t); return NULL; }
                memcpy(t->greeting, p, n);
                t->greeting[n] = 0;
            }
            host->log(host, TONEHOST_LOG_INFO, "\(category) tone ready");
            return t;
        }

        static void destroy(void *instance) { free(instance); }

        static int emit(tonehost_call *call, const tonehost_call_api *api, const char *s) { return api->emit(call, s, strlen(s)); }

        static tonehost_status convert_tone(void *instance, const tonehost_tone_request *r, tonehost_call *call,
                                            const tonehost_call_api *api) {
            const tone *t = instance;
            int chinese = strcmp(r->language, "zh-TW") == 0;
            if (r->segment_index == 0 && r->text[0]) {
                if (emit(call, api, t->greeting) || emit(call, api, " ")) return TONEHOST_ERR_CANCELLED;
            } else if (r->segment_index > 0 && r->text[0] && !chinese) {
                if (emit(call, api, " ")) return TONEHOST_ERR_CANCELLED; /* segments concatenate directly */
            }
            if (emit(call, api, r->text)) return TONEHOST_ERR_CANCELLED;
            if (r->is_final && emit(call, api, chinese ? " 酷吧！" : " Pretty cool, right?")) return TONEHOST_ERR_CANCELLED;
            return TONEHOST_OK;
        }

        static const tonehost_plugin descriptor = {
            .abi_version = TONEHOST_ABI_VERSION,
            .struct_size = sizeof(tonehost_plugin),
            .id = "org.example.tone.\(stem)",
            .version = "0.1",
            .description = "\(category) tone (generated by tonehost plugins new)",
            .kind = TONEHOST_KIND_TONE,
            .flags = TONEHOST_FLAG_TONE_STREAMING | TONEHOST_FLAG_NONBLOCKING,
            .tone_category = "\(category)",
            .create = create,
            .destroy = destroy,
            .convert_tone = convert_tone,
        };

        TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &descriptor; }

        """
    }

    // MARK: Plain C through libffi

    func simpleFiles() -> [String: String] {
        [
            "\(cName).c": """
                /* The \(category) tone as plain C: no tonehost header, no ABI symbols. The manifest's
                 * [simple] table tells the host this function's prototype; the host calls it through
                 * libffi with the whole answer and frees the result with \(cName)_free. */
                #include <stdio.h>
                #include <stdlib.h>
                #include <string.h>

                char *\(cName)(const char *text, const char *language) {
                    int chinese = strcmp(language, "zh-TW") == 0;
                    size_t n = strlen(text) + 64;
                    char *out = malloc(n);
                    if (out) snprintf(out, n, "%s %s%s", chinese ? "嘿！" : "Hey!", text, chinese ? " 酷吧！" : " Pretty cool, right?");
                    return out; /* NULL: the host sends the text unconverted */
                }

                void \(cName)_free(char *s) { free(s); }

                """,
            manifestName: """
                # The \(category) tone (plain C, called through libffi). Copy this file into the host's
                # manifest folder (and the library next to it, or give an absolute path), then reload.
                name = "tone-\(dashed)"
                kind = "tone"
                tone_category = "\(category)"
                library = "./lib\(cName).so"     # relative to this manifest's folder

                [simple]
                signature = "char *\(cName)(const char *text, const char *language)"
                free = "\(cName)_free"

                \(cues())
                """,
            "build.sh": """
                #!/bin/sh
                # Builds lib\(cName).so: plain C, no tonehost header needed.
                set -e
                cd "$(dirname "$0")"
                cc -shared -fPIC -O2 -Wall -o lib\(cName).so \(cName).c
                echo "built $(pwd)/lib\(cName).so"
                """,
        ]
    }

    // MARK: Swift against TonehostPluginKit

    /// `sdk`: the tonehost checkout the package depends on (TONEHOST_SDK overrides it at build time).
    func swiftFiles(sdk: String) -> [String: String] {
        [
            "Package.swift": """
                // swift-tools-version:6.0
                // The \(category) tone as a Swift package of its own, built against the tonehost SDK
                // (the TonehostPluginKit product of a tonehost checkout).
                import Foundation
                import PackageDescription

                /// The tonehost checkout: $TONEHOST_SDK, else the path given to `tonehost plugins new --sdk`.
                let sdk = Context.environment["TONEHOST_SDK"] ?? "\(sdk)"
                /// SwiftPM names a path dependency after its folder.
                let sdkName = URL(fileURLWithPath: sdk, relativeTo: URL(fileURLWithPath: Context.packageDirectory, isDirectory: true))
                    .standardizedFileURL.lastPathComponent

                let package = Package(
                    name: "\(dashed)-tone",
                    products: [.library(name: "\(dashed)-tone", type: .dynamic, targets: ["\(swiftName)Tone"])],
                    dependencies: [.package(path: sdk)],
                    targets: [
                        .target(name: "\(swiftName)Tone", dependencies: [.product(name: "TonehostPluginKit", package: sdkName)],
                                swiftSettings: [.swiftLanguageMode(.v5)]),
                    ]
                )

                """,
            "Sources/\(swiftName)Tone/\(swiftName)Tone.swift": """
                import TonehostPluginKit

                /// The \(category) tone. It streams: the host calls `convert` once per sentence of the answer
                /// (segmentIndex 0, 1, …) and once more with isFinal. Outputs concatenate directly.
                final class \(swiftName)Tone: TonePlugin {
                    private let greeting: String

                    /// `config` is the manifest's [config] table.
                    init(host: HostServices, config: PluginConfig) throws {
                        greeting = try config.string("greeting", default: "Hey!")
                        host.log(.info, "\(category) tone ready")
                    }

                    func convert(_ request: ToneRequest, sink: CallSink) throws {
                        let chinese = request.language == "zh-TW"
                        var out = ""
                        if request.segmentIndex == 0 && !request.text.isEmpty {
                            out = greeting + " "
                        } else if request.segmentIndex > 0 && !request.text.isEmpty && !chinese {
                            out = " "
                        }
                        out += request.text
                        if request.isFinal { out += chinese ? " 酷吧！" : " Pretty cool, right?" }
                        try sink.emit(out)
                    }
                }

                private let export = PluginExport.tone(
                    id: "org.example.tone.\(stem)", version: "0.1", category: "\(category)",
                    description: "\(category) tone (Swift, generated by tonehost plugins new)", streaming: true, nonblocking: true) { host, config in
                    try \(swiftName)Tone(host: host, config: config)
                }

                @_cdecl("tonehost_plugin_entry")
                public func tonehostPluginEntry() -> UnsafeRawPointer { export.descriptor }

                """,
            manifestName: abiManifest(what: "(Swift). Copy this file into the host's manifest folder (and the\n# library next to it, or give an absolute path), then reload the host.",
                                      library: "lib\(dashed)-tone.so"),
            "build.sh": """
                #!/bin/sh
                # Builds lib\(dashed)-tone.so against the tonehost SDK (TONEHOST_SDK: a tonehost checkout).
                set -e
                cd "$(dirname "$0")"
                swift build -c release
                cp "$(swift build -c release --show-bin-path)/lib\(dashed)-tone.so" .
                echo "built $(pwd)/lib\(dashed)-tone.so"
                """,
            ".gitignore": ".build/\n*.so\nPackage.resolved\n",
        ]
    }
}
