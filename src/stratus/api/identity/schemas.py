"""Request body schemas of the identity API."""

from __future__ import annotations

from stratus.api.common.schemas import ID, NAME, obj, wrapped

_DOMAIN_REF = obj({"id": ID, "name": NAME}, additional=True)
_USER_REF = obj(
    {
        "id": ID,
        "name": NAME,
        "domain": _DOMAIN_REF,
        "password": {"type": "string", "maxLength": 4096},
    },
    additional=True,
)
_PASSWORD = obj({"user": _USER_REF}, required=("user",), additional=True)
_TOKEN = obj(
    {"id": {"type": "string", "minLength": 1, "maxLength": 1024}}, required=("id",), additional=True
)
_APP_CRED = obj(
    {"id": ID, "name": NAME, "secret": {"type": "string", "maxLength": 4096}, "user": _USER_REF},
    required=("secret",),
    additional=True,
)
_IDENTITY = obj(
    {
        "methods": {"type": "array", "items": {"type": "string", "maxLength": 64}, "minItems": 1},
        "password": _PASSWORD,
        "token": _TOKEN,
        "application_credential": _APP_CRED,
    },
    required=("methods",),
    additional=True,
)
_SCOPE = {
    "oneOf": [
        {"type": "string", "enum": ["unscoped"]},
        obj(
            {
                "project": obj({"id": ID, "name": NAME, "domain": _DOMAIN_REF}, additional=True),
                "domain": _DOMAIN_REF,
                "system": obj({"all": {"type": "boolean"}}, additional=True),
                "OS-TRUST:trust": {"type": "object"},
            },
            additional=True,
        ),
    ]
}

AUTH = wrapped(
    "auth", obj({"identity": _IDENTITY, "scope": _SCOPE}, required=("identity",), additional=True)
)

# -- resources (Keystone accepts and stores extra attributes on most of them) --------------------
_PATTERN_NOT_BLANK = r"[\S]+"
NAME_255 = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": _PATTERN_NOT_BLANK}
NAME_64 = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": _PATTERN_NOT_BLANK}
_DESCRIPTION = {"type": ["string", "null"], "maxLength": 65535}
_BOOL = {"type": "boolean"}
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_NULLABLE_ID = {"type": ["string", "null"], "maxLength": 64}
# NOTE: "" is no project id (it reached the database as a parent: a foreign-key 500)
_PARENT_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 64}
_OPTIONS = {"type": "object"}
_TAGS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]*$"},
    "maxItems": 80,
}
_PASSWORD_VALUE = {"type": ["string", "null"], "maxLength": 4096}


def _create(
    key: str, props: dict[str, object], required: tuple[str, ...], extra: bool = True
) -> dict[str, object]:
    return wrapped(key, obj(props, required=required, additional=extra))


def _update(key: str, props: dict[str, object], extra: bool = True) -> dict[str, object]:
    inner = obj(props, additional=extra)
    inner["minProperties"] = 1
    return wrapped(key, inner)


_DOMAIN_PROPS: dict[str, object] = {
    "name": NAME_64,
    "description": _DESCRIPTION,
    "enabled": _BOOL,
    "tags": _TAGS,
    "options": _OPTIONS,
}
CREATE_DOMAIN = _create(
    "domain",
    {**_DOMAIN_PROPS, "explicit_domain_id": {"type": "string", "pattern": "^[a-zA-Z0-9-]{1,64}$"}},
    ("name",),
)
UPDATE_DOMAIN = _update("domain", _DOMAIN_PROPS)

_PROJECT_PROPS: dict[str, object] = {
    "name": NAME_64,
    "description": _DESCRIPTION,
    "enabled": _BOOL,
    "domain_id": _NULLABLE_ID,
    "parent_id": _PARENT_ID,
    "is_domain": _BOOL,
    "tags": _TAGS,
    "options": _OPTIONS,
}
CREATE_PROJECT = _create("project", _PROJECT_PROPS, ("name",))
UPDATE_PROJECT = _update("project", _PROJECT_PROPS)
PROJECT_TAGS = obj({"tags": _TAGS}, required=("tags",))

