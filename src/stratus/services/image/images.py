"""The image service's business rules (Glance v2): images, their tags and actions.

Handlers turn HTTP requests into the typed commands defined here (``NewImage``, ``Change``,
``ImageFilters``) and call one method; everything that depends on who is asking — visibility,
policy, ownership, state transitions, quotas — is decided here. Members live in
``members.py`` and image data in ``data.py``, on the same ``ImageService`` base.

Visibility (Glance's ``is_image_visible``): admins (and, to show and download, the compute hosts'
``service`` role: policy rule ``service_api``) see everything; public and community images are
visible to all; private ones to their owner; shared ones to their owner and member projects (any
member status). An image the caller cannot see is "not found" (404), never "forbidden", so ids do
not leak. An image the caller can see but not change gives 403.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

import sqlalchemy.exc
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.common.config import ImageSection
from stratus.common.context import RequestContext
from stratus.db.models.images import Image, ImageProperty, ImageTag
from stratus.db.repositories import images as repo
from stratus.db.repositories.images import (
    EQUALITY_COLUMNS,
    SORT_KEYS,
    Access,
    ImageFilters,
    PageRequest,
)
from stratus.db.session import Database
from stratus.image.store import ImageStore
from stratus.services.image import quotas

__all__ = [
    "EQUALITY_COLUMNS",
    "SORT_KEYS",
    "Change",
    "ImageApi",
    "ImageFilters",
    "ImageService",
    "ImageView",
    "NewImage",
    "PageRequest",
]

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
VISIBILITIES = ("public", "private", "shared", "community")
MAX_PROPERTIES = 128
MAX_TAGS = 128
MAX_MEMBERS = 128
# Attributes a PATCH may set as a whole; everything else is a custom property.
MUTABLE = frozenset(
    {
        "name",
        "visibility",
        "protected",
        "os_hidden",
        "min_ram",
        "min_disk",
        "disk_format",
        "container_format",
        "owner",
        "tags",
    }
)
JsonValue = str | int | bool | list[str] | None


class Policy(Protocol):
    """Answers policy questions for the caller (the API passes its request object)."""

    def allowed(self, rule: str, target: Mapping[str, Any] | None = None) -> bool: ...


@dataclasses.dataclass(frozen=True)
class ImageView:
    """An image as the API shows it."""

    id: str
    name: str | None
    status: str
    visibility: str
    protected: bool
    os_hidden: bool
    owner: str | None
    size: int | None
    virtual_size: int | None
    disk_format: str | None
    container_format: str | None
    checksum: str | None
    os_hash_algo: str | None
    os_hash_value: str | None
    min_ram: int
    min_disk: int
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: tuple[str, ...]
    properties: Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class NewImage:
    """``POST /v2/images`` after validation. ``owner`` None means the caller's project."""

    id: str | None = None
    name: str | None = None
    visibility: str | None = None
    protected: bool = False
    os_hidden: bool = False
    disk_format: str | None = None
    container_format: str | None = None
    min_disk: int = 0
    min_ram: int = 0
    owner: str | None = None
    tags: tuple[str, ...] = ()
    properties: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Change:
    """One JSON-patch operation on a top-level attribute or custom property ``name``.

    ``strict_add`` is JSON-patch draft 4 (the v2.0 media type): ``add`` of an existing key is 409.
    """

    op: Literal["add", "remove", "replace"]
    name: str
    value: JsonValue = None
    strict_add: bool = False


def view(row: Image) -> ImageView:
    return ImageView(
        id=row.id,
        name=row.name,
        status=row.status,
        visibility=row.visibility,
        protected=row.protected,
        os_hidden=row.os_hidden,
        owner=row.owner,
        size=row.size,
        virtual_size=row.virtual_size,
        disk_format=row.disk_format,
        container_format=row.container_format,
        checksum=row.checksum,
        os_hash_algo=row.os_hash_algo,
        os_hash_value=row.os_hash_value,
        min_ram=row.min_ram,
        min_disk=row.min_disk,
        created_at=row.created_at,
        updated_at=row.updated_at or row.created_at,
        tags=tuple(sorted(t.value for t in row.tags)),
        properties={p.name: p.value for p in row.properties},
    )


def not_found(image_id: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"No image found with ID {image_id}")


def denied(rule: str) -> exceptions.Forbidden:
    return exceptions.Forbidden(f"You are not authorized to complete {rule} action.")


