"""Default policy rules of the identity API (role-based: admin / member / reader).

As in Keystone with its defaults, the ``admin`` role on any scope is a cloud admin; readers and
members manage only themselves (tokens, credentials, application credentials) and see their own
projects and domain.
"""

from __future__ import annotations

ADMIN = "rule:admin_required"

RULES: dict[str, str] = {
    "admin_required": "role:admin",
    "service_role": "role:service",
    "owner": "user_id:%(user_id)s",
    "admin_or_owner": "rule:admin_required or rule:owner",
    "token_subject": "user_id:%(target.token.user_id)s",
    "admin_or_token_subject": "rule:admin_required or rule:service_role or rule:token_subject",
    # tokens
    "identity:validate_token": "rule:admin_or_token_subject",
    "identity:check_token": "rule:admin_or_token_subject",
    "identity:revoke_token": "rule:admin_or_token_subject",
    "identity:get_auth_catalog": "",
    "identity:get_auth_projects": "",
    "identity:get_auth_domains": "",
    "identity:get_auth_system": "",
    # domains
    "identity:get_domain": (
        "rule:admin_required or project_domain_id:%(target.domain.id)s"
        " or domain_id:%(target.domain.id)s"
    ),
    "identity:list_domains": ADMIN,
    "identity:create_domain": ADMIN,
    "identity:update_domain": ADMIN,
    "identity:delete_domain": ADMIN,
    # projects
    "identity:get_project": "rule:admin_required or project_id:%(target.project.id)s",
    "identity:list_projects": ADMIN,
    "identity:list_user_projects": "rule:admin_or_owner",
    "identity:create_project": ADMIN,
    "identity:update_project": ADMIN,
    "identity:delete_project": ADMIN,
    "identity:list_project_tags": "rule:admin_required or project_id:%(target.project.id)s",
    "identity:update_project_tags": ADMIN,
    # users
    "identity:get_user": "rule:admin_required or user_id:%(target.user.id)s",
    "identity:list_users": ADMIN,
    "identity:create_user": ADMIN,
    "identity:update_user": ADMIN,
    "identity:delete_user": ADMIN,
    "identity:change_password": "rule:admin_or_owner",
    "identity:list_groups_for_user": "rule:admin_or_owner",
    # groups
    "identity:get_group": ADMIN,
    "identity:list_groups": ADMIN,
    "identity:create_group": ADMIN,
    "identity:update_group": ADMIN,
    "identity:delete_group": ADMIN,
    "identity:list_users_in_group": ADMIN,
    "identity:add_user_to_group": ADMIN,
    "identity:remove_user_from_group": ADMIN,
    "identity:check_user_in_group": ADMIN,
    # roles and assignments
    "identity:get_role": ADMIN,
    "identity:list_roles": ADMIN,
    "identity:create_role": ADMIN,
    "identity:update_role": ADMIN,
    "identity:delete_role": ADMIN,
    "identity:list_implied_roles": ADMIN,
    "identity:get_implied_role": ADMIN,
    "identity:check_implied_role": ADMIN,
    "identity:create_implied_role": ADMIN,
    "identity:delete_implied_role": ADMIN,
    "identity:list_role_inference_rules": ADMIN,
    "identity:check_grant": ADMIN,
    "identity:list_grants": ADMIN,
    "identity:create_grant": ADMIN,
    "identity:revoke_grant": ADMIN,
    "identity:list_role_assignments": ADMIN,
    "identity:list_system_grants_for_user": ADMIN,
    "identity:check_system_grant_for_user": ADMIN,
    "identity:create_system_grant_for_user": ADMIN,
    "identity:revoke_system_grant_for_user": ADMIN,
    "identity:list_system_grants_for_group": ADMIN,
    "identity:check_system_grant_for_group": ADMIN,
    "identity:create_system_grant_for_group": ADMIN,
    "identity:revoke_system_grant_for_group": ADMIN,
    # catalog
    "identity:get_region": "",
    "identity:list_regions": "",
    "identity:create_region": ADMIN,
    "identity:update_region": ADMIN,
    "identity:delete_region": ADMIN,
    "identity:get_service": ADMIN,
    "identity:list_services": ADMIN,
    "identity:create_service": ADMIN,
    "identity:update_service": ADMIN,
    "identity:delete_service": ADMIN,
    "identity:get_endpoint": ADMIN,
    "identity:list_endpoints": ADMIN,
    "identity:create_endpoint": ADMIN,
    "identity:update_endpoint": ADMIN,
    "identity:delete_endpoint": ADMIN,
    # credentials
    "identity:get_credential": "rule:admin_required or user_id:%(target.credential.user_id)s",
    "identity:list_credentials": "",
    "identity:create_credential": "rule:admin_required or user_id:%(target.credential.user_id)s",
    "identity:update_credential": "rule:admin_required or user_id:%(target.credential.user_id)s",
    "identity:delete_credential": "rule:admin_required or user_id:%(target.credential.user_id)s",
    "identity:ec2_get_credential": "rule:admin_required or user_id:%(target.credential.user_id)s",
    "identity:ec2_list_credentials": "rule:admin_or_owner",
    "identity:ec2_create_credential": "rule:admin_or_owner",
    "identity:ec2_delete_credential": (
        "rule:admin_required or user_id:%(target.credential.user_id)s"
    ),
    # application credentials
    "identity:get_application_credential": "rule:admin_or_owner",
    "identity:list_application_credentials": "rule:admin_or_owner",
    "identity:create_application_credential": "rule:owner",
    "identity:delete_application_credential": "rule:admin_or_owner",
    # access rules (of application credentials)
    "identity:get_access_rule": "rule:admin_or_owner",
    "identity:list_access_rules": "rule:admin_or_owner",
    "identity:delete_access_rule": "rule:admin_or_owner",
}
