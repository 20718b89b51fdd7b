"""Token revocation events are pruned once no live token can match them (issue 7).

No token outlives ``[token] expiration``, so an event recorded longer ago than that (plus
Keystone's 30-minute buffer) can go. Pruning runs whenever a new event is recorded: a token
revoked, a user, project or domain disabled or deleted.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from stratus.common import clock
from stratus.db.models.identity import RevocationEvent
from tests.fixtures.cloud import Cloud

LIFETIME = dt.timedelta(seconds=3600)  # the default [token] expiration
BUFFER = dt.timedelta(seconds=1800)


def _seed(cloud: Cloud, **ages: dt.timedelta) -> None:
    """One user event per name in ``ages``, recorded that long ago."""
    now = clock.utcnow()
    with cloud.db.write() as session:
        for user, age in ages.items():
            session.add(
                RevocationEvent(
                    user_id=user, issued_before=now - age, revoked_at=now - age, expires_at=None
                )
            )


def _users_with_events(cloud: Cloud) -> set[str | None]:
    with cloud.db.read() as session:
        return set(session.scalars(sa.select(RevocationEvent.user_id)))


def test_revoking_a_token_prunes_old_events_and_keeps_recent_ones(cloud: Cloud) -> None:
    assert cloud.cfg.token.expiration == LIFETIME.total_seconds()
    _seed(
        cloud,
        ancient=dt.timedelta(days=30),
        just_past=LIFETIME + BUFFER + dt.timedelta(minutes=5),
        in_buffer=LIFETIME + BUFFER - dt.timedelta(minutes=5),
        recent=dt.timedelta(minutes=1),
    )
    alice = cloud.new_user(role="member")
    r = cloud.identity.delete(
        "/v3/auth/tokens", headers={"X-Auth-Token": alice.token, "X-Subject-Token": alice.token}
    )
    assert r.status_code == 204, r.text
    assert _users_with_events(cloud) == {"in_buffer", "recent", None}
    # the new event works: the token stays revoked
    assert cloud.identity.get("/v3/auth/projects", headers=alice.headers).status_code == 401


def test_disabling_a_user_prunes_too(cloud: Cloud) -> None:
    _seed(cloud, ancient=dt.timedelta(days=2), recent=dt.timedelta(minutes=1))
    alice = cloud.new_user(role="member")
    r = cloud.identity.patch(
        f"/v3/users/{alice.user_id}",
        json={"user": {"enabled": False}},
        headers=cloud.admin_headers(),
    )
    assert r.status_code == 200, r.text
    assert _users_with_events(cloud) == {"recent", alice.user_id}
    assert cloud.identity.get("/v3/auth/projects", headers=alice.headers).status_code == 401
