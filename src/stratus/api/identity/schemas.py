"""Request body schemas of the identity API."""

from __future__ import annotations

from stratus.api.common.schemas import ID, NAME, obj, wrapped

_DOMAIN_REF = obj({"id": ID, "name": NAME}, additional=True)
_USER_REF = obj(
    {"id": ID, "name": NAME, "domain": _DOMAIN_REF, "password": {"type": "string", "maxLength": 4096}},
    additional=True,
)
_PASSWORD = obj({"user": _USER_REF}, required=("user",), additional=True)
_TOKEN = obj({"id": {"type": "string", "minLength": 1, "maxLength": 1024}}, required=("id",), additional=True)
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

AUTH = wrapped("auth", obj({"identity": _IDENTITY, "scope": _SCOPE}, required=("identity",), additional=True))
