"""Password guessing, user enumeration and login floods (issue 7 §1).

- Keystone's lockout: ``[security_compliance] lockout_failure_attempts`` failed password checks
  in a row lock a user for ``lockout_duration`` seconds (401 "The account is locked for user:
  <id>."), a success resets the count, an admin unlocks by setting ``enabled`` or a password.
- Unknown users, domains and credentials cost one bcrypt check of the configured cost, like a
  wrong password of a real user (asserted by counting checks, never by timing).
- Unauthenticated hashing goes through a bounded gate; when it is full the answer is 503 with
  ``Retry-After`` while token-authenticated requests keep being served.

Most tests run with a lockout of 3 attempts (``cloud_config`` parametrised indirectly).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.common import clock
from stratus.common.config import Config
from stratus.identity import password_gate, passwords
from tests.fixtures.cloud import Cloud, make_config
from tests.fixtures.waiting import scaled, wait_until
from tests.functional.identity.helpers import create

LOCKED = "The account is locked for user: {}."
GENERIC = "The request you have made requires authentication."
SMALL = {"lockout_failure_attempts": 3, "lockout_duration": 600}


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str, request: pytest.FixtureRequest) -> Config:
    values: dict[str, Any] = getattr(request, "param", SMALL)
    return make_config(tmp_path / "state", db_url, security_compliance=values)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield
    clock.reset()


def _with(values: dict[str, Any]) -> Any:
    return pytest.mark.parametrize("cloud_config", [values], indirect=True, ids=["cfg"])


def _user(cloud: Cloud, password: str = "right-pass", **extra: Any) -> str:
    body = {"name": f"u-{uuid.uuid4().hex[:8]}", "password": password, **extra}
    user_id: str = create(cloud, "user", body)["id"]
    return user_id


def _login(cloud: Cloud, user: dict[str, Any]) -> httpx.Response:
    auth = {"identity": {"methods": ["password"], "password": {"user": user}}}
    return cloud.identity.post("/v3/auth/tokens?nocatalog", json={"auth": auth})


def _by_id(cloud: Cloud, user_id: str, password: str) -> httpx.Response:
    return _login(cloud, {"id": user_id, "password": password})


def _message(r: httpx.Response) -> str:
    message: str = r.json()["error"]["message"]
    return message


def _fail(cloud: Cloud, user_id: str, times: int) -> None:
    for _ in range(times):
        r = _by_id(cloud, user_id, "wrong-pass")
        assert r.status_code == 401 and _message(r) == GENERIC, r.text


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The hash every bcrypt check of the process compares against, in order."""
    seen: list[bytes] = []
    real = passwords.bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        seen.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting)
    return seen


# -- lockout --------------------------------------------------------------------------------------
def test_locked_after_failures_right_password_refused_without_hashing(
    cloud: Cloud, checks: list[bytes]
) -> None:
    user_id = _user(cloud)
    _fail(cloud, user_id, 3)
    checks.clear()
    r = _by_id(cloud, user_id, "right-pass")
    assert r.status_code == 401 and _message(r) == LOCKED.format(user_id), r.text
    assert r.json()["error"]["title"] == "Unauthorized"
    # NOTE: like Keystone, a locked user is refused before the password is checked.
    assert checks == []


def test_lock_expires_after_duration_and_count_starts_over(cloud: Cloud) -> None:
    user_id = _user(cloud)
    _fail(cloud, user_id, 3)
    clock.advance(599)
    assert _message(_by_id(cloud, user_id, "right-pass")) == LOCKED.format(user_id)
    clock.advance(2)
    _fail(cloud, user_id, 1)
    assert _by_id(cloud, user_id, "right-pass").status_code == 201


def test_success_resets_the_count(cloud: Cloud) -> None:
    user_id = _user(cloud)
    _fail(cloud, user_id, 2)
    assert _by_id(cloud, user_id, "right-pass").status_code == 201
    _fail(cloud, user_id, 2)
    assert _by_id(cloud, user_id, "right-pass").status_code == 201
    _fail(cloud, user_id, 3)
    assert _message(_by_id(cloud, user_id, "right-pass")) == LOCKED.format(user_id)


