#!/usr/bin/env python3
"""Local stand-in for an http-json device directory (docs/directory.md).

Serves GET /devices from a JSON file the test rewrites:
    {"devices": [{"id": "...", "enabled": true, "deleted": false}, ...]}
as pages of --page-size devices, each page pointing to the next with "next"
(an absolute URL, null on the last page), with an ETag over the whole file
and 304 for a matching If-None-Match. With --token-file every request must
carry "Authorization: Bearer <token>". Every request is logged to stderr.
Binds 127.0.0.1 only. Standard library only.
"""
import argparse
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--page-size", type=int, default=2)
    ap.add_argument("--token-file")
    args = ap.parse_args()
    token = None
    if args.token_file:
        with open(args.token_file) as f:
            token = f.read().strip()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def send(self, code, body=b"", headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path != "/devices":
                return self.send(404)
            if token is not None and self.headers.get("Authorization") != "Bearer " + token:
                return self.send(401, b'{"error":"unauthorized"}')
            with open(args.file, "rb") as f:
                raw = f.read()
            etag = '"' + hashlib.sha256(raw).hexdigest()[:16] + '"'
            page = int(parse_qs(url.query).get("page", ["0"])[0])
            if page == 0 and self.headers.get("If-None-Match") == etag:
                return self.send(304, b"", [("ETag", etag)])
            devices = json.loads(raw)["devices"]
            size = args.page_size
            chunk = devices[page * size:(page + 1) * size]
            more = (page + 1) * size < len(devices)
            nxt = "http://127.0.0.1:%d/devices?page=%d" % (args.port, page + 1) if more else None
            body = json.dumps({"devices": chunk, "next": nxt}).encode()
            self.send(200, body, [("Content-Type", "application/json"), ("ETag", etag)])

        def log_message(self, fmt, *a):
            sys.stderr.write("standin: " + (fmt % a) + "\n")

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
