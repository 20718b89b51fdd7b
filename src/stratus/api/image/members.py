"""``/v2/images/{id}/members``: share an image of visibility ``shared`` with other projects."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.image import schemas, views
from stratus.api.image.app import service
from stratus.services.image.members import MemberApi

router = Router("image")


@router.route("GET", "/v2/images/{image_id}/members")
def list_members(req: ApiRequest) -> dict[str, Any]:
    """The members the caller may see (the owner sees all, a member only itself)."""
    members = service(req, MemberApi).list_members(req.path["image_id"])
    return {"members": [views.member(m) for m in members], "schema": "/v2/schemas/members"}


@router.route("POST", "/v2/images/{image_id}/members", body=schemas.MEMBER_CREATE)
def create_member(req: ApiRequest) -> dict[str, Any]:
    """Offer the image to a project (status ``pending``)."""
    member = service(req, MemberApi).add_member(req.path["image_id"], req.body["member"])
    return views.member(member)


@router.route("GET", "/v2/images/{image_id}/members/{member_id}")
def show_member(req: ApiRequest) -> dict[str, Any]:
    """One membership."""
    return views.member(
        service(req, MemberApi).get_member(req.path["image_id"], req.path["member_id"])
    )


@router.route("PUT", "/v2/images/{image_id}/members/{member_id}", body=schemas.MEMBER_UPDATE)
def update_member(req: ApiRequest) -> dict[str, Any]:
    """The member accepts or rejects the image (only the member project itself may)."""
    member = service(req, MemberApi).update_member(
        req.path["image_id"], req.path["member_id"], req.body["status"]
    )
    return views.member(member)


@router.route("DELETE", "/v2/images/{image_id}/members/{member_id}", status=204)
def delete_member(req: ApiRequest) -> None:
    """Stop sharing the image with a project."""
    service(req, MemberApi).delete_member(req.path["image_id"], req.path["member_id"])
