#!/usr/bin/env python3
"""A Kubernetes API server that authenticates bearer tokens the way EKS does, for mfa's tests.

    fake_eks_apiserver.py --cluster NAME --sts URL --dir DIR [--clock-offset SECS]

It serves HTTPS on 127.0.0.1 (a free port) with a self-signed certificate that `openssl req
-x509` makes in DIR at start, prints `listening on https://127.0.0.1:PORT`, and answers
`GET /version` and `GET /api/v1/namespaces` with 200 when the request carries a valid EKS
token, 401 otherwise. Each request is logged as one JSON line in DIR/requests.jsonl: path,
status, and why a token was refused.

A token is valid when, as aws-iam-authenticator's server checks it:
- it is `k8s-aws-v1.` + unpadded base64url of an https/http URL on the STS endpoint (--sts);
- the URL is `GET /?Action=GetCallerIdentity&Version=2011-06-15` presigned with SigV4
  (AWS4-HMAC-SHA256), `X-Amz-Expires` = 60, signed headers exactly `host;x-k8s-aws-id`;
- `X-Amz-Date` is at most 15 minutes old (and not in the future beyond a minute of skew);
- the signature, recomputed with THIS server's cluster name as `x-k8s-aws-id`, the SHA-256 of
  the empty body and the signer's secret key (looked up at the STS double's test-only
  `GET /__mfa/secret`), is the one in the URL;
- STS itself accepts the presigned call (sent to the double with the `x-k8s-aws-id` header,
  like EKS does): that checks the session token and its expiry, and names the caller.

Only the Python standard library is used.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "k8s-aws-v1."
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_AGE = 15 * 60


# Just enough discovery for `kubectl get nodes` and `kubectl get namespaces`.
DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
         "verbs": ["get", "list"], "shortNames": ["no"]},
        {"name": "namespaces", "singularName": "namespace", "namespaced": False,
         "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"]},
    ]},
    "/api/v1/nodes": {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": [
        {"metadata": {"name": "ip-10-0-1-23.eu-west-1.compute.internal",
                      "creationTimestamp": "2026-01-01T00:00:00Z"},
         "status": {"conditions": [{"type": "Ready", "status": "True"}],
                    "nodeInfo": {"kubeletVersion": "v1.32.0-eks-test"}}}]},
}


class Refused(Exception):
    pass


def uri_encode(text):
    return urllib.parse.quote(text, safe="-_.~")


def signing_key(secret, date, region, service):
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verify(token, cluster, sts_url, now):
    """Returns the caller's ARN, or raises Refused with the reason."""
    if not token.startswith(PREFIX):
        raise Refused("no k8s-aws-v1. prefix")
    encoded = token[len(PREFIX):]
    if "=" in encoded:
        raise Refused("padding in the base64url part")
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except Exception as e:  # noqa: BLE001 - any decoding failure refuses the token
        raise Refused(f"not base64url: {e}")
    parsed = urllib.parse.urlsplit(url)
    sts = urllib.parse.urlsplit(sts_url)
    if (parsed.scheme, parsed.netloc) != (sts.scheme, sts.netloc):
        raise Refused(f"not the STS endpoint: {parsed.scheme}://{parsed.netloc}")
    if parsed.path != "/":
        raise Refused(f"path {parsed.path!r}")
    pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True, strict_parsing=True)
    params = dict(pairs)
    if len(params) != len(pairs):
        raise Refused("a repeated query parameter")
    if params.get("Action") != "GetCallerIdentity" or params.get("Version") != "2011-06-15":
        raise Refused("not GetCallerIdentity")
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise Refused("not AWS4-HMAC-SHA256")
    if params.get("X-Amz-Expires") != "60":
        raise Refused(f"X-Amz-Expires is {params.get('X-Amz-Expires')!r}, not 60")
    if params.get("X-Amz-SignedHeaders") != "host;x-k8s-aws-id":
        raise Refused(f"signed headers {params.get('X-Amz-SignedHeaders')!r}")
    try:
        signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    except (KeyError, ValueError):
        raise Refused("no valid X-Amz-Date")
    age = now - signed_at.replace(tzinfo=datetime.timezone.utc).timestamp()
    if age > MAX_AGE or age < -60:
        raise Refused(f"X-Amz-Date is {int(age)} s old")
    try:
        key_id, date, region, service, terminator = params["X-Amz-Credential"].split("/")
    except (KeyError, ValueError):
        raise Refused("malformed X-Amz-Credential")
    if service != "sts" or terminator != "aws4_request" or date != params["X-Amz-Date"][:8]:
        raise Refused("credential scope is not sts")
    secret = lookup_secret(sts_url, key_id)

    query = sorted(
        (uri_encode(k), uri_encode(v)) for k, v in pairs if k != "X-Amz-Signature"
    )
    canonical = "\n".join(
        [
            "GET",
            "/",
            "&".join(f"{k}={v}" for k, v in query),
            f"host:{parsed.netloc}\nx-k8s-aws-id:{cluster}\n",
            "host;x-k8s-aws-id",
            EMPTY_SHA256,
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    expected = hmac.new(
        signing_key(secret, date, region, service), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
        raise Refused("signature does not match (wrong cluster, or tampered)")

    # Like EKS: let STS say who signed it (and that the session is alive).
    request = urllib.request.Request(url, headers={"x-k8s-aws-id": cluster})
    try:
        with OPENER.open(request, timeout=5) as answer:
            body = answer.read().decode()
    except urllib.error.HTTPError as e:
        raise Refused(f"STS refused the call: {e.code}")
    start, end = body.find("<Arn>"), body.find("</Arn>")
    if start < 0 or end < 0:
        raise Refused("STS named no caller")
    return body[start + len("<Arn>"):end]


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def lookup_secret(sts_url, key_id):
    query = urllib.parse.urlencode({"access_key_id": key_id})
    try:
        with OPENER.open(f"{sts_url}/__mfa/secret?{query}", timeout=5) as answer:
            return json.load(answer)["secret_access_key"]
    except urllib.error.HTTPError:
        raise Refused("unknown access key id")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--sts", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--clock-offset", type=int, default=0)
    args = parser.parse_args()

    cert, key = os.path.join(args.dir, "cert.pem"), os.path.join(args.dir, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    log_path = os.path.join(args.dir, "requests.jsonl")
    log_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def answer(self, status, value):
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            entry = {"path": self.path}
            auth = self.headers.get("Authorization", "")
            try:
                if not auth.startswith("Bearer "):
                    raise Refused("no bearer token")
                now = datetime.datetime.now(datetime.timezone.utc).timestamp()
                entry["arn"] = verify(auth[len("Bearer "):], args.cluster, args.sts,
                                      now + args.clock_offset)
            except Refused as e:
                entry["refused"] = str(e)
            if "refused" in entry:
                status, value = 401, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                      "status": "Failure", "message": "Unauthorized",
                                      "reason": "Unauthorized", "code": 401}
            elif self.path.split("?")[0] in DISCOVERY:
                status, value = 200, DISCOVERY[self.path.split("?")[0]]
            elif self.path.split("?")[0] == "/version":
                status, value = 200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-eks-test",
                                      "platform": "linux/amd64"}
            elif self.path.split("?")[0] == "/api/v1/namespaces":
                status, value = 200, {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {},
                                      "items": [{"metadata": {"name": "default"}},
                                                {"metadata": {"name": "kube-system"}}]}
            else:
                status, value = 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                      "reason": "NotFound", "code": 404}
            entry["status"] = status
            with log_lock, open(log_path, "a") as log:
                log.write(json.dumps(entry) + "\n")
            self.answer(status, value)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on https://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
