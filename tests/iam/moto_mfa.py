#!/usr/bin/env python3
"""moto with MFA codes checked: IAM and STS on 127.0.0.1 for `mfa register` tests.

moto runs in this process (its WSGI application, so its IAM backend is at hand). moto accepts
any EnableMFADevice codes and never checks a GetSessionToken/AssumeRole code; this wrapper checks
them, before moto sees the request, against the seed moto's IAM backend created for the device
(or the seed given with --hardware SERIAL=BASE32 for a physical token):

- EnableMFADevice: AuthenticationCode1 and AuthenticationCode2 must be the codes of two
  consecutive time steps near now; both steps are then spent.
- GetSessionToken / AssumeRole with TokenCode: the SerialNumber must be an enabled device and
  the code one of a step near now that is newer than every step spent for that device (AWS
  refuses a code used once, the registration's included).

It never reads anything from the card under test: seeds come from moto only.

Control (plain HTTP, not signed), for the tests:
  POST /__mfa/reject-enable        the next EnableMFADevice is refused (InvalidAuthenticationCode)
  POST /__mfa/lose-enable-reply    the next EnableMFADevice is done, then its connection closed
  POST /__mfa/outage?after=ACTION  after answering ACTION, close every AWS request unanswered
  POST /__mfa/outage-off           answer again
  POST /__mfa/leftover?name=NAME   a virtual device NAME assigned to nobody (an earlier attempt's)
  GET  /__mfa/state                JSON: virtual devices (serial, enabled user), checks, refusals,
                                   and every seed created (for tests that look for leaks)

Start: moto_mfa.py [--hardware SERIAL=BASE32]…  It creates the IAM user alice with an access key,
then prints one JSON line {"url", "access_key_id", "secret_access_key", "account"} and serves
until killed.
"""

import base64
import hashlib
import hmac
import io
import json
import logging
import struct
import sys
import threading
import time
import urllib.parse

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

ACCOUNT = DEFAULT_ACCOUNT_ID
STEP = 30

LOCK = threading.Lock()
STATE = {
    "reject_enable": 0,
    "lose_enable_reply": 0,
    "outage_after": None,
    "outage": False,
    "spent": {},  # serial -> last spent step
    "hardware": {},  # serial -> base32 seed
    "checked": [],  # [action, serial, outcome]
    "seeds": [],  # every seed moto created, so tests can look for it where it must not be
}


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32.upper() + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1_000_000)


def backend():
    return iam_backends[ACCOUNT]["aws"]


def seed_of(serial):
    if serial in STATE["hardware"]:
        return STATE["hardware"][serial]
    device = backend().virtual_mfa_devices.get(serial)
    return device.base32_string_seed if device else None


def enabled(serial):
    for user in backend().users.values():
        if serial in user.mfa_devices:
            return True
    return False


def step_of(seed, code, now):
    current = now // STEP
    for step in range(current - 2, current + 2):
        if hmac.compare_digest(totp(seed, step), code or ""):
            return step
    return None


def error(status, code, message, sts):
    ns = "https://sts.amazonaws.com/doc/2011-06-15/" if sts else "https://iam.amazonaws.com/doc/2010-05-08/"
    body = (
        f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>mfa-wrapper</RequestId></ErrorResponse>"
    ).encode()
    return status, body


def check(action, params):
    """None to pass the request to moto, or (status, body) to answer it ourselves."""
    now = int(time.time())
    if action == "EnableMFADevice":
        serial = params.get("SerialNumber", "")
        if STATE["reject_enable"] > 0:
            STATE["reject_enable"] -= 1
            STATE["checked"].append([action, serial, "rejected on request"])
            return error(400, "InvalidAuthenticationCode", "Authentication code for device is not valid.", False)
        seed = seed_of(serial)
        if seed is None:
            STATE["checked"].append([action, serial, "no such device"])
            return error(404, "NoSuchEntity", f"MFA device {serial} does not exist.", False)
        first = step_of(seed, params.get("AuthenticationCode1"), now)
        second = step_of(seed, params.get("AuthenticationCode2"), now)
        if first is None or second != first + 1 or first <= STATE["spent"].get(serial, -1):
            STATE["checked"].append([action, serial, "invalid codes"])
            return error(400, "InvalidAuthenticationCode", "Authentication code for device is not valid.", False)
        STATE["spent"][serial] = second
        STATE["checked"].append([action, serial, "ok"])
        return None
    if action in ("GetSessionToken", "AssumeRole") and "TokenCode" in params:
        serial = params.get("SerialNumber", "")
        seed = seed_of(serial)
        if seed is None or not enabled(serial):
            STATE["checked"].append([action, serial, "unknown serial"])
            return error(
                403,
                "AccessDenied",
                "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your "
                "MFA serial number is valid and associated with this user.",
                True,
            )
        step = step_of(seed, params["TokenCode"], now)
        if step is None or step <= STATE["spent"].get(serial, -1):
            STATE["checked"].append([action, serial, "reused" if step is not None else "invalid code"])
            return error(
                403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. ", True
            )
        STATE["spent"][serial] = step
        STATE["checked"].append([action, serial, "ok"])
        return None
    return None


