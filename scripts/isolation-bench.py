#!/usr/bin/env python3
"""What process isolation costs, and what it buys.

    python3 scripts/isolation-bench.py --binary .build-release/release/tonehost [--requests 400] [--rounds 8] [--concurrency 100]

1. Overhead: the four bundled rule tones in-process vs isolated (isolation = "process"), 100
   concurrent /api/rag-llm/query-with-tone, measured in the same run (interleaved rounds: A B, B A, …);
   prints p50/p99 total latency and requests/s of each, and the median over rounds of the per-round
   p50 ratio (goal: within +10 %).
2. Crash test: a tone that segfaults on 1 call in 20 (Tests/TonehostTests/CPlugins/crashy_tone.c,
   isolated, chosen by its cues), 100 concurrent requests: every request must end with END_FLAG,
   the host must stay up, and each crashed worker must be back within 1 s.
Ends with `isolation bench: N passed, M failed`. Only 127.0.0.1 is contacted.
"""
import argparse, http.client, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUESTIONS = ["What is ITRI?", "工研院是什麼？", "When was ITRI founded?", "工研院在哪裡？", "What does ITRI research?"]
DESCRIPTIONS = ["a little girl with a balloon", "an old man with a walking stick", "a woman in a business suit", "a man in a hoodie"]


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def manifests(work, name, isolate_tones=False, extra=None):
    d = os.path.join(work, name); os.makedirs(d)
    for f in os.listdir(os.path.join(ROOT, "plugin-manifests")):
        if not f.endswith(".toml"): continue
        text = open(os.path.join(ROOT, "plugin-manifests", f)).read()
        if isolate_tones and f.startswith("tone-") and "selector" not in f:
            text = text.replace("abi_version = 1", 'abi_version = 1\nisolation = "process"')
        open(os.path.join(d, f), "w").write(text)
    for f, text in (extra or {}).items(): open(os.path.join(d, f), "w").write(text)
    return d


class Server:
    def __init__(self, binary, mdir, work, name):
        self.port = free_port(); self.log = os.path.join(work, name + ".log")
        env = dict(os.environ, TONEHOST_PLUGIN_PATH=os.path.dirname(os.path.abspath(binary)))
        self.p = subprocess.Popen([binary, "serve", "--manifests", mdir, "--db", os.path.join(work, name + ".db"),
                                   "--host", "127.0.0.1", "--port", str(self.port)], stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env=env)
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2); c.request("GET", "/readyz")
                if c.getresponse().status == 200: return
            except OSError: pass
            time.sleep(0.1)
        raise SystemExit(f"{name} did not become ready; see {self.log}")

    def alive(self): return self.p.poll() is None

    def stop(self):
        if self.alive(): self.p.send_signal(signal.SIGTERM)
        try: self.p.wait(10)
        except subprocess.TimeoutExpired: self.p.kill()


def load(port, n, concurrency, description=None):
    lat, bad, lock, i = [], [], threading.Lock(), [0]
    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if i[0] >= n: return
                k = i[0]; i[0] += 1
            body = {"text_user_msg": QUESTIONS[k % len(QUESTIONS)], "session_id": f"b{k % 200}",
                    "user_description": description or DESCRIPTIONS[k % len(DESCRIPTIONS)]}
            t = time.perf_counter()
            try:
                c.request("POST", "/api/rag-llm/query-with-tone", json.dumps(body), {"Content-Type": "application/json"})
                r = c.getresponse(); text = r.read().decode("utf-8", "replace")
                ok = r.status == 200 and text.endswith("END_FLAG\n")
            except Exception as e:
                ok, text = False, str(e); c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                lat.append((time.perf_counter() - t) * 1000)
                if not ok: bad.append(text[-200:])
    start = time.perf_counter()
    ts = [threading.Thread(target=worker) for _ in range(concurrency)]
    [t.start() for t in ts]; [t.join() for t in ts]
    return lat, bad, time.perf_counter() - start


