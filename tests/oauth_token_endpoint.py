#!/usr/bin/env python3
"""The identity provider of the OAUTHBEARER e2e tests: an OAuth 2 token endpoint (RFC 6749 4.4,
client-credentials grant) on 127.0.0.1, the way Keycloak or Okta answer Kafka's
OAuthBearerLoginCallbackHandler. The broker under test is real Kafka; only the IdP is this script.

Tokens are unsecured JWTs (alg "none"), which the test broker's default OAUTHBEARER validator
(OAuthBearerUnsecuredValidatorCallbackHandler) accepts; their `sub` is the client id.

Usage: oauth_token_endpoint.py --port-file F --client-id ID --client-secret S --lifetime SECONDS [--signed]
Writes the port it listens on to F, then one line per token request to stdout:
"issued <token>" or "refused <reason>".
"""

import argparse
import base64
import json
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--lifetime", type=int, default=3600)
    ap.add_argument("--signed", action="store_true",
                    help="grant tokens that claim an HS256 signature, which the broker's unsecured validator refuses")
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):  # keep stdout for the issued/refused lines
            pass

        def answer(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def refuse(self, code: int, error: str, why: str) -> None:
            print(f"refused {why}", flush=True)
            self.answer(code, {"error": error, "error_description": why})

        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            if form.get("grant_type") != ["client_credentials"]:
                return self.refuse(400, "unsupported_grant_type", f"grant_type {form.get('grant_type')}")
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return self.refuse(401, "invalid_client", "no Basic authorization")
            pair = base64.b64decode(auth[len("Basic "):]).decode()
            cid, _, secret = pair.partition(":")
            cid, secret = urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
            if cid != args.client_id or secret != args.client_secret:
                return self.refuse(401, "invalid_client", f"client authentication failed for {cid}")
            now = int(time.time())
            claims = {"sub": cid, "iat": now, "exp": now + args.lifetime}
            if "scope" in form:
                claims["scope"] = form["scope"][0]
            header, signature = (b'{"alg":"HS256"}', b64url(b"not-a-signature")) if args.signed else (b'{"alg":"none"}', "")
            token = ".".join([b64url(header), b64url(json.dumps(claims).encode()), signature])
            print(f"issued {token}", flush=True)
            self.answer(200, {"access_token": token, "token_type": "bearer", "expires_in": args.lifetime})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))

    os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
