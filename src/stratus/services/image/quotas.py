"""Per-project image quotas, named and counted as Glance's unified limits.

* ``image_count_total`` — images a project owns, in any status; checked when one is created.
* ``image_size_total`` — MiB of image data a project stores; an upload may bring the project up
  to the limit and no further: it is refused at once when the project is already there, cut off
  (413) as soon as its bytes pass what is left, and counted again when it completes, so
  concurrent uploads cannot together pass the limit.
* ``image_count_uploading`` — uploads a project has in progress at once.

Limits come from ``[image]`` (-1 = unlimited) and apply to the image's owner. Usage is counted
from the image rows themselves in the write transaction that consumes it, behind the project's
quota lock (``quota.lock_project``), as the compute quotas are. Going over is 413, as in Glance.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import ImageSection
from stratus.db.repositories import images as repo
from stratus.services import quota

MIB = 1024 * 1024
UNLIMITED = -1


@dataclasses.dataclass(frozen=True)
class QuotaUsage:
    """One line of ``GET /v2/info/usage``."""

    limit: int
    usage: int


def usage(session: Session, settings: ImageSection, owner: str) -> dict[str, QuotaUsage]:
    """The limits of ``owner`` and what it uses of them (sizes in MiB, as Glance counts)."""
    used = repo.owner_usage(session, owner)
    return {
        "image_size_total": QuotaUsage(settings.image_size_total, used.size // MIB),
        "image_count_total": QuotaUsage(settings.image_count_total, used.count),
        "image_count_uploading": QuotaUsage(settings.image_count_uploading, used.uploading),
    }


def _over(owner: str, name: str, limit: int, used: int, delta: int, unit: str = "") -> Exception:
    return exceptions.PayloadTooLarge(
        f"Image quota exceeded for project {owner}: {name} is limited to {limit}{unit}, "
        f"{used}{unit} in use, {delta}{unit} more requested."
    )


def check_create(session: Session, settings: ImageSection, owner: str | None) -> None:
    """413 unless ``owner`` may own one more image. Call in the transaction that adds it."""
    limit = settings.image_count_total
    if owner is None or limit == UNLIMITED:
        return
    quota.lock_project(session, owner)
    used = repo.owner_usage(session, owner).count
    if used + 1 > limit:
        raise _over(owner, "image_count_total", limit, used, 1)


def check_upload_start(
    session: Session, settings: ImageSection, owner: str | None, image_id: str
) -> int | None:
    """413 unless ``owner`` may start uploading ``image_id`` now; returns how many bytes the
    upload may bring at most (None: no size limit). Call in the transaction that starts it."""
    if owner is None:
        return None
    quota.lock_project(session, owner)
    used = repo.owner_usage(session, owner, exclude=image_id)
    uploads = settings.image_count_uploading
    if uploads != UNLIMITED and used.uploading + 1 > uploads:
        raise _over(owner, "image_count_uploading", uploads, used.uploading, 1)
    if settings.image_size_total == UNLIMITED:
        return None
    room = settings.image_size_total * MIB - used.size
    if room <= 0:
        raise storage_full(owner, settings, used.size, 0)
    return room


def check_upload_end(
    session: Session, settings: ImageSection, owner: str | None, image_id: str, size: int
) -> None:
    """413 if ``size`` more bytes for ``image_id`` pass ``owner``'s limit now (other uploads
    may have completed meanwhile). Call in the transaction that makes the image active."""
    if owner is None or settings.image_size_total == UNLIMITED:
        return
    quota.lock_project(session, owner)
    used = repo.owner_usage(session, owner, exclude=image_id).size
    if used + size > settings.image_size_total * MIB:
        raise storage_full(owner, settings, used, size)


def storage_full(owner: str, settings: ImageSection, used: int, size: int) -> Exception:
    """The 413 of an upload that would pass ``image_size_total`` (``used``/``size`` bytes)."""
    mib = -(-size // MIB)  # NOTE: rounded up: a few bytes over the limit are still over it
    return _over(owner, "image_size_total", settings.image_size_total, used // MIB, mib, " MiB")


__all__ = [
    "QuotaUsage",
    "check_create",
    "check_upload_end",
    "check_upload_start",
    "storage_full",
    "usage",
]