def pct(v, q): v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True); ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=100); ap.add_argument("--rounds", type=int, default=8)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tonehost-isobench-"); passed = failed = 0; servers = []
    try:
        inproc = Server(a.binary, manifests(work, "inproc"), work, "inproc"); servers.append(inproc)
        iso = Server(a.binary, manifests(work, "iso", isolate_tones=True), work, "iso"); servers.append(iso)
        results = {"in-process": ([], 0.0, []), "isolated": ([], 0.0, [])}
        load(inproc.port, 200, a.concurrency); load(iso.port, 200, a.concurrency)  # warm up
        pairs = []
        for r in range(a.rounds):
            # Alternate which goes first: the shared machine's load drifts within a round too.
            order = (("in-process", inproc), ("isolated", iso)) if r % 2 == 0 else (("isolated", iso), ("in-process", inproc))
            p50 = {}
            for name, s in order:
                lat, bad, secs = load(s.port, a.requests, a.concurrency)
                l, t, b = results[name]; results[name] = (l + lat, t + secs, b + bad)
                p50[name] = pct(lat, .5)
            pairs.append(p50["isolated"] / p50["in-process"])
        for name, (lat, secs, bad) in results.items():
            print(f"{name:>10}: {len(lat)} requests, errors {len(bad)}, p50 {pct(lat, .5):.1f} ms, p99 {pct(lat, .99):.1f} ms, {len(lat) / secs:.1f} requests/s")
        pooled = pct(results["isolated"][0], .5) / pct(results["in-process"][0], .5)
        ratio = statistics.median(pairs)
        print(f"isolated / in-process p50, per round: {' '.join(f'{x:.3f}' for x in pairs)}; pooled {pooled:.3f}")
        print(f"isolated / in-process p50 (median of {len(pairs)} interleaved rounds): {ratio:.3f} (goal <= 1.10)")
        ok = ratio <= 1.10 and not results["isolated"][2] and not results["in-process"][2]
        passed += ok; failed += not ok
        for s in servers: s.stop()
        servers.clear()

        lib = os.path.join(work, "libcrashy.so")
        subprocess.check_call(["cc", "-shared", "-fPIC", "-O1", "-I", os.path.join(ROOT, "Sources/CTonehostABI/include"),
                               "-I", os.path.join(ROOT, "Tests/TonehostTests/CPlugins"), "-o", lib,
                               os.path.join(ROOT, "Tests/TonehostTests/CPlugins/crashy_tone.c"), "-lpthread"])
        crashy = (f'name = "crashy"\nkind = "tone"\ntone_category = "crashy_friendly"\nlibrary = "{lib}"\nabi_version = 1\nisolation = "process"\n'
                  '[cues]\nen = ["crashtest"]\n[config]\nmode = "segv"\nevery = 20\n')
        c = Server(a.binary, manifests(work, "crash", extra={"tone-crashy.toml": crashy}), work, "crash"); servers.append(c)
        lat, bad, secs = load(c.port, 1000, a.concurrency, description="a crashtest dummy")
        log = open(c.log).read()
        crashes = [m for m in re.finditer(r'ts=(\S+) .*msg="plugin worker was killed by signal', log)]
        starts = [datetime.fromisoformat(m.group(1).replace("Z", "+00:00")) for m in re.finditer(r'ts=(\S+) .*msg="plugin worker started".*plugin=crashy', log)]
        gaps = []
        for m in crashes:
            t = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
            after = [s for s in starts if s >= t]
            if after: gaps.append((min(after) - t).total_seconds())
        back = max(gaps) if gaps else float("nan")
        print(f"crash test: {len(lat)} requests, {len(crashes)} worker crashes, errors {len(bad)}, host alive {c.alive()}, "
              f"p50 {pct(lat, .5):.1f} ms, worker back within {back:.3f} s at worst (restarts seen {len(gaps)})")
        ok = not bad and c.alive() and len(crashes) > 0 and (not gaps or back < 1.0)
        passed += ok; failed += not ok
        for b in bad[:3]: print("  bad:", b)
    finally:
        for s in servers: s.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"isolation bench: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
