#!/usr/bin/env python3
"""Fuzz the running tonehost servers with malformed and odd HTTP requests.

    python3 scripts/fuzz.py --api http://127.0.0.1:5002 --describe http://127.0.0.1:5003 \
        --requests 10000 --seed 1 [--concurrency 8] [--timeout 15] [--case N]

Every request is built from the seed and its index alone, so `--case N` re-sends case N
(and prints what went and what came back) to reproduce a finding.

Requests go over raw sockets, so framing can be broken at will. Outcomes:
  <status>  the status code of the first response
  closed    no status line: the server closed (or reset) the connection; OK for garbled
            or partial requests
  hang      the request was complete but no whole response arrived within --timeout
  refused   the connection was refused (the server is probably dead)

failed = 5xx + hangs + (1 if a server is dead at the end). Standard library only.
"""

import argparse
import json
import random
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

END_FLAG = b"END_FLAG"
PREVIEW_BYTES = 200
MAX_RESPONSE_BYTES = 8 << 20          # never buffer more than this of one response
PARTIAL_WAIT_SECONDS = 5.0            # how long to wait for an answer to a partial request


# ----------------------------------------------------------------------------------------
# Endpoints
# ----------------------------------------------------------------------------------------

class Endpoint:
    def __init__(self, target, method, path, fields=None, weight=1.0, answers=False):
        self.target = target          # "api" or "describe"
        self.method = method
        self.path = path              # may contain {id}
        self.fields = fields or {}    # a valid body: field -> value (empty: no JSON body)
        self.weight = weight
        self.answers = answers        # a valid request runs the (costly) answer path

    def route(self, session_id="kiosk-1"):
        return self.path.replace("{id}", urllib.parse.quote(session_id, safe=""))

    def __repr__(self):
        return f"{self.method} {self.path} ({self.target})"


QUERY_FIELDS = {"text_user_msg": "What is ITRI?", "session_id": "fuzz-1", "include_history": True,
                "user_description": "an elderly man with a walking stick", "convert_tone": False}
CONVERT_FIELDS = {"text": "ITRI was founded in 1973.", "tone": "elder_friendly", "stream": True,
                  "user_description": "一位小學生", "user_msg": "When was ITRI founded?"}

ENDPOINTS = [
    Endpoint("api", "POST", "/api/rag-llm/query", QUERY_FIELDS, answers=True),
    Endpoint("api", "POST", "/api/rag-llm/query-with-tone", QUERY_FIELDS, answers=True),
    Endpoint("api", "POST", "/api/rag-llm/convert-tone", CONVERT_FIELDS, answers=True),
    Endpoint("api", "POST", "/api/rag-llm/init"),
    Endpoint("api", "POST", "/api/rag-llm/warmup"),
    Endpoint("api", "POST", "/api/rag-llm/close", {"session_id": "fuzz-1"}),
    Endpoint("api", "GET", "/api/rag-llm/sessions/{id}/history"),
    Endpoint("api", "DELETE", "/api/rag-llm/sessions/{id}/history"),
    Endpoint("api", "GET", "/health"),
    Endpoint("api", "GET", "/livez"),
    Endpoint("api", "GET", "/readyz"),
    Endpoint("api", "GET", "/metrics", weight=0.5),
    Endpoint("api", "POST", "/admin/reload", weight=0.3),   # a real reload each time: keep rare
    Endpoint("describe", "GET", "/visual-context/{id}"),
    Endpoint("describe", "GET", "/sessions"),
    Endpoint("describe", "GET", "/api/simulator/pool"),
    Endpoint("describe", "GET", "/api/get-user-description"),
    Endpoint("describe", "GET", "/health"),
]


# ----------------------------------------------------------------------------------------
# Building requests
# ----------------------------------------------------------------------------------------

class Case:
    """One request to send. `complete` is False when the request is deliberately cut short
    (or its framing leaves the server waiting): then the write side is shut down after
    sending and no answer is not a hang."""

    def __init__(self, name, endpoint, data, complete=True, valid_answer=False):
        self.name = name
        self.endpoint = endpoint
        self.data = data
        self.complete = complete
        self.valid_answer = valid_answer   # must be 200 and end with END_FLAG