_USER_PROPS: dict[str, object] = {
    "name": NAME_255,
    "password": _PASSWORD_VALUE,
    "enabled": _BOOL,
    "domain_id": _ID,
    "default_project_id": _NULLABLE_ID,
    "description": _DESCRIPTION,
    "email": {"type": ["string", "null"], "maxLength": 255},
    "options": _OPTIONS,
}
CREATE_USER = _create("user", _USER_PROPS, ("name",))
UPDATE_USER = _update("user", _USER_PROPS)
CHANGE_PASSWORD = wrapped(
    "user",
    obj(
        {
            "password": {"type": "string", "maxLength": 4096},
            "original_password": {"type": "string", "maxLength": 4096},
        },
        required=("password", "original_password"),
    ),
)

_GROUP_PROPS: dict[str, object] = {"name": NAME_255, "description": _DESCRIPTION, "domain_id": _ID}
CREATE_GROUP = _create("group", _GROUP_PROPS, ("name",))
UPDATE_GROUP = _update("group", _GROUP_PROPS)

_ROLE_PROPS: dict[str, object] = {
    "name": NAME_255,
    "description": _DESCRIPTION,
    "domain_id": _NULLABLE_ID,
    "options": _OPTIONS,
}
CREATE_ROLE = _create("role", _ROLE_PROPS, ("name",))
UPDATE_ROLE = _update("role", _ROLE_PROPS)

_REGION_PROPS: dict[str, object] = {
    "id": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": _DESCRIPTION,
    "parent_region_id": {"type": ["string", "null"], "maxLength": 255},
}
CREATE_REGION = _create("region", _REGION_PROPS, ())
UPDATE_REGION = _update("region", _REGION_PROPS)

_SERVICE_PROPS: dict[str, object] = {
    "type": {"type": "string", "minLength": 1, "maxLength": 255},
    "name": {"type": "string", "maxLength": 255},
    "description": _DESCRIPTION,
    "enabled": _BOOL,
}
CREATE_SERVICE = _create("service", _SERVICE_PROPS, ("type",))
UPDATE_SERVICE = _update("service", _SERVICE_PROPS)

_ENDPOINT_PROPS: dict[str, object] = {
    "service_id": _ID,
    "interface": {"type": "string", "enum": ["public", "internal", "admin"]},
    "url": {"type": "string", "minLength": 1, "maxLength": 2048, "pattern": "^[a-zA-Z0-9+.-]+:.+"},
    "region_id": {"type": ["string", "null"], "maxLength": 255},
    "region": {"type": ["string", "null"], "maxLength": 255},
    "enabled": _BOOL,
}
CREATE_ENDPOINT = _create("endpoint", _ENDPOINT_PROPS, ("service_id", "interface", "url"))
UPDATE_ENDPOINT = _update("endpoint", _ENDPOINT_PROPS)

_CREDENTIAL_PROPS: dict[str, object] = {
    "type": {"type": "string", "minLength": 1, "maxLength": 255},
    "blob": {"type": "string", "minLength": 1, "maxLength": 65535},
    "user_id": _ID,
    "project_id": _NULLABLE_ID,
}
CREATE_CREDENTIAL = _create("credential", _CREDENTIAL_PROPS, ("type", "blob", "user_id"))
UPDATE_CREDENTIAL = _update("credential", _CREDENTIAL_PROPS)
CREATE_EC2 = obj({"tenant_id": _ID}, required=("tenant_id",), additional=True)

_ROLE_REF = obj(
    {"id": _ID, "name": NAME_255, "domain": {"type": ["object", "null"]}}, additional=False
)
_ID_STRING = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-zA-Z0-9-]+$"}
# NOTE: Keystone's limits; a rule is named by id, or by service, path and method (checked by
# the service, which can say which).
_ACCESS_RULE = obj(
    {
        "id": _ID_STRING,
        "service": _ID_STRING,
        "path": {"type": "string", "minLength": 1, "maxLength": 225, "pattern": "^/"},
        "method": {"type": "string", "enum": ["POST", "GET", "HEAD", "PATCH", "PUT", "DELETE"]},
    },
    additional=False,
)
CREATE_APP_CRED = _create(
    "application_credential",
    {
        "name": NAME_255,
        "description": _DESCRIPTION,
        "secret": {"type": ["string", "null"], "minLength": 1, "maxLength": 4096},
        "expires_at": {"type": ["string", "null"], "maxLength": 64},
        "roles": {"type": "array", "items": _ROLE_REF, "maxItems": 100},
        "unrestricted": {"type": ["boolean", "null"]},
        "access_rules": {"type": "array", "items": _ACCESS_RULE, "maxItems": 100},
    },
    ("name",),
    extra=False,
)
