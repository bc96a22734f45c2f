"""schemathesis hooks for the `live-tokens` pass of .ci/judges.

Generated requests of a stateful API are nearly all refused: a random state token, code or
captcha token is unknown to the emulator, so only the error answers get checked. In this
pass every request first gets live values from the emulator (a new user of the right kind,
a real state or session token, the e-mailed code, a solved captcha), so that the success
answers of every operation are checked against the spec as well. Generated values stay
where the service does not care (optional headers, `X-L`, the captcha `sender`...).

Setup goes through the spec's own calls where it can (login, captcha, sms send), and
through the emulator-only admin routes (`/_emulator/...`) only for what a real service
does out of band: creating users, reading the outbox, reading a captcha's answer.

Environment: JUDGES_BASE_URL (the emulator), JUDGES_CLIENT_ID (a client id it knows),
JUDGES_TALLY (a file: one `METHOD path status` line is appended per checked answer).
"""

import json
import os
import random
import string
import threading
import uuid

import requests
import schemathesis

BASE_URL = os.environ["JUDGES_BASE_URL"]
CLIENT_ID = os.environ["JUDGES_CLIENT_ID"]
TALLY = os.environ["JUDGES_TALLY"]

DEVICE = {
    "X-operating-sys-version": "judges",
    "X-device-fingerprint": "judges-fingerprint",
    "X-agent": "schemathesis",
    "X-client-id": CLIENT_ID,
}
REQUIRED_DEVICE_HEADERS = list(DEVICE)

# Hypothesis re-seeds the global `random` for every example (for replays), so values drawn
# from it repeat across examples: two users would get the same mobile number. Setup values
# come from the system's generator instead.
_rng = random.SystemRandom()
_session = requests.Session()
_session.trust_env = False  # loopback: no proxies
_tally_lock = threading.Lock()


class SetupError(Exception):
    """A setup call did not answer as the emulator documents."""


def _call(method, path, expect, headers=None, body=None):
    response = _session.request(
        method,
        BASE_URL + path,
        headers={**DEVICE, **(headers or {})},
        json=body,
        timeout=10,
    )
    if response.status_code != expect:
        raise SetupError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
    return response.json() if response.content else None


def _password():
    """A password the default policy accepts, different every time."""
    tail = "".join(_rng.choices(string.ascii_letters + string.digits, k=8))
    return f"Jd-{tail}9a!"


def _user(expiry="expired", **flags):
    """A new user of the emulator: its name, password, e-mail and mobile number."""
    name = "judge-" + uuid.uuid4().hex[:16]
    user = {
        "user_name": name,
        "password": _password(),
        "email": f"{name}@example.com",
        "mobile": "+86-1" + "".join(_rng.choices(string.digits, k=10)),
        "expiry": expiry,
        **flags,
    }
    _call("POST", "/_emulator/users", 201, body=user)
    return user


def _login(user):
    return _call(
        "POST",
        "/api/v2/sdk/login",
        200,
        body={"user_name": user["user_name"], "password": user["password"]},
    )


def _state_token(expiry="expired"):
    user = _user(expiry)
    answer = _login(user)
    return user, answer["state_token"]


def _captcha_token(sender):
    """A solved captcha for `sender`, through the spec's captcha calls."""
    token = _call("GET", "/api/v2/sdk/captcha", 200)["token"]
    x = _call("GET", f"/_emulator/captcha/{token}", 200)["x"]
    point = json.dumps({"x": float(x), "y": 5.0}, separators=(",", ":"))
    answer = _call(
        "POST",
        "/api/v2/sdk/captcha/verify",
        200,
        body={"point_json": point, "token": token, "sender": sender},
    )
    return answer["captcha_token"]


def _latest_code(to, code_type):
    messages = _call("GET", f"/_emulator/outbox?to={requests.utils.quote(to)}", 200)
    codes = [m["code"] for m in messages if m["type"] == code_type]
    if not codes:
        raise SetupError(f"no {code_type} code in the outbox for {to}")
    return codes[-1]


def _body(case):
    return dict(case.body) if isinstance(case.body, dict) else {}