def state():
    devices = []
    for serial, device in backend().virtual_mfa_devices.items():
        devices.append({"serial": serial, "user": device.user.name if device.user else None})
    users = {name: sorted(user.mfa_devices) for name, user in backend().users.items()}
    return {
        "virtual_devices": devices,
        "user_devices": users,
        "checked": STATE["checked"],
        "outage": STATE["outage"],
        "seeds": STATE["seeds"],
    }


class Wrapper:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__mfa/"):
            return self.control(path, environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        params.update(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        action = params.get("Action", "")
        with LOCK:
            answer = check(action, params)
            lose = False
            if action == "EnableMFADevice" and answer is None and STATE["lose_enable_reply"] > 0:
                STATE["lose_enable_reply"] -= 1
                lose = True
        if answer is not None:
            status, payload = answer
            start_response(f"{status} Error", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
            return [payload]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        result = self.app(environ, start_response)
        with LOCK:
            if action == "CreateVirtualMFADevice":
                name = params.get("VirtualMFADeviceName", "")
                seed = seed_of(f"arn:aws:iam::{ACCOUNT}:mfa/{name}")
                if seed and seed not in STATE["seeds"]:
                    STATE["seeds"].append(seed)
            if STATE["outage_after"] == action:
                STATE["outage"] = True
                STATE["outage_after"] = None
        if lose:
            list(result)
            environ["mfa.lose_reply"]()
            return []
        return result

    def control(self, path, environ, start_response):
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        with LOCK:
            if path == "/__mfa/reject-enable":
                STATE["reject_enable"] += 1
            elif path == "/__mfa/lose-enable-reply":
                STATE["lose_enable_reply"] += 1
            elif path == "/__mfa/outage":
                STATE["outage_after"] = query.get("after")
                STATE["outage"] = query.get("after") is None
            elif path == "/__mfa/leftover":
                backend().create_virtual_mfa_device(query.get("name", ""), "/")
            elif path == "/__mfa/outage-off":
                STATE["outage"] = False
                STATE["outage_after"] = None
            payload = json.dumps(state()).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]


class Handler(MotoRequestHandler):
    def parse_request(self):
        if not super().parse_request():
            return False
        with LOCK:
            outage = STATE["outage"]
        if outage and not self.path.startswith("/__mfa/"):
            # The network is down: the connection closes with no answer.
            self.close_connection = True
            return False
        return True

    def make_environ(self):
        environ = super().make_environ()

        def lose_reply():
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            raise ConnectionAbortedError("reply lost on request")

        environ["mfa.lose_reply"] = lose_reply
        return environ

    def log_message(self, *args):
        pass


def main():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    for argument in sys.argv[1:]:
        if argument.startswith("--hardware="):
            serial, _, seed = argument[len("--hardware=") :].partition("=")
            STATE["hardware"][serial] = seed
    app = Wrapper(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Handler)
    url = f"http://127.0.0.1:{server.server_port}"
    iam = backend()
    iam.create_user(region_name="us-east-1", user_name="alice", path="/", tags=[])
    key = iam.create_access_key(user_name="alice", prefix="AKIA", status="Active")
    print(
        json.dumps(
            {
                "url": url,
                "access_key_id": key.access_key_id,
                "secret_access_key": key.secret_access_key,
                "account": ACCOUNT,
            }
        ),
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
