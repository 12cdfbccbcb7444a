#!/usr/bin/env python3
"""What the host costs per request, against the floor measured in the same run.

    python3 scripts/host-bench.py --bin .build-release/release [--seconds 5] [--rounds 3] [--short]

Starts, on 127.0.0.1 only, `tonehost-floor` (a bare Hummingbird 2 app streaming a fixed answer and
END_FLAG: the floor) and `tonehost serve` with its embedded default plugins (the bundled sample
knowledge base), then loads each with wrk (100 connections, keep-alive, 2 threads) in interleaved
rounds: floor, /api/rag-llm/query, /api/rag-llm/query-with-tone, floor, … Prints requests/s and
p50 of each, the ratios to the floor (goals: query >= 0.35x, query-with-tone >= 0.30x), and the
host's threads and RSS after the load. --short (CI) runs one 1-second round and checks only that
every server answered, not the numbers. Ends with `host bench: N passed, M failed`.
"""
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, http.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUESTIONS = ["What is ITRI?", "工研院是什麼？", "When was ITRI founded?", "工研院在哪裡？"]


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_ready(port, path, proc, log):
    for _ in range(300):
        if proc.poll() is not None: raise SystemExit(f"server exited; see {log}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("POST", path, json.dumps({"text_user_msg": "What is ITRI?"}), {"Content-Type": "application/json"})
            r = c.getresponse(); body = r.read()
            if r.status == 200 and body.endswith(b"END_FLAG\n"): return
        except OSError: pass
        time.sleep(0.1)
    raise SystemExit(f"server on {port} not ready; see {log}")


def lua(work, name, path, with_tone):
    f = os.path.join(work, name + ".lua")
    bodies = []
    for i, q in enumerate(QUESTIONS):
        b = {"text_user_msg": q, "session_id": f"bench-{i}"}
        if with_tone: b["user_description"] = ["a little girl", "an old man with a cane", "a woman in a business suit", "a man in a hoodie"][i]
        bodies.append(json.dumps(b, ensure_ascii=False))
    with open(f, "w") as out:
        out.write("local bodies = {" + ",".join("[[" + b + "]]" for b in bodies) + "}\nlocal n = 0\n")
        out.write('request = function()\n  n = n + 1\n  return wrk.format("POST", "%s", {["Content-Type"]="application/json"}, bodies[(n %% #bodies) + 1])\nend\n' % path)
    return f


def wrk(port, path, script, seconds):
    out = subprocess.run(["wrk", "-t2", "-c100", f"-d{seconds}s", "--latency", "-s", script, f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p50 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    errors = sum(int(x) for x in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?timeout)\s*:?\s*(\d+)", out))
    return rps, p50, errors


def proc_status(pid):
    text = open(f"/proc/{pid}/status").read()
    threads = int(re.search(r"Threads:\s+(\d+)", text).group(1)); rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024
    return threads, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="folder with tonehost, tonehost-floor and the plugin .so files")
    ap.add_argument("--seconds", type=int, default=5); ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--short", action="store_true")
    a = ap.parse_args()
    if not shutil.which("wrk"): raise SystemExit("host bench needs wrk (apt-get install wrk)")
    seconds, rounds = (1, 1) if a.short else (a.seconds, a.rounds)
    work = tempfile.mkdtemp(prefix="tonehost-hostbench-"); procs = []
    try:
        fport, hport = free_port(), free_port()
        flog, hlog = os.path.join(work, "floor.log"), os.path.join(work, "host.log")
        floor = subprocess.Popen([os.path.join(a.bin, "tonehost-floor"), "--port", str(fport)], stdout=open(flog, "w"), stderr=subprocess.STDOUT)
        procs.append(floor)
        env = dict(os.environ, TONEHOST_PLUGIN_PATH=os.path.abspath(a.bin), TONEHOST_LOG_LEVEL="warning")
        host = subprocess.Popen([os.path.join(a.bin, "tonehost"), "serve", "--manifests", os.path.join(ROOT, "plugin-manifests"),
                                 "--db", os.path.join(work, "t.db"), "--host", "127.0.0.1", "--port", str(hport)],
                                stdout=open(hlog, "w"), stderr=subprocess.STDOUT, env=env)
        procs.append(host)
        wait_ready(fport, "/api/rag-llm/query", floor, flog); wait_ready(hport, "/api/rag-llm/query", host, hlog)
        targets = [("floor", fport, "/api/rag-llm/query", False), ("query", hport, "/api/rag-llm/query", False),
                   ("query-with-tone", hport, "/api/rag-llm/query-with-tone", True)]
        scripts = {name: lua(work, name, path, tone) for name, _, path, tone in targets}
        for name, port, path, _ in targets: wrk(port, path, scripts[name], 1)  # warm up
        res = {name: [] for name, *_ in targets}
        for _ in range(rounds):
            for name, port, path, _ in targets:
                res[name].append(wrk(port, path, scripts[name], seconds))
        threads, rss = proc_status(host.pid)
        med = lambda xs: sorted(xs)[len(xs) // 2]
        summary = {}
        for name, rows in res.items():
            rps, p50, errors = med([r[0] for r in rows]), med([r[1] for r in rows]), sum(r[2] for r in rows)
            summary[name] = (rps, p50, errors)
            print(f"{name:>16}: {rps:9.1f} requests/s  p50 {p50:7.1f} ms  errors {errors}  (median of {rounds})")
        q = summary["query"][0] / summary["floor"][0]; t = summary["query-with-tone"][0] / summary["floor"][0]
        print(f"query / floor requests/s: {q:.3f} (goal >= 0.35); query-with-tone / floor: {t:.3f} (goal >= 0.30)")
        print(f"tonehost after the load: {threads} threads, RSS {rss:.1f} MB")
        answered = all(s[0] > 0 and s[2] == 0 for s in summary.values())
        checks = [("every server answered under load, without errors", answered)]
        if not a.short: checks += [("query >= 0.35x floor", q >= 0.35), ("query-with-tone >= 0.30x floor", t >= 0.30)]
        passed = sum(ok for _, ok in checks); failed = len(checks) - passed
        for label, ok in checks: print(f"  {'ok  ' if ok else 'FAIL'} {label}")
        print(f"host bench: {passed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        for p in procs:
            if p.poll() is None: p.send_signal(signal.SIGTERM)
        for p in procs:
            try: p.wait(10)
            except subprocess.TimeoutExpired: p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
