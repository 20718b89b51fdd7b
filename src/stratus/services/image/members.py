"""Image members: sharing an image of visibility ``shared`` with other projects (Glance v2).

The owner adds and removes member projects; each member answers for itself by setting its status
(pending → accepted | rejected). Only ``shared`` images have members (403 otherwise). The owner
sees every member, a member sees only its own entry; asking about anything else is a 404.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy.exc
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.db.models.images import Image, ImageMember
from stratus.db.repositories import images as repo
from stratus.services.image.images import MAX_MEMBERS, ImageService

MEMBER_STATUSES = ("pending", "accepted", "rejected")


@dataclasses.dataclass(frozen=True)
class MemberView:
    image_id: str
    member_id: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


def _view(row: ImageMember) -> MemberView:
    return MemberView(row.image_id, row.member_id, row.status, row.created_at, row.updated_at)


def _member_not_found(image_id: str, member_id: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"{member_id} not found in the member list of the image {image_id}.")


class MemberApi(ImageService):
    """Members of one image, as seen by the caller."""

    def _shared(
        self, session: Session, image_id: str, lock: bool = False
    ) -> tuple[Image, str | None]:
        row, member = self.load(session, image_id, lock=lock)
        if row.visibility != "shared":
            raise exceptions.Forbidden(
                f"Error fetching members of image {image_id}: Only shared images have members."
            )
        return row, member

    def _entry(self, session: Session, row: Image, member_id: str) -> ImageMember:
        found = repo.get_member(session, row.id, member_id)
        if found is None:
            raise _member_not_found(row.id, member_id)
        return found

    def list_members(self, image_id: str) -> list[MemberView]:
        with self.db.read() as session:
            row, member = self._shared(session, image_id)
            self.require("get_members", row, member)
            rows = repo.list_members(session, image_id)
            if not self.is_admin and row.owner != self.ctx.project_id:
                rows = [m for m in rows if m.member_id == self.ctx.project_id]
            return [_view(m) for m in rows]

    def get_member(self, image_id: str, member_id: str) -> MemberView:
        with self.db.read() as session:
            try:
                row, _member = self._shared(session, image_id)
            except exceptions.Forbidden as error:
                # NOTE: Glance answers 404 here so membership cannot be probed.
                raise exceptions.NotFound(error.message) from None
            if not self.policy.allowed("get_member", self.target(row, member_id)):
                raise _member_not_found(image_id, member_id)
            return _view(self._entry(session, row, member_id))

    def add_member(self, image_id: str, member_id: str) -> MemberView:
        try:
            with self.db.write() as session:
                row, member = self._shared(session, image_id, lock=True)
                self.require("add_member", row, member)
                if repo.get_member(session, image_id, member_id) is not None:
                    raise _duplicate(image_id, member_id)
                if repo.count_members(session, image_id) >= MAX_MEMBERS:
                    raise exceptions.PayloadTooLarge(
                        f"Image member limit exceeded for image {image_id}: "
                        f"the limit is {MAX_MEMBERS}."
                    )
                return _view(repo.add_member(session, image_id, member_id))
        except sqlalchemy.exc.IntegrityError:
            raise _duplicate(image_id, member_id) from None

    def update_member(self, image_id: str, member_id: str, status: str) -> MemberView:
        if status not in MEMBER_STATUSES:
            raise exceptions.Invalid(f"Incorrect request: Invalid status: {status}")
        with self.db.write() as session:
            row, _member = self._shared(session, image_id, lock=True)
            entry = self._entry(session, row, member_id)
            if not self.policy.allowed("modify_member", self.target(row, member_id)):
                if self.policy.allowed("get_member", self.target(row, member_id)):
                    raise exceptions.Forbidden(
                        f"Not allowed to update members for image {image_id}."
                    )
                raise _member_not_found(image_id, member_id)
            if entry.status != status:
                entry.status = status
                entry.updated_at = clock.utcnow()
            session.flush()
            return _view(entry)

    def delete_member(self, image_id: str, member_id: str) -> None:
        with self.db.write() as session:
            row, member = self._shared(session, image_id, lock=True)
            self.require("delete_member", row, member)
            repo.delete_member(session, self._entry(session, row, member_id))


def _duplicate(image_id: str, member_id: str) -> exceptions.Conflict:
    return exceptions.Conflict(f"Member {member_id} is duplicated for image {image_id}")