def request(method, path, body=b"", headers=None, content_type="application/json"):
    """Raw HTTP/1.1 request bytes with Host, Connection: close, Content-Type (when there is a
    body) and Content-Length. `headers` is a list of extra raw header lines (str or bytes)."""
    if isinstance(method, str):
        method = method.encode()
    if isinstance(path, str):
        path = path.encode("utf-8", "surrogateescape")
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = [method + b" " + path + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    if content_type and body:
        lines.append(b"Content-Type: " + content_type.encode())
    if body or method in (b"POST", b"PUT", b"PATCH"):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    for h in headers or []:
        lines.append(h.encode("utf-8", "surrogateescape") if isinstance(h, str) else h)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def json_body(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def valid_body(ep):
    return json_body(ep.fields) if ep.fields else (b"{}" if ep.method == "POST" else b"")


# ----------------------------------------------------------------------------------------
# Case families: each takes (rng, endpoint) and returns a Case
# ----------------------------------------------------------------------------------------

BAD_JSON = [
    b"", b"{", b"}", b"[", b"{\"text_user_msg\":", b"{\"text_user_msg\":\"What is", b"{'text_user_msg': 'hi'}",
    b"{\"text_user_msg\":\"hi\",}", b"{\"text_user_msg\" \"hi\"}", b"{text_user_msg:\"hi\"}", b"null", b"true",
    b"0", b"\"just a string\"", b"[]", b"{\"a\":NaN}", b"{\"a\":Infinity}", b"{\"a\":-}", b"{\"a\":01}",
    b"{\"a\":1e}", b"{\"a\":\"\\x41\"}", b"{\"a\":\"\\u12\"}", b"{\"a\":\"\\ud800\"}", b"{\"a\":\"\\udc00\\ud800\"}",
    b"/* c */ {}", b"{} {}", b"{}garbage", b"\xef\xbb\xbf{}", b"{\"text_user_msg\":\"hi\"\x00}", b"  \t\r\n ",
    b"{\"text_user_msg\":\"unterminated}", b"{\"a\":[1,2,]}", b"{\"a\":tru}", b"{\"a\":nul}", b"{\"\":\"\"}",
    b"\x00\x00\x00", b"<xml/>", b"text_user_msg=hi", b"{\"text_user_msg\":\"hi\",\"text_user_msg\":1}",
]


def invalid_json(rng, ep):
    body = rng.choice(BAD_JSON)
    return Case("invalid_json", ep, request(ep.method, ep.route(), body))


BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
            b"\x80", b"\xc3", b"\xe6\x97", b"\xf8\x88\x80\x80\x80", b"\xc0\x80"]


def invalid_utf8(rng, ep):
    bad = rng.choice(BAD_UTF8)
    fields = dict(ep.fields or QUERY_FIELDS)
    key = rng.choice(list(fields))
    where = rng.choice(["value", "key", "whole", "path", "header"])
    path = ep.route()
    headers = []
    if where == "value":
        body = b"{\"" + key.encode() + b"\":\"abc" + bad + b"def\"}"
    elif where == "key":
        body = b"{\"" + key.encode() + bad + b"\":\"abc\"}"
    elif where == "whole":
        body = bad * rng.choice([1, 10, 1000])
    elif where == "path":
        body = valid_body(ep)
        if "{id}" in ep.path:
            path = ep.path.encode().replace(b"{id}", b"x" + bad)
        else:
            path = path.encode() + b"/" + bad
    else:
        body = valid_body(ep)
        headers = [b"X-Request-ID: abc" + bad, b"User-Agent: " + bad * 3]
    return Case("invalid_utf8/" + where, ep, request(ep.method, path, body, headers))


WRONG_VALUES = [0, -1, 1, 3.14, 1e308, -1e308, 123456789012345678901234567890, [], [1, 2], ["What is ITRI?"],
                {}, {"a": 1}, {"text_user_msg": "nested"}, None, True, False, "true", "false", "null", "1",
                "", " ", "\t\n", "x" * 300]
RAW_WRONG_VALUES = [b"1e999", b"-0", b"0.0000000000000000000000000001", b"1E+2", b"-1e-999",
                    b"99999999999999999999999999999999999999999999999999"]


def wrong_types(rng, ep):
    fields = dict(ep.fields or QUERY_FIELDS)
    key = rng.choice(list(fields) + ["tone", "unknown_field"])
    if rng.random() < 0.2:
        raw = rng.choice(RAW_WRONG_VALUES)
        others = {k: v for k, v in fields.items() if k != key}
        inner = json_body(others)[1:-1]
        body = b"{" + inner + (b"," if inner else b"") + b"\"" + key.encode() + b"\":" + raw + b"}"
    elif rng.random() < 0.1:
        body = json_body(rng.choice([[fields], [], 42, "text", None, [[]]]))   # wrong top-level type
    else:
        fields[key] = rng.choice(WRONG_VALUES)
        if rng.random() < 0.3:                     # and sometimes drop a field
            fields.pop(rng.choice(list(fields)), None)
        body = json_body(fields)
    return Case("wrong_types/" + key, ep, request(ep.method, ep.route(), body))


def deep_nesting(rng, ep):
    depth = rng.choice([100, 1000, 10000, 100000, 300000])
    kind = rng.choice(["array", "object", "mixed"])
    if kind == "array":
        nested = b"[" * depth + b"]" * depth
    elif kind == "object":
        nested = b"{\"a\":" * depth + b"1" + b"}" * depth
    else:
        nested = b"[{\"a\":" * (depth // 2) + b"1" + b"}]" * (depth // 2)
    if rng.random() < 0.5:
        body = nested
        where = "body"
    else:
        key = rng.choice(list(ep.fields or QUERY_FIELDS))
        body = b"{\"" + key.encode() + b"\":" + nested + b"}"
        where = key
    if rng.random() < 0.2:                         # unterminated: the closing brackets missing
        body = body[: len(body) // 2]
        where += ",unterminated"
    return Case(f"deep_nesting/{kind},{depth},{where}", ep, request(ep.method, ep.route(), body))


def huge_fields(rng, ep):
    choice = rng.choice(["2MB_text", "1MiB_exact", "100KB_description", "10KB_session_body",
                         "10KB_session_path", "4001_chars", "4000_cjk", "50k_keys", "dup_keys", "huge_number",
                         "long_escape"])
    fields = dict(ep.fields or QUERY_FIELDS)
    main_text = "text" if "text" in fields else "text_user_msg"
    path = ep.route()
    if choice == "2MB_text":
        fields[main_text] = "A" * (2 << 20)
        body = json_body(fields)
    elif choice == "1MiB_exact":
        prefix = b"{\"" + main_text.encode() + b"\":\""
        body = prefix + b"B" * ((1 << 20) - len(prefix) - 2) + b"\"}"
    elif choice == "100KB_description":
        fields["user_description"] = "a woman in a business suit " * 4000
        body = json_body(fields)
    elif choice == "10KB_session_body":
        fields["session_id"] = "s" * 10240
        body = json_body(fields)
    elif choice == "10KB_session_path":
        body = valid_body(ep)
        path = ep.route("s" * 10240) if "{id}" in ep.path else path + "/" + "s" * 10240
    elif choice == "4001_chars":
        fields[main_text] = "q" * 4001
        body = json_body(fields)
    elif choice == "4000_cjk":
        fields[main_text] = "工研院" * 1400
        body = json_body(fields)
    elif choice == "50k_keys":
        body = json_body({**{f"k{i}": i for i in range(50000)}, **fields})
    elif choice == "dup_keys":
        body = b"{" + b",".join([b"\"session_id\":\"d\""] * 20000) + b"," + json_body(fields)[1:]
    elif choice == "huge_number":
        body = b"{\"include_history\":" + b"9" * 500000 + b"}"
    else:
        fields[main_text] = "\\u5de5" * 100000       # escapes that decode to much more text
        body = json_body(fields).replace(b"\\\\u", b"\\u")
    return Case("huge_fields/" + choice, ep, request(ep.method, path, body))


def nul_bytes(rng, ep):
    choice = rng.choice(["escaped_in_value", "raw_in_value", "in_key", "raw_in_path", "pct00_in_path",
                         "in_header_value", "in_session_id", "only_nuls"])
    fields = dict(ep.fields or QUERY_FIELDS)
    key = rng.choice(list(fields))
    path = ep.route()
    headers = []
    body = valid_body(ep)
    if choice == "escaped_in_value":
        fields[key] = "before\u0000after"
        body = json_body(fields)
    elif choice == "raw_in_value":
        body = b"{\"" + key.encode() + b"\":\"a\x00b\"}"
    elif choice == "in_key":
        body = b"{\"" + key.encode() + b"\\u0000\":\"a\"}"
    elif choice == "raw_in_path":
        path = path.encode() + b"\x00" if rng.random() < 0.5 else path.encode().replace(b"/", b"/\x00", 1)
    elif choice == "pct00_in_path":
        path = ep.path.replace("{id}", "a%00b") if "{id}" in ep.path else path + "%00"
    elif choice == "in_header_value":
        headers = [b"X-Request-ID: ab\x00cd", b"Authorization: Bearer \x00"]
    elif choice == "in_session_id":
        fields["session_id"] = "\u0000" * 10
        body = json_body(fields)
        if "{id}" in ep.path:
            path = ep.route("\x00\x00")
    else:
        body = b"\x00" * 64
    return Case("nul_bytes/" + choice, ep, request(ep.method, path, body, headers))


def path_tricks(rng, ep):
    route = ep.route()
    tricks = {
        "double_slash": "/" + route,
        "inner_double_slash": route.replace("/", "//"),
        "dot_segment": route.replace("/", "/./", 1),
        "dotdot": "/nothing/.." + route,
        "dotdot_escape": "/../../../../etc/passwd",
        "pct_2F": route.replace("/", "%2F"),
        "pct_encoded_all": "".join(f"%{b:02X}" for b in route.encode()),
        "pct00": route + "%00",
        "overlong_pct": route.replace("/", "%C0%AF"),
        "bad_pct": route + "%zz%",
        "lone_pct": route + "%",
        "trailing_slash": route + "/",
        "upper_case": route.upper(),
        "long_10KB": route + "/" + "a" * 10240,
        "long_segment_id": ep.route("i" * 10240),
        "query_string": route + "?a=1&b=%ff&&=&" + "x" * 1000,
        "fragment": route + "#frag",
        "absolute_form": "http://127.0.0.1" + route,
        "asterisk": "*",
        "empty": "",
        "no_leading_slash": route.lstrip("/"),
        "backslash": route.replace("/", "\\"),
        "unicode_raw": route + "/工研院",
        "semicolon": route + ";jsessionid=1",
        "id_dotdot": ep.route("..") if "{id}" in ep.path else route + "/..",
        "id_pct_slash": ep.route("a/b") if "{id}" in ep.path else route + "%2f",
        "id_space": ep.path.replace("{id}", "a b") if "{id}" in ep.path else route + " x",
        "many_segments": "/a" * 3000 + route,
    }
    name = rng.choice(sorted(tricks))
    method = ep.method
    body = valid_body(ep) if ep.method == "POST" else b""
    return Case("path_tricks/" + name, ep, request(method, tricks[name], body))


def bad_chunks():
    return {
        "chunk_size_hex_overflow": b"ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
        "chunk_size_negative": b"-1\r\nabc\r\n0\r\n\r\n",
        "chunk_size_not_hex": b"zz\r\nabc\r\n0\r\n\r\n",
        "chunk_size_too_small": b"1\r\n{\"text\":1}\r\n0\r\n\r\n",
        "chunk_missing_crlf": b"2\r\n{}0\r\n\r\n",
        "chunk_ext_garbage": b"2;;;===\"\r\n{}\r\n0\r\n\r\n",
        "chunk_size_space": b"2 \r\n{}\r\n0\r\n\r\n",
        "chunk_lf_only": b"2\n{}\n0\n\n",
        "chunk_bad_trailer": b"2\r\n{}\r\n0\r\nno colon trailer\r\n\r\n",
        "chunk_huge_declared": b"7fffffff\r\n{}\r\n0\r\n\r\n",
    }


def bad_framing(rng, ep):
    """Broken HTTP framing. Some leave the server legitimately waiting for more bytes:
    those are sent as partial (write side shut down afterwards)."""
    route = ep.route()
    body = valid_body(ep) or b"{}"
    m = ep.method.encode()
    head = m + b" " + route.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    chunks = bad_chunks()
    cases = {}      # name -> (bytes, complete)
    for name, chunked in chunks.items():
        complete = name not in ("chunk_size_too_small", "chunk_huge_declared", "chunk_missing_crlf")
        cases[name] = (head + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
                       complete)
    cases.update({
        "te_unknown": (head + b"Transfer-Encoding: gzip\r\n\r\n" + body, False),
        "te_unknown_token": (head + b"Transfer-Encoding: xchunked\r\n\r\n" + body, False),
        "te_chunked_not_last": (head + b"Transfer-Encoding: chunked, identity\r\n\r\n" + body, False),
        "te_twice": (head + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                     True),
        "cl_and_te": (head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", True),
        "cl_shorter_than_body": (head + b"Content-Length: 1\r\n\r\n" + body, True),
        "cl_longer_than_body": (head + b"Content-Length: " + str(len(body) + 100).encode() + b"\r\n\r\n" + body,
                                False),
        "cl_two_values": (head + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", True),
        "cl_list": (head + b"Content-Length: 2, 2\r\n\r\n{}", True),
        "cl_negative": (head + b"Content-Length: -2\r\n\r\n{}", True),
        "cl_not_number": (head + b"Content-Length: abc\r\n\r\n{}", True),
        "cl_huge": (head + b"Content-Length: 99999999999999999999\r\n\r\n{}", True),
        "cl_big_over_limit": (head + b"Content-Length: 104857600\r\n\r\n{}", False),
        "cl_plus_sign": (head + b"Content-Length: +2\r\n\r\n{}", True),
        "header_no_colon": (head + b"ThisHeaderHasNoColon\r\n\r\n", True),
        "header_space_before_colon": (head + b"Content-Length : 2\r\n\r\n{}", True),
        "header_empty_name": (head + b": value\r\n\r\n", True),
        "header_obs_fold": (head + b"X-A: one\r\n  folded\r\n\r\n", True),
        "header_100KB": (head + b"X-Long: " + b"h" * 102400 + b"\r\n\r\n", True),
        "header_name_100KB": (head + b"X" * 102400 + b": v\r\n\r\n", True),
        "headers_2000": (head + b"".join(b"X-H%d: v\r\n" % i for i in range(2000)) + b"\r\n", True),
        "header_ctl_chars": (head + b"X-A: a\x01\x7fb\r\n\r\n", True),
        "bare_cr": (head + b"X-A: a\rb\r\n\r\n", True),
        "lf_only_lines": (head.replace(b"\r\n", b"\n") + b"\n", True),
        "no_host": (m + b" " + route.encode() + b" HTTP/1.1\r\nConnection: close\r\n\r\n", True),
        "two_hosts": (head + b"Host: example.com\r\n\r\n", True),
        "expect_100": (head + b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() +
                       b"\r\nContent-Type: application/json\r\n\r\n" + body, True),
        "expect_unknown": (head + b"Expect: something-else\r\n\r\n", True),
        "method_lowercase": (head.replace(m, m.lower(), 1) + b"\r\n", True),
        "method_bad_token": (head.replace(m, b"G(E)T", 1) + b"\r\n", True),
        "method_unknown": (head.replace(m, b"FOOBAR", 1) + b"\r\n", True),
        "method_long": (head.replace(m, b"X" * 5000, 1) + b"\r\n", True),
        "method_empty": (head.replace(m + b" ", b" ", 1) + b"\r\n", True),
        "method_nul": (head.replace(m, m + b"\x00", 1) + b"\r\n", True),
        "http09": (b"GET " + route.encode() + b"\r\n", False),
        "http09_bare": (b"GET " + route.encode() + b"\r\n\r\n", True),
        "http20_line": (head.replace(b"HTTP/1.1", b"HTTP/2.0") + b"\r\n", True),
        "http2_preface": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", True),
        "http10": (head.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n", True),
        "http12": (head.replace(b"HTTP/1.1", b"HTTP/1.2") + b"\r\n", True),
        "http_garbage_version": (head.replace(b"HTTP/1.1", b"HTTP/x.y") + b"\r\n", True),
        "request_line_extra": (head.replace(b"HTTP/1.1", b"HTTP/1.1 extra") + b"\r\n", True),
        "request_line_tabs": (head.replace(b" ", b"\t", 2) + b"\r\n", True),
        "leading_crlfs": (b"\r\n\r\n" + head + b"\r\n", True),
        "garbage_line": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, False),  # a TLS hello
        "pipelined_bad_second": (head.replace(b"Connection: close", b"Connection: keep-alive") + b"\r\n" +
                                 b"NOT HTTP AT ALL\r\n\r\n", True),
    })
    name = rng.choice(sorted(cases))
    data, complete = cases[name]
    return Case("bad_framing/" + name, ep, data, complete=complete)


def partial(rng, ep):
    """The connection is shut down for writing part way through the request."""
    full = request(ep.method, ep.route(), valid_body(ep) or b"{\"session_id\":\"x\"}")
    header_end = full.index(b"\r\n\r\n") + 4
    where = rng.choice(["request_line", "headers", "before_blank_line", "body", "chunk"])
    if where == "request_line":
        data = full[: rng.randint(1, full.index(b"\r\n"))]
    elif where == "headers":
        data = full[: rng.randint(full.index(b"\r\n") + 2, header_end - 3)]
    elif where == "before_blank_line":
        data = full[: header_end - 2]
    elif where == "body":
        data = full[: rng.randint(header_end, len(full) - 1)]
    else:
        head = ep.method.encode() + b" " + ep.route().encode() + \
            b" HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        data = head + b"a\r\n{\"te"
    return Case("partial/" + where, ep, data, complete=False)


OTHER_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]


def wrong_method(rng, ep):
    method = rng.choice([m for m in OTHER_METHODS if m != ep.method])
    headers = []
    if method == "OPTIONS" and rng.random() < 0.5:     # a CORS preflight
        headers = ["Origin: http://kiosk.example", f"Access-Control-Request-Method: {ep.method}"]
    body = valid_body(ep) if method in ("POST", "PUT", "PATCH") else b""
    return Case("wrong_method/" + method, ep, request(method, ep.route(), body, headers))


CONTENT_TYPES = [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/json; charset=latin1", "application/json; charset=utf-16", "application/xml",
                 "APPLICATION/JSON", "application/json;;;", "*/*", "", "application/json\x00", "x" * 5000]


def content_type(rng, ep):
    ctype = rng.choice(CONTENT_TYPES)
    body = valid_body(ep) or b"{}"
    if ctype == "application/json; charset=utf-16":
        body = body.decode().encode("utf-16")
    elif ctype == "application/x-www-form-urlencoded":
        body = urllib.parse.urlencode({k: str(v) for k, v in (ep.fields or {"a": 1}).items()}).encode()
    elif ctype and ctype.startswith("multipart"):
        body = b"--x\r\nContent-Disposition: form-data; name=\"text_user_msg\"\r\n\r\nhi\r\n--x--\r\n"
    elif ep.answers and rng.random() < 0.7:
        body = b"{\"text_user_msg\":1,\"text\":1}"       # keep costly answers rare
    headers = [] if ctype is None else ["Content-Type: " + ctype]     # None: no Content-Type at all
    data = request(ep.method, ep.route(), body, headers, content_type=None)
    return Case("content_type/" + repr(ctype)[:40], ep, data)


def odd_headers(rng, ep):
    choice = rng.choice(["auth_garbage", "request_id_long", "request_id_weird", "origin_evil", "accept_weird",
                         "x_forwarded_for", "connection_upgrade", "range", "cookie_huge"])
    headers = {
        "auth_garbage": ["Authorization: Bearer " + "k" * 5000],
        "request_id_long": ["X-Request-ID: " + "r" * 8000],
        "request_id_weird": ["X-Request-ID: \"; rm -rf / \n"[:-1]],
        "origin_evil": ["Origin: http://evil.example"],
        "accept_weird": ["Accept: */*;q=abc", "Accept-Encoding: gzip;q=-1, br"],
        "x_forwarded_for": ["X-Forwarded-For: 1.2.3.4, ::1, not-an-ip"],
        "connection_upgrade": ["Upgrade: websocket", "Sec-WebSocket-Key: x", "Sec-WebSocket-Version: 13"],
        "range": ["Range: bytes=0-1,5-3"],
        "cookie_huge": ["Cookie: " + "; ".join(f"c{i}=v" for i in range(3000))],
    }[choice]
    body = b"{}" if ep.method == "POST" else b""
    return Case("odd_headers/" + choice, ep, request(ep.method, ep.route(), body, headers))


VALID_QUESTIONS = ["What is ITRI?", "工研院是什麼？", "Where is ITRI located?", "工研院在哪裡？",
                   "When was ITRI founded?", "請用英文回答：工研院做什麼？"]


def valid(rng, ep):
    """A correct request, so the normal paths run too."""
    fields = dict(ep.fields)
    if "text_user_msg" in fields:
        fields["text_user_msg"] = rng.choice(VALID_QUESTIONS)
        fields["session_id"] = f"fuzz-{rng.randint(1, 20)}"
        fields["convert_tone"] = rng.random() < 0.5
    if "stream" in fields:
        fields["stream"] = rng.random() < 0.5
    body = json_body(fields) if fields else (b"{}" if ep.method == "POST" else b"")
    streaming = ep.answers and fields.get("stream", True)
    return Case("valid", ep, request(ep.method, ep.route(f"fuzz-{rng.randint(1, 20)}"), body),
                valid_answer=streaming)


# The table of case families and their weights (out of the total).
FAMILIES = [
    (invalid_json, 10),
    (invalid_utf8, 8),
    (wrong_types, 14),
    (deep_nesting, 5),
    (huge_fields, 6),
    (nul_bytes, 7),
    (path_tricks, 12),
    (bad_framing, 14),
    (partial, 6),
    (wrong_method, 8),
    (content_type, 4),
    (odd_headers, 3),
    (valid, 3),
]


def make_case(seed, index):
    """Case number `index`: depends on the seed and the index only."""
    rng = random.Random(seed * 1_000_003 + index)
    family = rng.choices([f for f, _ in FAMILIES], weights=[w for _, w in FAMILIES])[0]
    if family is valid and rng.random() < 0.5:
        # half of the valid requests go to the cheap routes (health, history, ...)
        ep = rng.choice([e for e in ENDPOINTS if not e.answers])
    else:
        ep = rng.choices(ENDPOINTS, weights=[e.weight for e in ENDPOINTS])[0]
    return family(rng, ep)


# ----------------------------------------------------------------------------------------
# Sending and reading
# ----------------------------------------------------------------------------------------

class Result:
    def __init__(self, outcome, status_line=b"", body=b"", detail=""):
        self.outcome = outcome          # "200", "400", …, "closed", "hang", "refused"
        self.status_line = status_line
        self.body = body
        self.detail = detail


class Reader:
    """Reads from a socket with one overall deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buf = b""
        self.eof = False
        self.total = 0

    def fill(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError
        except (ConnectionResetError, BrokenPipeError, OSError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.total += len(data)
        if self.total > MAX_RESPONSE_BYTES:
            raise ValueError("response too large")
        self.buf += data
        return True

    def line(self):
        while b"\r\n" not in self.buf:
            if not self.fill():
                return None
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exactly(self, n):
        while len(self.buf) < n:
            if not self.fill():
                return None
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def rest(self):
        while self.fill():
            pass
        data, self.buf = self.buf, b""
        return data


def read_response(reader, method):
    """Returns (status_line, status, body, complete). Raises TimeoutError at the deadline."""
    while True:
        status_line = reader.line()
        if status_line is None:
            return None, None, b"", False
        parts = status_line.split(b" ", 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            return status_line, None, b"", False
        headers = {}
        while True:
            line = reader.line()
            if line is None:
                return status_line, status, b"", False
            if line == b"":
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200:
            continue                               # 100 Continue: the real answer follows
        break
    if method == b"HEAD" or status in (204, 304):
        return status_line, status, b"", True
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        body = b""
        while True:
            size_line = reader.line()
            if size_line is None:
                return status_line, status, body, False
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                reader.line()
                return status_line, status, body, True
            chunk = reader.exactly(size + 2)
            if chunk is None:
                return status_line, status, body + b"", False
            body += chunk[:-2]
    if b"content-length" in headers:
        body = reader.exactly(int(headers[b"content-length"]))
        return status_line, status, body or b"", body is not None
    return status_line, status, reader.rest(), True


def send_case(host, port, case, timeout):
    deadline = time.monotonic() + (timeout if case.complete else min(timeout, PARTIAL_WAIT_SECONDS))
    try:
        sock = socket.create_connection((host, port), timeout=min(timeout, 5))
    except ConnectionRefusedError:
        return Result("refused")
    except OSError as error:
        return Result("refused", detail=str(error))
    try:
        sent_all = True
        try:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            sock.sendall(case.data)
            if not case.complete:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            sent_all = False                       # the server stopped reading: see what it said
        reader = Reader(sock, deadline)
        method = case.data.split(b" ", 1)[0]
        try:
            status_line, status, body, whole = read_response(reader, method)
        except TimeoutError:
            if case.complete and sent_all:
                return Result("hang", detail="no whole response within the timeout")
            return Result("closed", detail="no answer to a partial request")
        except ValueError as error:
            return Result("closed", detail=str(error))
        if status is None:
            return Result("closed", status_line or b"")
        result = Result(str(status), status_line, body)
        if not whole:
            result.detail = "response cut short"
        return result
    finally:
        sock.close()


# ----------------------------------------------------------------------------------------
# Health check at the end
# ----------------------------------------------------------------------------------------

def alive(api, describe, timeout):
    """Returns a list of problems (empty: both servers alive and answering)."""
    problems = []
    for name, (host, port) in (("api", api), ("describe", describe)):
        ep = Endpoint(name, "GET", "/health")
        r = send_case(host, port, Case("check", ep, request("GET", "/health")), timeout)
        if r.outcome != "200":
            problems.append(f"{name} GET /health -> {r.outcome} {r.detail}")
    ep = ENDPOINTS[0]
    r = send_case(api[0], api[1], Case("check", ep, request("POST", "/api/rag-llm/query",
                                                          json_body({"text_user_msg": "What is ITRI?"}))), timeout)
    if r.outcome != "200" or not r.body.rstrip().endswith(END_FLAG):
        problems.append(f"api POST /api/rag-llm/query -> {r.outcome} {r.detail} body={r.body[-120:]!r}")
    return problems


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------

def host_port(url):
    parsed = urllib.parse.urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"fuzz: only local servers may be fuzzed, not {url}")
    return parsed.hostname, parsed.port or 80


def preview(data):
    return repr(data[:PREVIEW_BYTES]) + (f" … ({len(data)} bytes in all)" if len(data) > PREVIEW_BYTES else "")


def describe_finding(index, case, result):
    got = result.status_line + b"\r\n\r\n" + result.body if result.status_line else b""
    return (f"  case {index}: {case.name} -> {case.endpoint!r}: {result.outcome} {result.detail}\n"
            f"    sent: {preview(case.data)}\n"
            f"    got:  {preview(got) if got else '(nothing)'}")


def run_one(args, targets, index):
    case = make_case(args.seed, index)
    host, port = targets[case.endpoint.target]
    started = time.monotonic()
    result = send_case(host, port, case, args.timeout)
    return index, case, result, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", required=True, help="the main server, e.g. http://127.0.0.1:5002")
    parser.add_argument("--describe", required=True, help="the description server, e.g. http://127.0.0.1:5003")
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds a complete request may take")
    parser.add_argument("--case", type=int, help="send only case N and show the exchange")
    args = parser.parse_args()
    targets = {"api": host_port(args.api), "describe": host_port(args.describe)}

    if args.case is not None:
        index, case, result, elapsed = run_one(args, targets, args.case)
        print(describe_finding(index, case, result))
        print(f"  ({elapsed:.2f}s)")
        return 0 if result.outcome not in ("hang", "refused") and not result.outcome.startswith("5") else 1

    counts = Counter()
    findings = []              # (index, case, result): 5xx and hangs
    bad_valid = []             # valid answer requests that did not end with END_FLAG
    counts_answers = [0]       # streamed answers read to END_FLAG
    first_refused = None
    done = 0
    started = time.monotonic()
    lock = threading.Lock()

    def record(future):
        nonlocal done, first_refused
        index, case, result, _ = future.result()
        with lock:
            done += 1
            counts[result.outcome] += 1
            if result.outcome == "hang" or result.outcome.startswith("5"):
                findings.append((index, case, result))
            if result.outcome == "refused" and (first_refused is None or index < first_refused):
                first_refused = index
            if result.outcome == "200" and result.body.rstrip().endswith(END_FLAG):
                counts_answers[0] += 1
            if case.valid_answer and (result.outcome != "200" or not result.body.rstrip().endswith(END_FLAG)):
                bad_valid.append((index, case, result))
            if done % 1000 == 0:
                print(f"  … {done} requests, {time.monotonic() - started:.0f}s", flush=True)

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for index in range(args.requests):
            pool.submit(run_one, args, targets, index).add_done_callback(record)

    elapsed = time.monotonic() - started
    print(f"fuzz: {done} requests in {elapsed:.1f}s (seed {args.seed}, concurrency {args.concurrency})")
    print("by status:")
    for outcome in sorted(counts, key=lambda o: (not o.isdigit(), o)):
        print(f"  {outcome}: {counts[outcome]}")
    print(f"answers streamed to END_FLAG: {counts_answers[0]}")
    five_xx = sum(n for o, n in counts.items() if o.startswith("5"))
    hangs = counts["hang"]
    print(f"5xx: {five_xx}")
    print(f"hangs: {hangs}")
    findings.sort(key=lambda f: f[0])
    if findings:
        print("first 5xx / hang cases (reproduce one with --case N):")
        for index, case, result in findings[:10]:
            print(describe_finding(index, case, result))
    if bad_valid:
        print(f"valid answer requests without a 200 ... END_FLAG answer: {len(bad_valid)}")
        for index, case, result in sorted(bad_valid, key=lambda f: f[0])[:5]:
            print(describe_finding(index, case, result))
    if first_refused is not None:
        print(f"connections refused from case {first_refused} on (a server died?); cases just before it:")
        for index in range(max(0, first_refused - args.concurrency), first_refused):
            case = make_case(args.seed, index)
            print(f"  case {index}: {case.name} -> {case.endpoint!r}: {preview(case.data)}")

    problems = alive(targets["api"], targets["describe"], args.timeout)
    for problem in problems:
        print(f"server check failed: {problem}")
    if not problems:
        print("servers alive: both /health 200, query ends with END_FLAG")
    failed = five_xx + hangs + (1 if problems else 0)
    passed = done - five_xx - hangs
    print(f"fuzz: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