def _live(case):
    """Puts live values into `case` for its operation."""
    op = f"{case.operation.method.upper()} {case.operation.path}"
    headers = case.headers
    body = _body(case)
    if op == "POST /api/v2/sdk/login":
        kind = _rng.choice(["fresh", "expiring", "expired", "mfa", "access_denied"])
        if kind in ("mfa", "access_denied"):
            user = _user("fresh", **{kind: True})
        else:
            user = _user(kind)
        body.update(user_name=user["user_name"], password=user["password"])
    elif op == "POST /api/v2/sdk/captcha/verify":
        token = _call("GET", "/api/v2/sdk/captcha", 200)["token"]
        x = _call("GET", f"/_emulator/captcha/{token}", 200)["x"]
        body.update(point_json=json.dumps({"x": x, "y": 5.0}), token=token)
        # A generated `sender` stays, unless blank: the vendor refuses blank required values
        # (`SDK.COMMON.1001`, B:returncode.html), which the schema does not express.
        if not isinstance(body.get("sender"), str) or not body["sender"].strip():
            body["sender"] = "judge@example.com"
    elif op == "POST /api/v2/sdk/email/send":
        user = _user()
        body.update(
            email=user["email"],
            type=_rng.choice(["CHANGE_PWD_EMS", "LOGIN_EMS", "FORGET_PWD_EMS"]),
            captcha_token=_captcha_token(user["email"]),
        )
    elif op == "POST /api/v2/sdk/sms/send":
        user = _user()
        body.update(
            mobile=_rng.choice([user["mobile"], user["mobile"].split("-", 1)[1]]),
            type=_rng.choice(["CHANGE_PWD_SMS", "LOGIN_SMS", "FORGET_PWD_SMS"]),
            captcha_token=_captcha_token(user["mobile"]),
        )
    elif op == "GET /api/v2/sdk/mobile-by-token":
        headers["X-state-token"] = _state_token(_rng.choice(["expired", "expiring"]))[1]
    elif op == "POST /api/v2/sdk/pwd/update":
        user, token = _state_token(_rng.choice(["expired", "expiring"]))
        headers["X-state-token"] = token
        body.update(old_password=user["password"], new_password=_password())
    elif op == "POST /api/v2/sdk/after-login/pwd/update-by-email":
        user, token = _state_token()
        headers["X-state-token"] = token
        _call("POST", f"/_emulator/users/{user['user_name']}/send-code", 204)
        code = _latest_code(user["email"], "CHANGE_PWD_EMS")
        body.update(verify_code=code, new_password=_password())
    elif op == "POST /api/v2/sdk/after-login/pwd/update-by-mobile":
        user, token = _state_token()
        headers["X-state-token"] = token
        _call(
            "POST",
            "/api/v2/sdk/sms/send",
            200,
            body={
                "mobile": user["mobile"],
                "type": "CHANGE_PWD_SMS",
                "captcha_token": _captcha_token(user["mobile"]),
            },
        )
        code = _latest_code(user["mobile"], "CHANGE_PWD_SMS")
        body.update(verify_code=code, new_password=_password())
    elif op == "GET /api/v2/sdk/pwd/skip-update":
        headers["X-state-token"] = _state_token("expiring")[1]
    elif op == "POST /api/v2/sdk/sso/session-token/id-token":
        headers["X-session-token"] = _login(_user("fresh"))["session_token"]
    if case.body is not None or body:
        case.body = body


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.headers is None:
        case.headers = {}
    # The emulator's client id, and no blank device header: each would stop the request at
    # the first check (a blank required value is refused with `SDK.COMMON.1001`, which the
    # schema does not express).
    case.headers["X-client-id"] = CLIENT_ID
    for name in REQUIRED_DEVICE_HEADERS:
        value = case.headers.get(name)
        if not isinstance(value, str) or not value.strip():
            case.headers[name] = DEVICE[name]
    _live(case)


@schemathesis.hook
def after_call(context, case, response):
    line = f"{case.operation.method.upper()} {case.operation.path} {response.status_code}\n"
    with _tally_lock, open(TALLY, "a", encoding="utf-8") as tally:
        tally.write(line)
