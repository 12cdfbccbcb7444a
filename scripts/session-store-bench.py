#!/usr/bin/env python3
"""Per-request latency the PostgreSQL session store adds over SQLite, and pool behaviour when
the pool is smaller than the concurrency (issue #16's numbers).

    python3 scripts/session-store-bench.py --bin .build/debug [--seconds 10] [--connections 100]

Everything on 127.0.0.1: a PostgreSQL cluster of its own (initdb in a temp folder; as `nobody`
when run as root), then one `tonehost serve` (embedded default plugins: extractive answerer,
sample knowledge base) per configuration, loaded with wrk (100 connections, keep-alive,
/api/rag-llm/query with history, 1000 sessions so each has a few turns), in interleaved rounds:
  sqlite            session_store = "sqlite" (the default)
  postgres pool=10  session_store = "postgres://…", session_store_pool_size = 10
  postgres pool=2   the pool 50x smaller than the concurrency
Prints p50/p99 and requests/s per configuration, the answers that went without history
(X-History: unavailable, counted by tonehost_history_read_failures_total), and p50/p99 added
by PostgreSQL (postgres − sqlite).
"""
import argparse, glob, json, os, re, shutil, socket, subprocess, sys, tempfile, time, http.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-pw"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


class Postgres:
    def __init__(self, work):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins: raise SystemExit("PostgreSQL is not installed (scripts/setup.sh installs it)")
        self.bin = os.path.dirname(bins[-1]); self.dir = os.path.join(work, "pg"); self.port = free_port()
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "pw"), "w") as f: f.write(PASSWORD)
        self.prefix = []
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "nobody", self.dir], check=True); self.prefix = ["runuser", "-u", "nobody", "--"]
        subprocess.run(self.prefix + [self.bin + "/initdb", "-D", self.dir + "/data", "-U", "tonehost", "--pwfile", self.dir + "/pw",
                                      "-E", "UTF8", "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(self.prefix + [self.bin + "/pg_ctl", "-D", self.dir + "/data", "-l", self.dir + "/log", "-w", "start", "-o",
                                      f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(self.dir + "/data/postmaster.pid") as f: self.pid = int(f.readline())

    def url(self, db="postgres"): return f"postgres://tonehost@127.0.0.1:{self.port}/{db}?sslmode=disable"

    def stop(self):
        try: os.kill(self.pid, 2)
        except OSError: return
        for _ in range(200):
            try: os.kill(self.pid, 0); time.sleep(0.05)
            except OSError: return


def start_host(bin_dir, work, name, env_extra):
    port = free_port(); log = os.path.join(work, name + ".log")
    env = dict(os.environ, TONEHOST_PLUGIN_PATH=bin_dir, **env_extra)
    proc = subprocess.Popen([os.path.join(bin_dir, "tonehost"), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--db", os.path.join(work, name + ".db"), "--auto-init", "--manifests", os.path.join(ROOT, "plugin-manifests"),
                             "--log-level", "warning"], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    for _ in range(600):
        if proc.poll() is not None: raise SystemExit(f"{name} exited; see {log}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("POST", "/api/rag-llm/query", json.dumps({"text_user_msg": "What is ITRI?", "session_id": "warm"}),
                      {"Content-Type": "application/json"})
            r = c.getresponse(); body = r.read()
            if r.status == 200 and body.endswith(b"END_FLAG\n"): return proc, port
        except OSError: pass
        time.sleep(0.1)
    raise SystemExit(f"{name} not ready; see {log}")


def lua(work):
    f = os.path.join(work, "query.lua")
    with open(f, "w") as out:
        out.write('local qs = {"What is ITRI?", "工研院是什麼？", "When was ITRI founded?", "工研院在哪裡？"}\nlocal n = 0\n')
        out.write('request = function()\n  n = n + 1\n'
                  '  local body = string.format(\'{"text_user_msg":"%s","session_id":"bench-%d"}\', qs[(n % #qs) + 1], math.random(1000))\n'
                  '  return wrk.format("POST", "/api/rag-llm/query", {["Content-Type"]="application/json"}, body)\nend\n'
                  'local unavailable = 0\n'
                  'response = function(status, headers, body)\n  if headers["X-History"] == "unavailable" then unavailable = unavailable + 1 end\nend\n')
    return f


def wrk(port, script, seconds, connections):
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True).stdout
    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m: return float("nan")
        v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return ms("50"), ms("99"), rps, int(errors.group(1)) if errors else 0


def history_failures(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET", "/metrics"); text = c.getresponse().read().decode()
    return sum(float(m) for m in re.findall(r"^tonehost_history_(?:read|write)_failures_total\S* ([\d.e+]+)$", text, re.M))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build/debug"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=100)
    a = ap.parse_args()
    if not shutil.which("wrk"): raise SystemExit("wrk is not installed (scripts/setup.sh installs it)")
    work = tempfile.mkdtemp(prefix="tonehost-ssb-"); os.chmod(work, 0o755)
    pg = Postgres(work); hosts = {}
    try:
        configs = [("sqlite", {}),
                   ("postgres pool=10", {"TONEHOST_SESSION_STORE": pg.url(), "TONEHOST_SESSION_STORE_PASSWORD": PASSWORD,
                                         "TONEHOST_SESSION_STORE_POOL_SIZE": "10"}),
                   ("postgres pool=2", {"TONEHOST_SESSION_STORE": pg.url(), "TONEHOST_SESSION_STORE_PASSWORD": PASSWORD,
                                        "TONEHOST_SESSION_STORE_POOL_SIZE": "2"})]
        for name, env in configs: hosts[name] = start_host(a.bin, work, name.replace(" ", "-").replace("=", ""), env)
        script = lua(work)
        results = {name: [] for name, _ in configs}
        for r in range(a.rounds):
            for name, _ in configs:
                results[name].append(wrk(hosts[name][1], script, a.seconds, a.connections))
        print(f"{a.connections} connections, {a.seconds} s x {a.rounds} rounds, /api/rag-llm/query with history (1000 sessions)")
        print(f"{'store':18} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'non-2xx':>8} {'no-history':>10}")
        med = {}
        for name, _ in configs:
            rows = results[name]
            p50 = sorted(x[0] for x in rows)[len(rows) // 2]; p99 = sorted(x[1] for x in rows)[len(rows) // 2]
            rps = sum(x[2] for x in rows) / len(rows); bad = sum(x[3] for x in rows)
            med[name] = (p50, p99)
            print(f"{name:18} {p50:8.2f} {p99:8.2f} {rps:8.0f} {bad:8d} {history_failures(hosts[name][1]):10.0f}")
        for name in ("postgres pool=10", "postgres pool=2"):
            print(f"added by {name}: p50 {med[name][0] - med['sqlite'][0]:+.2f} ms, p99 {med[name][1] - med['sqlite'][1]:+.2f} ms")
    finally:
        for proc, _ in hosts.values(): proc.terminate(); proc.wait()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
