"""Versioned wire objects: the only structured things that travel on the message bus.

Every object is a pydantic model with a ``VERSION`` (``"major.minor"``) and a history comment,
Nova style::

    class Flavor(VersionedObject):
        # Version 1.0: initial version
        # Version 1.1: added description
        VERSION = "1.1"

        id: str
        description: str | None = None

Rules: a minor bump may only add fields with defaults (an older receiver ignores them, a newer
receiver fills in the default); anything else is a major bump. A sender talking to an older
receiver can drop fields in :meth:`VersionedObject.obj_make_compatible`.

On the wire an object is::

    {"stratus_object.name": "Flavor", "stratus_object.version": "1.1",
     "stratus_object.data": {...}}

Classes register themselves by class name when defined; a second class with the same name in
another module is refused, so the name on the wire always means one class.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

NAME_KEY = "stratus_object.name"
VERSION_KEY = "stratus_object.version"
DATA_KEY = "stratus_object.data"

_VERSION_RE = re.compile(r"^\d+\.\d+$")

_REGISTRY: dict[str, type[VersionedObject]] = {}


class IncompatibleObjectVersionError(ValueError):
    """A received object has a major version this process does not understand."""


class UnknownObjectError(ValueError):
    """A received object names a class this process does not have."""


def parse_version(version: str) -> tuple[int, int]:
    """``"1.2"`` -> ``(1, 2)``; raises ``ValueError`` for anything else."""
    if not _VERSION_RE.match(version):
        raise ValueError(f"invalid version {version!r}: expected 'major.minor', e.g. '1.0'")
    major, minor = version.split(".")
    return int(major), int(minor)


class VersionedObject(BaseModel):
    """Base of every wire object. Subclasses set ``VERSION`` and declare pydantic fields."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    VERSION: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "VERSION" not in cls.__dict__:
            return  # an abstract intermediate base; not sent on its own
        parse_version(cls.VERSION)
        known = _REGISTRY.get(cls.__name__)
        if known is not None and known.__module__ != cls.__module__:
            raise TypeError(
                f"duplicate versioned object name {cls.__name__!r}: "
                f"{known.__module__} and {cls.__module__} both define it"
            )
        _REGISTRY[cls.__name__] = cls

    def obj_make_compatible(self, data: dict[str, Any], target_version: str) -> None:
        """Downgrade ``data`` (this object's JSON fields) in place for an older receiver.

        Called by :meth:`to_primitive` when ``target_version`` is older than ``VERSION``.
        The default does nothing; override to drop fields added in later minor versions.
        """

    def to_primitive(self, target_version: str | None = None) -> dict[str, Any]:
        """The JSON-able wire form, optionally downgraded to ``target_version``."""
        data = self.model_dump(mode="json")
        version = self.VERSION
        if target_version is not None and target_version != self.VERSION:
            want, have = parse_version(target_version), parse_version(self.VERSION)
            if want[0] != have[0] or want > have:
                raise IncompatibleObjectVersionError(
                    f"cannot convert {type(self).__name__} {self.VERSION} to {target_version}"
                )
            self.obj_make_compatible(data, target_version)
            version = target_version
        return {NAME_KEY: type(self).__name__, VERSION_KEY: version, DATA_KEY: data}

    @classmethod
    def from_primitive(cls, primitive: dict[str, Any]) -> Self:
        """Rebuild an object of this class (or a registered subclass) from its wire form."""
        obj = obj_from_primitive(primitive)
        if not isinstance(obj, cls):
            raise TypeError(f"expected a {cls.__name__}, got a {type(obj).__name__}")
        return obj


def is_primitive_object(value: object) -> bool:
    """Whether ``value`` looks like the wire form of a versioned object."""
    return isinstance(value, dict) and NAME_KEY in value and DATA_KEY in value


def obj_from_primitive(primitive: dict[str, Any]) -> VersionedObject:
    """Rebuild any registered object from its wire form.

    Raises ``UnknownObjectError`` for an unregistered name and ``IncompatibleObjectVersionError``
    when the major versions differ. Minor differences are accepted both ways (see the module
    docstring).
    """
    name = primitive.get(NAME_KEY)
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise UnknownObjectError(f"unknown versioned object {name!r}")
    version = primitive.get(VERSION_KEY)
    if not isinstance(version, str):
        raise IncompatibleObjectVersionError(f"{name} arrived without a version")
    if parse_version(version)[0] != parse_version(cls.VERSION)[0]:
        raise IncompatibleObjectVersionError(
            f"{name} {version} received, but this process understands {name} {cls.VERSION}"
        )
    data = primitive.get(DATA_KEY)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: {DATA_KEY} must be an object")
    return cls.model_validate(data)


def registered_objects() -> dict[str, type[VersionedObject]]:
    """A copy of the registry (name -> class); used by the object fingerprint test."""
    return dict(_REGISTRY)


__all__ = [
    "IncompatibleObjectVersionError",
    "UnknownObjectError",
    "VersionedObject",
    "is_primitive_object",
    "obj_from_primitive",
    "parse_version",
    "registered_objects",
]
