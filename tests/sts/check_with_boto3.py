#!/usr/bin/env python3
"""Independent client check of the STS double (fake-sts) with boto3/botocore.

Run from the repository root after `cargo build -p mfa-sts`:

    .bench/venv/bin/python tests/sts/check_with_boto3.py

Starts target/debug/fake-sts on a free loopback port with a temporary config, drives it with
boto3's STS client (GetSessionToken with a code computed here, a reused code, a wrong serial,
AssumeRole from the session, the role-chaining limit, GetCallerIdentity signed and presigned,
and an injected Throttling fault with retries disabled), kills the server by PID, and exits
non-zero if any check failed.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# Keep the developer's AWS files and environment out of the client.
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
             "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"):
    os.environ.pop(name, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BINARY = TARGET / "debug" / "fake-sts"

ACCOUNT = "123456789012"
KEY_ID = "AKIABOTO3CHECK000001"
SECRET = "boto3-check-secret-not-real-0000000000000"
SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
OTHER_SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/mallory"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/admin"
INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
WRONG_SERIAL = ("MultiFactorAuthentication failed, unable to validate MFA code. Please verify "
                "your MFA serial number is valid and associated with this user.")
CHAINING = ("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining.")


def totp(seed_base32: str, unix_time: float, digits: int = 6, period: int = 30) -> str:
    """RFC 6238 with HMAC-SHA1, written independently of the Rust implementation."""
    key = base64.b32decode(seed_base32 + "=" * (-len(seed_base32) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(unix_time) // period), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")

    def expect_error(self, name, call, code, message=None, status=None):
        try:
            call()
        except ClientError as err:
            error = err.response.get("Error", {})
            meta = err.response.get("ResponseMetadata", {})
            ok = (error.get("Code") == code
                  and (message is None or error.get("Message") == message)
                  and (status is None or meta.get("HTTPStatusCode") == status)
                  and bool(meta.get("RequestId")))
            self.check(name, ok, repr(err.response))
            return
        except Exception as err:  # noqa: BLE001 - report anything else as a failure
            self.check(name, False, f"unexpected {type(err).__name__}: {err}")
            return
        self.check(name, False, "no error raised")


def control(url, method, path):
    request = urllib.request.Request(url + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def start_server(config_path):
    process = subprocess.Popen(
        [str(BINARY), "--listen", "127.0.0.1:0", "--config", config_path],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    prefix = "listening on "
    if not line.startswith(prefix):
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        sys.exit(f"fake-sts did not start (first line: {line!r})")
    return process, line[len(prefix):]


def sts(url, key_id, secret, token=None):
    return boto3.session.Session().client(
        "sts", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def run(url, seed, checks):
    long_term = sts(url, KEY_ID, SECRET)
    now = time.time()
    code = totp(seed, now)

    result = long_term.get_session_token(SerialNumber=SERIAL, TokenCode=code, DurationSeconds=3600)
    creds = result["Credentials"]
    checks.check("GetSessionToken with a correct code",
                 creds["AccessKeyId"].startswith("ASIA") and len(creds["SecretAccessKey"]) == 40
                 and creds["SessionToken"], repr(result))
    remaining = creds["Expiration"].timestamp() - now
    checks.check("session expires in DurationSeconds", 3590 < remaining < 3610, str(remaining))
    checks.check("x-amzn-RequestId header",
                 bool(result["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid")))

    checks.expect_error(
        "reused code is refused", lambda: long_term.get_session_token(
            SerialNumber=SERIAL, TokenCode=code), "AccessDenied", INVALID_CODE, 403)
    checks.expect_error(
        "wrong serial is refused", lambda: long_term.get_session_token(
            SerialNumber=OTHER_SERIAL, TokenCode=totp(seed, now + 30)), "AccessDenied",
        WRONG_SERIAL, 403)
    checks.expect_error(
        "non-digit code is a server-side validation error", lambda: long_term.get_session_token(
            SerialNumber=SERIAL, TokenCode="12a456"), "ValidationError", None, 400)

    session = sts(url, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    identity = session.get_caller_identity()
    checks.check("GetCallerIdentity of the session",
                 identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
                 and identity["Account"] == ACCOUNT and identity["UserId"].startswith("AIDA"),
                 repr(identity))

    role = session.assume_role(RoleArn=ROLE, RoleSessionName="boto3-check")
    checks.check("AssumeRole from the MFA session",
                 role["AssumedRoleUser"]["Arn"]
                 == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/boto3-check"
                 and role["AssumedRoleUser"]["AssumedRoleId"].endswith(":boto3-check")
                 and role["Credentials"]["AccessKeyId"].startswith("ASIA"), repr(role))
    checks.expect_error(
        "role chaining limit", lambda: session.assume_role(
            RoleArn=ROLE, RoleSessionName="too-long", DurationSeconds=7200),
        "ValidationError", CHAINING, 400)

    role_creds = role["Credentials"]
    as_role = sts(url, role_creds["AccessKeyId"], role_creds["SecretAccessKey"],
                  role_creds["SessionToken"])
    identity = as_role.get_caller_identity()
    checks.check("GetCallerIdentity of the role session",
                 identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/boto3-check",
                 repr(identity))

    presigned = as_role.generate_presigned_url("get_caller_identity", ExpiresIn=60)
    with urllib.request.urlopen(presigned, timeout=10) as response:
        body = response.read().decode()
    checks.check("presigned GetCallerIdentity URL",
                 "<Arn>arn:aws:sts::123456789012:assumed-role/admin/boto3-check</Arn>" in body,
                 body)

    checks.expect_error(
        "unknown access key", lambda: sts(url, "AKIAUNKNOWN000000000", SECRET)
        .get_caller_identity(), "InvalidClientTokenId",
        "The security token included in the request is invalid.", 403)

    before = control(url, "GET", "/__mfa/stats")["requests"]
    control(url, "POST", "/__mfa/fault?kind=throttling&times=1")
    checks.expect_error("injected Throttling", long_term.get_caller_identity,
                        "Throttling", "Rate exceeded", 400)
    after = control(url, "GET", "/__mfa/stats")
    checks.check("no retry with total_max_attempts=1", after["requests"] == before + 1, repr(after))
    checks.check("after the fault, calls succeed again",
                 long_term.get_caller_identity()["Account"] == ACCOUNT)
    checks.check("MFA calls counted at the server", after["mfa_calls"] == 4, repr(after))


def main():
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: run `cargo build -p mfa-sts` first")
    seed = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    config = {
        "users": [{"name": "alice", "account": ACCOUNT, "access_key_id": KEY_ID,
                   "secret_access_key": SECRET, "mfa": {"serial": SERIAL, "seed_base32": seed}}],
        "roles": [{"arn": ROLE, "require_mfa": True, "max_duration": 43200}],
    }
    checks = Checks()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        config_path = os.path.join(tmp, "config.json")
        with open(config_path, "w") as file:
            json.dump(config, file)
        process, url = start_server(config_path)
        try:
            run(url, seed, checks)
        except Exception as err:  # noqa: BLE001
            checks.check("no unexpected exception", False, f"{type(err).__name__}: {err}")
        finally:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
            process.stdout.close()
    print(f"boto3 check took {time.monotonic() - started:.2f} s")
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
