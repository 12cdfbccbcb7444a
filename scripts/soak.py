#!/usr/bin/env python3
"""Soak benchmark: start `tonehost serve`, send many answer requests, watch memory and threads.

    python3 scripts/soak.py --binary .build/release/tonehost --manifests plugin-manifests \
        --requests 10000 --concurrency 100

The server runs on a free 127.0.0.1 port with a fresh temporary --db and is stopped (by its
PID) at the end, also on an error or Ctrl-C. Each of --concurrency threads keeps one keep-alive
connection and sends POST /api/rag-llm/query-with-tone requests until --requests are done.

An error is a non-200 status, a body that does not end with END_FLAG, or a body with a line
starting with "ERROR:". After --mark (1000) requests and at the end it prints requests done,
errors, p50/p99 latency, requests/s and the server's RSS and thread count; at the end the RSS
growth from the mark to the end and `soak: N passed, M failed` (failed = errors, +1 if the RSS
grew by 10 % or more; requests never sent because the server died or --max-seconds passed
count as failed too). Exit status 1 on failure. Standard library only.
"""

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

END_FLAG = "END_FLAG"
RSS_GROWTH_LIMIT = 10.0        # percent

QUESTIONS = [
    "What is ITRI?",
    "Where is ITRI located?",
    "When was ITRI founded?",
    "What does ITRI do?",
    "How does ITRI help Taiwan's industry?",
    "What is ITRI known for in semiconductors?",
    "How many people work at ITRI?",
    "Can companies license technology from ITRI?",
    "What research areas does ITRI cover?",
    "Is ITRI a government agency?",
    "工研院是什麼？",
    "工研院在哪裡？",
    "工研院是哪一年成立的？",
    "工研院做哪些研究？",
    "工研院和台灣半導體產業有什麼關係？",
    "工研院有多少員工？",
    "企業可以和工研院合作嗎？",
    "工研院的總部在新竹嗎？",
    "請用英文回答：工研院做什麼？",
    "Tell me about ITRI in Chinese",
]

DESCRIPTIONS = [
    "an elderly man with a walking stick",
    "一位小學生",
    "a woman in a business suit",
    "一位穿著制服的小學生",
    "a teenager wearing headphones",
    "",
]

SESSIONS = 200


