#!/usr/bin/env python3
"""A small client for tonehost's original API (MISSION §5), with `requests`.

    python3 examples/python/tonehost_client.py --server http://127.0.0.1:5002 "What is ITRI?"
    python3 examples/python/tonehost_client.py --session kiosk-1 --description "一位小學生" "工研院在哪裡？"

The answer is printed as it streams. Framing: the answer text may span lines; `END_FLAG` and
every `ERROR: <message>` stand on lines of their own, and the HTTP status is already 200 when an
error line comes, so the error line is the signal.
"""
import argparse
import sys

import requests


class TonehostError(Exception):
    """The answer failed: an `ERROR:` line, or an HTTP error with the server's `{"error": ...}`."""


class TonehostClient:
    def __init__(self, server="http://127.0.0.1:5002", api_key=None, timeout=300):
        self.server = server.rstrip("/")
        self.session = requests.Session()
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = timeout

    def ask(self, question, session_id="default", user_description=None, convert_tone=True, on_text=None):
        """Streams one answer; `on_text(chunk)` sees it as it arrives. Returns (tone, text).
        Raises TonehostError on an `ERROR:` line or an HTTP error."""
        body = {"text_user_msg": question, "session_id": session_id, "convert_tone": convert_tone}
        if user_description:
            body["user_description"] = user_description
        with self.session.post(f"{self.server}/api/rag-llm/query-with-tone", json=body, stream=True,
                               timeout=self.timeout) as response:
            if response.status_code != 200:
                raise TonehostError(f"HTTP {response.status_code}: {_error_text(response)}")
            tone = response.headers.get("X-Tone")
            parts, error = [], None
            # Lines as they arrive; a line is only framing when it is the whole line.
            for line in response.iter_lines(delimiter=b"\n"):
                text = line.decode("utf-8")
                if text == "END_FLAG":
                    break
                if text.startswith("ERROR:"):
                    error = text[len("ERROR:"):].strip()
                    continue
                chunk = text + "\n"
                parts.append(chunk)
                if on_text:
                    on_text(chunk)
            else:
                raise TonehostError("the stream ended without END_FLAG")
            if error:
                raise TonehostError(error)
            return tone, "".join(parts).rstrip("\n")

    def history(self, session_id):
        r = self.session.get(f"{self.server}/api/rag-llm/sessions/{requests.utils.quote(session_id, safe='')}/history",
                             timeout=30)
        _raise_for(r)
        return r.json()["history"]

    def close(self, session_id):
        """The visitor left: their history (and cached description) are forgotten."""
        r = self.session.post(f"{self.server}/api/rag-llm/close", json={"session_id": session_id}, timeout=30)
        _raise_for(r)
        return r.json()


def _error_text(response):
    try:
        return response.json().get("error", response.text)
    except ValueError:
        return response.text


def _raise_for(response):
    if response.status_code != 200:
        raise TonehostError(f"HTTP {response.status_code}: {_error_text(response)}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("question")
    p.add_argument("--server", default="http://127.0.0.1:5002")
    p.add_argument("--api-key")
    p.add_argument("--session", default="default")
    p.add_argument("--description", help="the visitor, as a sentence (skips the describer)")
    p.add_argument("--close", action="store_true", help="close the session afterwards")
    a = p.parse_args()
    client = TonehostClient(a.server, a.api_key)
    try:
        tone, _ = client.ask(a.question, a.session, a.description,
                             on_text=lambda chunk: (sys.stdout.write(chunk), sys.stdout.flush()))
        print(f"\n[tone: {tone}]", file=sys.stderr)
        if a.close:
            client.close(a.session)
    except TonehostError as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
