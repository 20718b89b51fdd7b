"""Default policy rules of the image API, named and shaped like Glance's secure-RBAC defaults.

Targets (built by ``stratus.services.image.images.ImageService.target``)::

    project_id   the image owner            owner       the same
    visibility   public|private|shared|community
    member_id    the member project concerned (the caller's, if it is a member of the image)

Roles: ``admin`` may do everything; ``member`` of the owning project may create and change;
``reader`` may list, show and download; ``service`` (the compute hosts' service user) may show and
download any image, as a compute host must to boot one, and nothing else. Glance relies on
Keystone's implied roles (admin ⇒ member ⇒ reader); the ``is_reader``/``is_member`` rules accept
the stronger roles as well so the defaults hold even for tokens listing only one role.

Deviations from Glance: readers may download (Glance asks for ``member``); Glance's
``service_api`` rule guards only image locations (Nova fetches with the user's token), while
Stratus's compute hosts fetch as the service user.
"""

from __future__ import annotations

_VISIBLE = (
    "project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s"
    " or 'public':%(visibility)s or 'shared':%(visibility)s"
)

RULES: dict[str, str] = {
    "default": "",
    "context_is_admin": "role:admin",
    "service_api": "role:service or role:admin",
    "is_member": "role:member or role:admin",
    "is_reader": "role:reader or role:member or role:admin",
    "admin_or_project_member": "role:admin or (rule:is_member and project_id:%(project_id)s)",
    "admin_or_project_reader": "role:admin or (rule:is_reader and project_id:%(project_id)s)",
    "admin_or_image_reader": f"role:admin or (rule:is_reader and ({_VISIBLE}))",
    "admin_or_shared_member_reader": (
        "role:admin or (rule:is_reader and (project_id:%(project_id)s or project_id:%(member_id)s))"
    ),
    # images
    "add_image": (
        "role:admin or (rule:is_member and project_id:%(project_id)s and project_id:%(owner)s)"
    ),
    "get_image": "rule:admin_or_image_reader or rule:service_api",
    "get_images": "rule:admin_or_project_reader",
    "modify_image": "rule:admin_or_project_member",
    "publicize_image": "role:admin",
    "communitize_image": "rule:admin_or_project_member",
    "delete_image": "rule:admin_or_project_member",
    "deactivate": "rule:admin_or_project_member",
    "reactivate": "rule:admin_or_project_member",
    # image data
    "upload_image": "rule:admin_or_project_member",
    "download_image": "rule:admin_or_image_reader or rule:service_api",
    # members
    "add_member": "rule:admin_or_project_member",
    "delete_member": "rule:admin_or_project_member",
    "get_member": "rule:admin_or_shared_member_reader",
    "get_members": "rule:admin_or_shared_member_reader",
    "modify_member": "role:admin or (rule:is_member and project_id:%(member_id)s)",
}
