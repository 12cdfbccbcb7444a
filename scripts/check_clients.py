#!/usr/bin/env python3
"""Checks tonehost the way integrators meet it, against live servers (scripts/check-clients.sh
starts them): the official `openai` package and curl on /v1, the example client, the OpenAPI
document (validated, then fuzzed by schemathesis), the kiosk page in headless Chromium, and the
Grafana dashboard's series in /metrics. Prints one line per check; exits 1 if any failed."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))

ELDER = "an elderly man with a walking stick"
CHILD = "一位穿著制服的小學生"
checks = []


def check(fn):
    checks.append(fn)
    return fn


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


@check
def openai_sdk_whole_and_streamed(a):
    import openai
    client = openai.OpenAI(base_url=a.api + "/v1", api_key="unused", max_retries=0)
    models = [m.id for m in client.models.list()]
    assert "tonehost" in models and "tonehost-elder_friendly" in models, models
    whole = client.chat.completions.create(
        model="tonehost", messages=[{"role": "user", "content": "What is ITRI?"}],
        extra_body={"user_description": ELDER})
    assert whole.choices[0].message.role == "assistant"
    assert whole.choices[0].message.content, whole
    assert whole.choices[0].finish_reason == "stop"
    assert whole.model_extra.get("tone") == "elder_friendly", whole.model_extra
    pieces, finish = [], None
    stream = client.chat.completions.create(
        model="tonehost-child_friendly", stream=True, user="sdk-session",
        messages=[{"role": "user", "content": "工研院在哪裡？"}])
    for chunk in stream:
        choice = chunk.choices[0]
        if choice.delta.content:
            pieces.append(choice.delta.content)
        finish = choice.finish_reason or finish
    text = "".join(pieces)
    assert finish == "stop" and text, (finish, text)
    assert re.search(r"[\u4e00-\u9fff]", text), text
    # The named session stored the turn.
    _, _, body = get(a.api + "/api/rag-llm/sessions/sdk-session/history")
    assert json.loads(body)["message_count"] == 2, body
    # Errors arrive as the SDK's exceptions.
    try:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        raise AssertionError("unknown model accepted")
    except openai.NotFoundError as e:
        assert e.code == "model_not_found", e
    try:
        client.chat.completions.create(model="tonehost", messages=[{"role": "assistant", "content": "hi"}])
        raise AssertionError("assistant-last accepted")
    except openai.BadRequestError as e:
        assert "last message" in str(e), e
    keyed = openai.OpenAI(base_url=a.keyed + "/v1", api_key="wrong", max_retries=0)
    try:
        keyed.models.list()
        raise AssertionError("wrong key accepted")
    except openai.AuthenticationError:
        pass
    ok = openai.OpenAI(base_url=a.keyed + "/v1", api_key=a.key, max_retries=0)
    assert ok.chat.completions.create(model="tonehost", messages=[{"role": "user", "content": "hi"}]).choices
    return f"{len(models)} models; whole {len(whole.choices[0].message.content)} chars; streamed {len(pieces)} chunks"


@check
def curl_whole_and_streamed(a):
    body = json.dumps({"model": "tonehost", "messages": [{"role": "user", "content": "What is ITRI?"}]})
    out = subprocess.run(["curl", "-sS", "-f", a.api + "/v1/chat/completions", "-H", "Content-Type: application/json", "-d", body],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["object"] == "chat.completion", out
    body = json.dumps({"model": "tonehost", "stream": True, "messages": [{"role": "user", "content": "What is ITRI?"}]})
    out = subprocess.run(["curl", "-sS", "-N", "-f", a.api + "/v1/chat/completions", "-H", "Content-Type: application/json", "-d", body],
                         capture_output=True, text=True, check=True).stdout
    events = [e for e in out.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events), out[:500]
    assert events[-1] == "data: [DONE]", events[-1]
    return f"{len(events)} SSE events"


@check
def example_python_client(a):
    from tonehost_client import TonehostClient, TonehostError
    client = TonehostClient(a.api)
    seen = []
    tone, text = client.ask("What is ITRI?", "example-1", ELDER, on_text=seen.append)
    assert tone == "elder_friendly" and text and "END_FLAG" not in text, (tone, text)
    assert "".join(seen).rstrip("\n") == text
    tone, text = client.ask("工研院在哪裡？", "example-1", CHILD)
    assert tone == "child_friendly" and re.search(r"[\u4e00-\u9fff]", text), (tone, text)
    assert len(client.history("example-1")) == 4
    assert client.close("example-1")["session_existed"] is True
    try:
        TonehostClient(a.keyed).ask("hi")
        raise AssertionError("no key accepted")
    except TonehostError as e:
        assert "HTTP 401" in str(e), e
    tone, _ = TonehostClient(a.keyed, api_key=a.key).ask("hi", user_description=ELDER)
    assert tone == "elder_friendly"
    cli = subprocess.run([sys.executable, os.path.join(ROOT, "examples/python/tonehost_client.py"), "--server", a.api, "What is ITRI?"],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and cli.stdout.strip(), cli
    return "English + 繁中, history, close, API key, CLI"


@check
def access_log_lines(a):
    with open(a.access_log, encoding="utf-8") as f:
        lines = [l for l in f if " msg=access " in l]
    assert lines, "no access lines"
    assert not any("ITRI" in l or "工研院" in l for l in lines), "question text in the access log"
    for key in ("method=", "route=", "status=", "bytes=", "duration_ms=", "request="):
        assert all(key in l for l in lines), key
    return f"{len(lines)} lines"


@check
def openapi_document_validates(a):
    from openapi_spec_validator import validate
    _, headers, body = get(a.api + "/openapi.json")
    spec = json.loads(body)
    validate(spec)
    with open(os.path.join(ROOT, "Sources/TonehostServer/Resources/openapi.json"), encoding="utf-8") as f:
        assert json.load(f) == spec, "served document differs from the source file"
    return f"OpenAPI {spec['openapi']}, {len(spec['paths'])} paths"


@check
def schemathesis_fuzz(a):
    st = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    cmd = [st, "run", a.api + "/openapi.json", "--url", a.api,
           "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
           "--max-examples", str(a.fuzz_examples), "--phases", "examples,coverage,fuzzing", "--workers", "2",
           "--exclude-path", "/admin/reload", "--seed", "1", "--no-color", "--suppress-health-check", "all",
           "--request-timeout", "30"]
    started = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    tail = "\n".join(r.stdout.splitlines()[-40:])
    assert r.returncode == 0, tail + r.stderr[-2000:]
    summary = [l for l in r.stdout.splitlines() if "passed" in l or "generated" in l.lower()]
    return f"{time.time() - started:.0f} s; " + "; ".join(s.strip() for s in summary[-2:])


@check
def kiosk_page_in_headless_chromium(a):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,1100", "--lang=en-US"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    os.makedirs(a.artifacts, exist_ok=True)
    try:
        wait = WebDriverWait(driver, 60)
        def ask(question, description):
            before = len(driver.find_elements(By.CSS_SELECTOR, "#conversation .turn"))
            driver.find_element(By.ID, "question").clear()
            driver.find_element(By.ID, "question").send_keys(question)
            driver.find_element(By.ID, "description").clear()
            driver.find_element(By.ID, "description").send_keys(description)
            driver.find_element(By.ID, "send").click()
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#conversation .turn")) > before)
            turn = driver.find_elements(By.CSS_SELECTOR, "#conversation .turn")[-1]
            return turn.find_element(By.CSS_SELECTOR, ".badge").text, turn.find_element(By.CSS_SELECTOR, ".a").text

        # Same origin, English.
        driver.get(a.api + "/?lang=en")
        assert driver.find_element(By.ID, "send").text == "Ask"
        tone, answer = ask("What is ITRI?", ELDER)
        assert tone == "elder_friendly" and answer, (tone, answer)
        # Traditional Chinese, same session: the history grows.
        driver.find_element(By.ID, "lang").click()
        assert driver.find_element(By.ID, "send").text == "發問"
        tone, answer = ask("工研院在哪裡？", CHILD)
        assert tone == "child_friendly" and re.search(r"[\u4e00-\u9fff]", answer), (tone, answer)
        session = driver.find_element(By.ID, "session").get_attribute("textContent")
        _, _, body = get(a.api + f"/api/rag-llm/sessions/{session}/history")
        assert json.loads(body)["message_count"] == 4, body
        driver.save_screenshot(os.path.join(a.artifacts, "kiosk.png"))
        # New visitor: the session is closed and a new one begins.
        driver.find_element(By.ID, "new-visitor").click()
        wait.until(lambda d: d.find_element(By.ID, "status").text == "對話已結束，歡迎下一位！")
        assert not driver.find_elements(By.CSS_SELECTOR, "#conversation .turn")
        _, _, body = get(a.api + f"/api/rag-llm/sessions/{session}/history")
        assert json.loads(body)["message_count"] == 0, body
        assert driver.find_element(By.ID, "session").get_attribute("textContent") != session

        # Cross-origin, with an API key: the page of the open server calls the keyed one,
        # which allows that origin (cors_origins) and needs the key.
        driver.get(a.api + "/?lang=en&server=" + a.keyed)
        driver.find_element(By.CSS_SELECTOR, "#settings summary").click()
        driver.find_element(By.ID, "api-key").clear()
        driver.find_element(By.ID, "question").send_keys("What is ITRI?")
        driver.find_element(By.ID, "send").click()
        wait.until(lambda d: "401" in d.find_element(By.ID, "status").text or "Bearer" in d.find_element(By.ID, "status").text)
        driver.find_element(By.ID, "api-key").send_keys(a.key)
        tone, answer = ask("What is ITRI?", ELDER)
        assert tone == "elder_friendly" and answer, (tone, answer)
        driver.save_screenshot(os.path.join(a.artifacts, "kiosk-cross-origin.png"))
    finally:
        driver.quit()
    return f"screenshots in {a.artifacts}/kiosk.png, kiosk-cross-origin.png"


@check
def dashboard_series_exist(a):
    with open(os.path.join(ROOT, "deploy/grafana/tonehost-dashboard.json"), encoding="utf-8") as f:
        dashboard = json.load(f)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    names = {n for e in exprs for n in re.findall(r"\b((?:tonehost|process)_[a-z_]+)\b", e)}
    _, _, body = get(a.api + "/metrics")
    families = set(re.findall(r"^# TYPE (\S+)", body.decode(), re.M))
    def family(n):
        for suffix in ("_bucket", "_count", "_sum"):
            if n.endswith(suffix) and n[: -len(suffix)] in families:
                return n[: -len(suffix)]
        return n
    missing = sorted(n for n in names if family(n) not in families)
    assert not missing, f"dashboard series not exported: {missing}"
    return f"{len(names)} series named by {len(exprs)} queries"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--api", required=True)
    p.add_argument("--keyed", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--access-log", required=True)
    p.add_argument("--artifacts", default=".ci-artifacts")
    p.add_argument("--fuzz-examples", type=int, default=int(os.environ.get("TONEHOST_SCHEMATHESIS_EXAMPLES", "30")))
    p.add_argument("--only", default=os.environ.get("TONEHOST_CHECK_ONLY"), help="run only the checks whose name contains this")
    a = p.parse_args()
    failed = 0
    for fn in checks:
        if a.only and a.only not in fn.__name__:
            continue
        started = time.time()
        try:
            detail = fn(a)
            print(f"ok    {fn.__name__} ({time.time() - started:.1f} s): {detail}", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL  {fn.__name__} ({time.time() - started:.1f} s)\n{traceback.format_exc()}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