def test_admin_unlocks_by_setting_enabled(cloud: Cloud) -> None:
    user_id = _user(cloud)
    _fail(cloud, user_id, 3)
    assert _message(_by_id(cloud, user_id, "right-pass")) == LOCKED.format(user_id)
    r = cloud.identity.patch(
        f"/v3/users/{user_id}", json={"user": {"enabled": True}}, headers=cloud.admin_headers()
    )
    assert r.status_code == 200, r.text
    assert _by_id(cloud, user_id, "right-pass").status_code == 201


def test_admin_password_reset_unlocks(cloud: Cloud) -> None:
    user_id = _user(cloud)
    _fail(cloud, user_id, 3)
    assert _message(_by_id(cloud, user_id, "right-pass")) == LOCKED.format(user_id)
    r = cloud.identity.patch(
        f"/v3/users/{user_id}",
        json={"user": {"password": "new-pass"}},
        headers=cloud.admin_headers(),
    )
    assert r.status_code == 200, r.text
    assert _by_id(cloud, user_id, "new-pass").status_code == 201


def test_self_service_password_change_counts_and_respects_the_lock(cloud: Cloud) -> None:
    user_id = _user(cloud)

    def change(original: str) -> httpx.Response:
        body = {"user": {"original_password": original, "password": "other-pass"}}
        return cloud.identity.post(f"/v3/users/{user_id}/password", json=body)

    for _ in range(3):
        assert change("wrong-pass").status_code == 401
    r = change("right-pass")
    assert r.status_code == 401 and _message(r) == LOCKED.format(user_id), r.text
    assert _message(_by_id(cloud, user_id, "right-pass")) == LOCKED.format(user_id)


def test_option_ignore_lockout_failure_attempts(cloud: Cloud) -> None:
    exempt = _user(cloud, options={"ignore_lockout_failure_attempts": True})
    other = _user(cloud)
    for user_id in (exempt, other):
        _fail(cloud, user_id, 3)
    _fail(cloud, exempt, 3)
    assert _by_id(cloud, exempt, "right-pass").status_code == 201
    assert _message(_by_id(cloud, other, "right-pass")) == LOCKED.format(other)


def test_service_user_is_never_locked_out(cloud: Cloud) -> None:
    r = cloud.identity.get("/v3/users?name=stratus", headers=cloud.admin_headers())
    (user,) = r.json()["users"]
    assert user["options"].get("ignore_lockout_failure_attempts") is True


@_with({"lockout_failure_attempts": 0})
def test_zero_attempts_disables_lockout(cloud: Cloud) -> None:
    user_id = _user(cloud)
    _fail(cloud, user_id, 8)
    assert _by_id(cloud, user_id, "right-pass").status_code == 201


@_with({})
def test_default_locks_after_six_failures_for_thirty_minutes(cloud: Cloud) -> None:
    user_id = _user(cloud)
    _fail(cloud, user_id, 6)
    assert _message(_by_id(cloud, user_id, "right-pass")) == LOCKED.format(user_id)
    clock.advance(1801)
    assert _by_id(cloud, user_id, "right-pass").status_code == 201


# -- same cost for unknown users and credentials --------------------------------------------------
def _cost(hashed: bytes) -> bytes:
    return hashed.split(b"$")[2]


def _configured(cloud: Cloud) -> bytes:
    return b"%02d" % cloud.cfg.identity.password_hash_rounds


