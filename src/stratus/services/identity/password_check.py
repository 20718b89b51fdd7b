"""Checking a secret a client sent without a token: a user's password or a credential's secret.

Three rules hold on every such check (``POST /v3/auth/tokens`` with a password or an application
credential, ``POST /v3/users/{id}/password``):

- **Same cost either way.** A user or credential that does not exist is checked against a dummy
  bcrypt hash of the configured cost, so failures take as long as real ones and response times
  do not tell which users exist.
- **Bounded work.** Hashing happens inside the process-wide ``PasswordGate``: a flood of logins
  gets 503 + ``Retry-After`` instead of starving the API of threads and CPU.
- **Keystone's lockout** (passwords only; ``[security_compliance] lockout_failure_attempts``,
  ``lockout_duration``). Failed checks in a row are counted per user and forgotten on success;
  a user who reaches the limit gets 401 "The account is locked for user: <id>." without a check
  until the lock expires or an admin sets ``enabled`` (or a new password). Users with the option
  ``ignore_lockout_failure_attempts`` are never locked (Keystone's option for service users).
  Like Keystone, application-credential failures are not counted.

Counters are written in their own transactions, so they stick although the request fails; the
``User`` rows passed in (often from the caller's read session) are never modified.
"""

from __future__ import annotations

import datetime as dt

from stratus.common import clock, exceptions
from stratus.common.config import Config
from stratus.db.models.identity import User
from stratus.db.repositories.identity import users
from stratus.db.session import Database
from stratus.identity import password_gate, passwords

GENERIC = "The request you have made requires authentication."
IGNORE_LOCKOUT_OPTION = "ignore_lockout_failure_attempts"


def _gate(cfg: Config) -> password_gate.PasswordGate:
    sc = cfg.security_compliance
    return password_gate.shared(sc.max_concurrent_password_checks, sc.password_check_queue_size)


def verify_secret(cfg: Config, secret: str, hashed: str | None) -> bool:
    """True if ``secret`` matches ``hashed`` (None: nothing to match, still costs one check).

    Raises ``PasswordChecksBusy`` when the gate is full.
    """
    with _gate(cfg).slot():
        return passwords.verify_password(secret, hashed, cfg.identity.password_hash_rounds)


def _locked(db: Database, cfg: Config, user: User) -> bool:
    """Keystone's ``_is_account_locked``; an expired lock is cleared on the way."""
    sc = cfg.security_compliance
    limit = sc.lockout_failure_attempts
    if limit <= 0 or user.options.get(IGNORE_LOCKOUT_OPTION) is True:
        return False
    if (user.failed_auth_count or 0) < limit:
        return False
    if sc.lockout_duration <= 0:
        return True
    last = user.failed_auth_at or dt.datetime.min
    if last + dt.timedelta(seconds=sc.lockout_duration) > clock.utcnow():
        return True
    with db.write() as session:
        users.reset_failed_auth(session, user.id)
    return False


def _record_failure(db: Database, user_id: str) -> None:
    # NOTE: an unknown user runs the same (empty) update, so both failures do the same work.
    with db.write() as session:
        users.record_failed_auth(session, user_id, clock.utcnow())


def check_password(db: Database, cfg: Config, user: User | None, password: str) -> None:
    """Raise ``NotAuthenticated`` unless ``password`` is ``user``'s (None: an unknown user).

    A locked user is refused before any hashing; a failure is counted. The caller resets the
    count with ``forget_failures`` once the whole authentication succeeded (Keystone does so
    after its enabled and expiry checks).
    """
    if user is not None and _locked(db, cfg, user):
        raise exceptions.NotAuthenticated(f"The account is locked for user: {user.id}.")
    ok = verify_secret(cfg, password, user.password_hash if user is not None else None)
    if user is None or not ok:
        _record_failure(db, user.id if user is not None else "")
        raise exceptions.NotAuthenticated(GENERIC)


def forget_failures(db: Database, user: User) -> None:
    """Reset ``user``'s failure count after a successful login (no write when already zero)."""
    if user.failed_auth_count:
        with db.write() as session:
            users.reset_failed_auth(session, user.id)


def clear_lockout(user: User) -> None:
    """Admin unlock inside the caller's transaction (``enabled`` set true, or a new password)."""
    user.failed_auth_count = 0
    user.failed_auth_at = None


__all__ = [
    "GENERIC",
    "IGNORE_LOCKOUT_OPTION",
    "check_password",
    "clear_lockout",
    "forget_failures",
    "verify_secret",
]