class ImageService:
    """What every image operation needs: storage, the caller and their policy."""

    def __init__(
        self,
        db: Database,
        store: ImageStore,
        settings: ImageSection,
        ctx: RequestContext,
        policy: Policy,
    ) -> None:
        self.db = db
        self.store = store
        self.settings = settings
        self.ctx = ctx
        self.policy = policy

    @property
    def is_admin(self) -> bool:
        return self.policy.allowed("context_is_admin", {})

    @property
    def access(self) -> Access:
        return Access(project_id=self.ctx.project_id, is_admin=self.is_admin)

    def _membership(self, session: Session, row: Image) -> str | None:
        """The caller's project if it is a member of ``row`` (any status), else None."""
        project = self.ctx.project_id
        if project is None or row.visibility != "shared" or row.owner == project:
            return None
        return project if repo.get_member(session, row.id, project) is not None else None

    def _visible(self, row: Image, member: str | None) -> bool:
        if self.is_admin or row.owner is None or row.visibility in ("public", "community"):
            return True
        if self.policy.allowed("service_api", {}):
            return True  # NOTE: a compute host fetching the image an instance boots from
        project = self.ctx.project_id
        return project is not None and (row.owner == project or member is not None)

    def target(self, row: Image, member_id: str | None) -> dict[str, Any]:
        """The policy target of ``row`` (``member_id``: the member project concerned, if any)."""
        return {
            "project_id": row.owner,
            "owner": row.owner,
            "visibility": row.visibility,
            "member_id": member_id,
            "image_id": row.id,
        }

    def load(self, session: Session, image_id: str, lock: bool = False) -> tuple[Image, str | None]:
        """The image and the caller's membership; 404 unless the caller may see it."""
        row = repo.get(session, image_id, lock=lock) if ids.is_uuid_like(image_id) else None
        if row is None:
            raise not_found(image_id)
        member = self._membership(session, row)
        if not self._visible(row, member) or not self.policy.allowed(
            "get_image", self.target(row, member)
        ):
            raise not_found(image_id)
        return row, member

    def require(self, rule: str, row: Image, member_id: str | None) -> None:
        """403 unless ``rule`` allows the caller on ``row`` (404 if they may not even read it)."""
        target = self.target(row, member_id)
        if self.policy.allowed(rule, target):
            return
        if not self.policy.allowed("get_image", target):
            raise not_found(row.id)
        raise denied(rule)