@pytest.mark.parametrize(
    "ref",
    [
        {"name": "nobody", "domain": {"name": "Default"}},
        {"name": "nobody", "domain": {"name": "no-such-domain"}},
        {"id": "0" * 32},
    ],
    ids=["unknown-name", "unknown-domain", "unknown-id"],
)
def test_unknown_user_costs_one_check_of_the_configured_cost(
    cloud: Cloud, checks: list[bytes], ref: dict[str, Any]
) -> None:
    user_id = _user(cloud)
    checks.clear()
    known = _by_id(cloud, user_id, "wrong-pass")
    unknown = _login(cloud, {**ref, "password": "wrong-pass"})
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert len(checks) == 2
    assert _cost(checks[1]) == _cost(checks[0]) == _configured(cloud)


def test_password_change_of_unknown_user_costs_one_check(cloud: Cloud, checks: list[bytes]) -> None:
    body = {"user": {"original_password": "x", "password": "other-pass"}}
    r = cloud.identity.post(f"/v3/users/{'0' * 32}/password", json=body)
    assert r.status_code == 401
    assert [_cost(h) for h in checks] == [_configured(cloud)]


@pytest.mark.parametrize(
    "cred",
    [{"id": "0" * 32}, {"name": "ci", "user": {"id": "0" * 32}}],
    ids=["unknown-id", "unknown-user"],
)
def test_unknown_application_credential_costs_one_check(
    cloud: Cloud, checks: list[bytes], cred: dict[str, Any]
) -> None:
    method = {**cred, "secret": "guess"}
    auth = {"identity": {"methods": ["application_credential"], "application_credential": method}}
    r = cloud.identity.post("/v3/auth/tokens", json={"auth": auth})
    assert r.status_code == 401 and _message(r) == GENERIC
    assert [_cost(h) for h in checks] == [_configured(cloud)]


# -- bounded hashing ------------------------------------------------------------------------------
class _Blocker:
    """Makes every bcrypt check wait until released, so the gate fills deterministically."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        self.entered = 0
        real = passwords.bcrypt.checkpw

        def blocked(password: bytes, hashed: bytes) -> bool:
            self.entered += 1
            self.release.wait(scaled(60))
            return real(password, hashed)

        monkeypatch.setattr(passwords.bcrypt, "checkpw", blocked)

    def start(self, call: Callable[[], httpx.Response]) -> Callable[[], httpx.Response]:
        """Run ``call`` in a thread; returns a function that joins it and gives its response."""
        out: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
        thread.start()

        def result() -> httpx.Response:
            thread.join(scaled(60))
            return out[0]

        return result


@_with({**SMALL, "max_concurrent_password_checks": 1, "password_check_queue_size": 0})
def test_full_gate_answers_503_with_retry_after_and_tokens_still_work(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = cloud.admin_headers()
    user_id = _user(cloud)
    blocker = _Blocker(monkeypatch)
    try:
        first = blocker.start(lambda: _by_id(cloud, user_id, "right-pass"))
        wait_until(lambda: blocker.entered == 1, scaled(30), "the first login to start hashing")
        r = _by_id(cloud, user_id, "right-pass")
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] == "1"
        assert r.json()["error"]["code"] == 503
        assert cloud.identity.get("/v3/users", headers=admin).status_code == 200
    finally:
        blocker.release.set()
    assert first().status_code == 201
    assert _by_id(cloud, user_id, "right-pass").status_code == 201


@_with({**SMALL, "max_concurrent_password_checks": 1, "password_check_queue_size": 1})
def test_queued_login_waits_for_its_turn_and_the_next_is_refused(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = _user(cloud)
    gate = password_gate.shared(1, 1)
    blocker = _Blocker(monkeypatch)
    try:
        first = blocker.start(lambda: _by_id(cloud, user_id, "right-pass"))
        wait_until(lambda: blocker.entered == 1, scaled(30), "the first login to start hashing")
        second = blocker.start(lambda: _by_id(cloud, user_id, "right-pass"))
        wait_until(lambda: gate.waiting == 1, scaled(30), "the second login to queue")
        body = {"user": {"original_password": "right-pass", "password": "other-pass"}}
        r = cloud.identity.post(f"/v3/users/{user_id}/password", json=body)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
    finally:
        blocker.release.set()
    assert first().status_code == 201
    assert second().status_code == 201
