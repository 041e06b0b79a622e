#!/usr/bin/env python3
"""Stand-in OCSP responder for developing freeradius_test.sh only.

`openssl ocsp -port` binds every interface, so this serves HTTP on
127.0.0.1 and answers each POST with one `openssl ocsp -index ... -reqin`
run: the index is read afresh per request (a revocation shows at once) and
openssl copies the request's nonce into the signed response.

usage: standin_responder.py PORT INDEX CA_PEM SIGNER_PEM SIGNER_KEY
"""
import http.server
import subprocess
import sys

PORT, INDEX, CA, SIGNER, KEY = sys.argv[1:6]
# id-pkix-ocsp-nonce (1.3.6.1.5.5.7.48.1.2) as a DER OID.
NONCE_OID = bytes.fromhex("06092b0601050507300102")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        der = self.rfile.read(length)
        # The harness checks that use_nonce really changes what is sent.
        sys.stderr.write("request nonce=%s\n" % ("yes" if NONCE_OID in der else "no"))
        sys.stderr.flush()
        run = subprocess.run(
            ["openssl", "ocsp", "-index", INDEX, "-CA", CA, "-rsigner", SIGNER,
             "-rkey", KEY, "-ndays", "1", "-reqin", "/dev/stdin",
             "-respout", "/dev/stdout"],
            input=der, capture_output=True, check=False)
        if run.returncode != 0 or not run.stdout:
            self.send_error(500, "openssl ocsp failed")
            sys.stderr.write(run.stderr.decode(errors="replace"))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(run.stdout)))
        self.end_headers()
        self.wfile.write(run.stdout)

    def do_GET(self):
        self.send_error(404 if self.path != "/healthz" else 200)


http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