# ----------------------------------------------------------------------------------------
# The server process
# ----------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, manifests, db, port, log):
    command = [binary, "serve", "--manifests", manifests, "--db", db, "--host", "127.0.0.1", "--port", str(port)]
    print("soak: starting " + " ".join(command), flush=True)
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_ready(process, port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/readyz did not answer 200 within {seconds} s")


def stop_server(process, seconds=40):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        print(f"soak: the server did not stop within {seconds} s; killing PID {process.pid}")
        process.kill()
        process.wait(timeout=10)


def proc_status(pid):
    """(RSS in MB, thread count) from /proc/PID/status."""
    rss_mb, threads = float("nan"), -1
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss_mb = int(line.split()[1]) / 1024.0
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
    except OSError:
        pass
    return rss_mb, threads


# ----------------------------------------------------------------------------------------
# The load
# ----------------------------------------------------------------------------------------

def request_body(index, seed):
    rng = random.Random(seed * 1_000_003 + index)
    return json.dumps({
        "text_user_msg": rng.choice(QUESTIONS),
        "session_id": f"soak-{rng.randrange(SESSIONS)}",
        "user_description": rng.choice(DESCRIPTIONS),
    }, ensure_ascii=False).encode("utf-8")


def check_answer(status, body):
    """None when the answer is good, else the reason."""
    if status != 200:
        return f"status {status}: {body[:200]!r}"
    text = body.decode("utf-8", "replace")
    if not text.rstrip("\r\n").endswith(END_FLAG):
        return f"no END_FLAG at the end: …{text[-200:]!r}"
    for line in text.splitlines():
        if line.startswith("ERROR:"):
            return f"error line: {line[:200]!r}"
    return None


class Stats:
    def __init__(self, total):
        self.lock = threading.Lock()
        self.total = total
        self.next_index = 0
        self.done = 0
        self.errors = 0
        self.error_samples = []
        self.latencies = []      # ms
        self.checkpoints = []    # (done, callback) to run once `done` reaches it
        self.stop = False

    def take(self):
        """The next request index, or None when all are handed out."""
        with self.lock:
            if self.stop or self.next_index >= self.total:
                return None
            self.next_index += 1
            return self.next_index - 1

    def record(self, latency_ms, error):
        with self.lock:
            self.done += 1
            self.latencies.append(latency_ms)
            if error:
                self.errors += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(error)
            due = [cb for n, cb in self.checkpoints if n == self.done]
        for callback in due:
            callback()

    def snapshot(self):
        with self.lock:
            return self.done, self.errors, sorted(self.latencies)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    rank = math.ceil(p / 100.0 * len(sorted_values))          # nearest rank
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


def worker(port, stats, seed, timeout):
    conn = None
    while True:
        index = stats.take()
        if index is None:
            break
        body = request_body(index, seed)
        started = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            conn.request("POST", "/api/rag-llm/query-with-tone", body=body,
                         headers={"Content-Type": "application/json", "Connection": "keep-alive"})
            response = conn.getresponse()
            data = response.read()
            error = check_answer(response.status, data)
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if conn is not None:
                conn.close()
            conn = None
        stats.record((time.monotonic() - started) * 1000.0, error)
    if conn is not None:
        conn.close()


def report(label, stats, pid, started):
    done, errors, latencies = stats.snapshot()
    elapsed = time.monotonic() - started
    rss_mb, threads = proc_status(pid)
    print(f"[{label}] requests {done}, errors {errors}, p50 {percentile(latencies, 50):.1f} ms, "
          f"p99 {percentile(latencies, 99):.1f} ms, {done / elapsed if elapsed > 0 else 0:.1f} requests/s, "
          f"RSS {rss_mb:.1f} MB, threads {threads}", flush=True)
    return rss_mb


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------

def on_sigterm(signum, frame):
    """SIGTERM to this script stops the server too, like Ctrl-C (the `finally` in main runs)."""
    raise KeyboardInterrupt

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the tonehost executable")
    parser.add_argument("--manifests", required=True, help="the manifest folder")
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--mark", type=int, default=1000, help="requests before the first report (RSS baseline)")
    parser.add_argument("--report-every", type=int, default=0, help="also report every N requests (0: off)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one request may take")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop sending after this long")
    parser.add_argument("--ready-seconds", type=float, default=60.0, help="how long to wait for /readyz")
    args = parser.parse_args()

    binary = os.path.abspath(args.binary)
    manifests = os.path.abspath(args.manifests)
    if not os.access(binary, os.X_OK):
        sys.exit(f"soak: {binary} is not an executable")
    if not os.path.isdir(manifests):
        sys.exit(f"soak: {manifests} is not a folder")

    workdir = tempfile.mkdtemp(prefix="tonehost-soak-")
    log_path = os.path.join(workdir, "server.log")
    port = free_port()
    log = open(log_path, "wb")
    process = None
    stats = None
    keep_workdir = False
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)   # Ctrl-C, even when started with SIGINT ignored
    try:
        process = start_server(binary, manifests, os.path.join(workdir, "soak.db"), port, log)
        wait_ready(process, port, args.ready_seconds)
        print(f"soak: server PID {process.pid} ready on 127.0.0.1:{port}; "
              f"{args.requests} requests, {args.concurrency} connections", flush=True)

        stats = Stats(args.requests)
        started = time.monotonic()
        mark_rss = []
        mark = min(args.mark, args.requests)
        stats.checkpoints.append((mark, lambda: mark_rss.append(report(f"{mark} requests", stats,
                                                                       process.pid, started))))
        for n in range(args.report_every, args.requests, args.report_every or args.requests):
            if n != mark:
                stats.checkpoints.append((n, lambda n=n: report(f"{n} requests", stats, process.pid, started)))
        threads = [threading.Thread(target=worker, args=(port, stats, args.seed, args.timeout), daemon=True)
                   for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        deadline = started + args.max_seconds
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.5)        # short joins, so Ctrl-C is seen
                if process.poll() is not None:
                    print(f"soak: the server exited with status {process.returncode} during the run")
                    stats.stop = True
                    break
                if time.monotonic() > deadline:
                    print(f"soak: --max-seconds {args.max_seconds:.0f} reached; stopping")
                    stats.stop = True
                    deadline = float("inf")
        for t in threads:
            t.join(timeout=args.timeout)

        end_rss = report("end", stats, process.pid, started)
        done, errors, _ = stats.snapshot()
        for sample in stats.error_samples:
            print(f"  error: {sample}")
        base = mark_rss[0] if mark_rss else float("nan")
        growth = (end_rss - base) / base * 100.0 if base and base == base else float("nan")
        print(f"RSS growth from {mark} requests to the end: {growth:.1f}% ({base:.1f} MB -> {end_rss:.1f} MB)")
        failed = errors + (args.requests - done)    # requests never sent (server died, time up) fail too
        if not growth < RSS_GROWTH_LIMIT:          # also when the growth could not be measured
            failed += 1
        passed = done - errors
        print(f"soak: {passed} passed, {failed} failed")
        keep_workdir = failed > 0
        return 1 if failed else 0
    except KeyboardInterrupt:
        print("soak: interrupted")
        keep_workdir = True
        return 1
    except RuntimeError as error:
        print(f"soak: {error}")
        keep_workdir = True
        return 1
    finally:
        if stats is not None:
            stats.stop = True                  # workers still running (Ctrl-C) send no more
        if process is not None:
            stop_server(process)
        log.close()
        if keep_workdir:
            print(f"soak: server log kept in {log_path}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