class ImageApi(ImageService):
    """Images and their tags."""

    def create(self, new: NewImage) -> ImageView:
        owner = new.owner if new.owner is not None else self.ctx.project_id
        target = {"project_id": owner, "owner": owner}
        if not self.policy.allowed("add_image", target):
            if new.owner is not None and new.owner != self.ctx.project_id:
                raise exceptions.Forbidden(
                    f"You are not permitted to create images owned by '{owner}'."
                )
            raise denied("add_image")
        visibility = new.visibility or "shared"
        self._check_visibility(visibility, target)
        _check_quotas(new.properties, new.tags)
        image_id = new.id or ids.uuid_id()
        now = clock.utcnow()
        row = Image(
            id=image_id,
            name=new.name,
            status="queued",
            visibility=visibility,
            protected=new.protected,
            os_hidden=new.os_hidden,
            owner=owner,
            disk_format=new.disk_format,
            container_format=new.container_format,
            min_disk=new.min_disk,
            min_ram=new.min_ram,
            created_at=now,
            updated_at=now,
            properties=[ImageProperty(name=k, value=v) for k, v in new.properties.items()],
            tags=[ImageTag(value=t) for t in sorted(set(new.tags))],
        )
        try:
            with self.db.write() as session:
                if repo.get(session, image_id) is not None:
                    raise _duplicate(image_id)
                quotas.check_create(session, self.settings, owner)
                repo.add(session, row)
                return view(row)
        except sqlalchemy.exc.IntegrityError:
            raise _duplicate(image_id) from None

    def usage(self) -> dict[str, quotas.QuotaUsage]:
        """The image quotas of the caller's project and its usage (none without a project)."""
        if self.ctx.project_id is None:
            return {}
        with self.db.read() as session:
            return quotas.usage(session, self.settings, self.ctx.project_id)

    def get(self, image_id: str) -> ImageView:
        with self.db.read() as session:
            row, _member = self.load(session, image_id)
            return view(row)

    def list_images(
        self, filters: ImageFilters, page: PageRequest
    ) -> tuple[list[ImageView], str | None]:
        """One page of images and the marker of the next page (None on the last page)."""
        if not self.policy.allowed("get_images", {"project_id": self.ctx.project_id}):
            raise denied("get_images")
        with self.db.read() as session:
            marker = None
            if page.marker is not None:
                try:
                    marker, _member = self.load(session, page.marker)
                except exceptions.NotFound:
                    raise exceptions.Invalid(f"Marker {page.marker} could not be found.") from None
            probe = dataclasses.replace(page, limit=page.limit + 1)
            rows = repo.list_images(session, self.access, filters, probe, marker)
            shown = [view(r) for r in rows[: page.limit]]
        more = len(rows) > page.limit and page.limit > 0
        return shown, (shown[-1].id if more else None)

    def update(self, image_id: str, changes: Sequence[Change]) -> ImageView:
        with self.db.write() as session:
            row, member = self.load(session, image_id, lock=True)
            self.require("modify_image", row, member)
            attrs: dict[str, Any] = {k: getattr(row, k) for k in MUTABLE if k != "tags"}
            attrs["tags"] = [t.value for t in row.tags]
            props = {p.name: p.value for p in row.properties}
            for change in changes:
                _apply(change, attrs, props)
            self._check_update(row, attrs, props)
            for key, value in attrs.items():
                if key != "tags" and getattr(row, key) != value:
                    setattr(row, key, value)
            repo.sync_tags(row, attrs["tags"])
            repo.sync_properties(row, props)
            row.updated_at = clock.utcnow()
            session.flush()
            return view(row)

    def _check_update(self, row: Image, attrs: dict[str, Any], props: dict[str, str]) -> None:
        target = self.target(row, None)
        if attrs["owner"] != row.owner and not self.is_admin:
            raise exceptions.Forbidden("Owner can't be updated by non admin.")
        if attrs["visibility"] != row.visibility:
            self._check_visibility(attrs["visibility"], target)
        for key in ("disk_format", "container_format"):
            if attrs[key] != getattr(row, key) and row.status != "queued":
                raise exceptions.Forbidden(
                    f"Attribute {key} can be only replaced for a queued image."
                )
        _check_quotas(props, attrs["tags"])

    def _check_visibility(self, visibility: str, target: Mapping[str, Any]) -> None:
        rule = {"public": "publicize_image", "community": "communitize_image"}.get(visibility)
        if rule is not None and not self.policy.allowed(rule, target):
            raise denied(rule)

    def delete(self, image_id: str) -> None:
        with self.db.write() as session:
            row, member = self.load(session, image_id, lock=True)
            self.require("delete_image", row, member)
            if row.protected:
                raise exceptions.Forbidden(f"Image {image_id} is protected and cannot be deleted.")
            repo.delete(session, row)
        self.store.delete(image_id)

    def set_active(self, image_id: str, active: bool) -> None:
        """``deactivate`` (active → deactivated) or ``reactivate``; repeating either is a no-op."""
        rule, source, goal = (
            ("reactivate", "deactivated", "active")
            if active
            else ("deactivate", "active", "deactivated")
        )
        with self.db.write() as session:
            row, member = self.load(session, image_id, lock=True)
            self.require(rule, row, member)
            if row.status == goal:
                return
            if row.status != source:
                raise exceptions.Forbidden(f"Not allowed to {rule} image in status '{row.status}'")
            row.status = goal
            row.updated_at = clock.utcnow()

    def add_tag(self, image_id: str, tag: str) -> None:
        with self.db.write() as session:
            row, member = self.load(session, image_id, lock=True)
            self.require("modify_image", row, member)
            values = [t.value for t in row.tags]
            if tag in values:
                return
            _check_quotas({}, [*values, tag])
            row.tags.append(ImageTag(value=tag))
            row.updated_at = clock.utcnow()

    def delete_tag(self, image_id: str, tag: str) -> None:
        with self.db.write() as session:
            row, member = self.load(session, image_id, lock=True)
            self.require("modify_image", row, member)
            found = next((t for t in row.tags if t.value == tag), None)
            if found is None:
                raise exceptions.NotFound(f"Tag {tag} not found.")
            row.tags.remove(found)
            row.updated_at = clock.utcnow()


def _duplicate(image_id: str) -> exceptions.Conflict:
    return exceptions.Conflict(f"An image with identifier {image_id} already exists")


def _check_quotas(props: Mapping[str, str], tags: Sequence[str]) -> None:
    if len(props) > MAX_PROPERTIES:
        raise exceptions.PayloadTooLarge(
            f"Maximum number of image properties exceeded: {len(props)} > {MAX_PROPERTIES}."
        )
    if len(set(tags)) > MAX_TAGS:
        raise exceptions.PayloadTooLarge(
            f"Maximum number of image tags exceeded: {len(set(tags))} > {MAX_TAGS}."
        )


def _apply(change: Change, attrs: dict[str, Any], props: dict[str, str]) -> None:
    """Apply one change to the editable copy (as Glance's ``_do_add/_do_replace/_do_remove``)."""
    name = change.name
    base = name in attrs
    present = base or name in props
    if change.op == "remove":
        if base:
            raise exceptions.Forbidden(f"Property {name} may not be removed.")
        if name not in props:
            raise exceptions.Conflict(f"Property {name} does not exist.")
        del props[name]
        return
    if change.op == "add" and change.strict_add and present:
        raise exceptions.Conflict(f"Property {name} already present.")
    if change.op == "replace" and not present:
        raise exceptions.Conflict(f"Property {name} does not exist.")
    if base:
        attrs[name] = list(change.value) if isinstance(change.value, list) else change.value
    else:
        assert isinstance(change.value, str)
        props[name] = change.value
