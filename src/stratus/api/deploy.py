"""Wiring the API services of one process: database, keys, bootstrap, catalog, applications.

``prepare`` does the one-time work of a controller start (schema migration, key repositories,
identity bootstrap, catalog registration); ``build_apps`` builds every API application sharing
one database and one token validator. ``stratus up`` and ``stratus api`` use both; tests too.
"""

from __future__ import annotations

import dataclasses
import logging

from starlette.applications import Starlette

from stratus.api.common.policy import Enforcer
from stratus.api.compute import app as compute_app
from stratus.api.compute import policies as compute_policies
from stratus.api.compute.state import ComputeState
from stratus.api.identity import app as identity_app
from stratus.api.identity import policies as identity_policies
from stratus.api.identity.state import IdentityState
from stratus.api.image import app as image_app
from stratus.api.image.app import ImageState
from stratus.api.network import app as network_app
from stratus.api.network import policies as network_policies
from stratus.api.network.state import NetworkState
from stratus.common import private_paths
from stratus.common.config import Config
from stratus.db import migrate
from stratus.db.session import Database
from stratus.identity import fernet
from stratus.messaging.bus import MessageBus
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from stratus.services.compute import bootstrap as compute_bootstrap
from stratus.services.identity import bootstrap
from stratus.services.identity.catalog import ServiceSpec, ensure_service
from stratus.services.identity.credentials_crypto import CredentialCipher
from stratus.services.identity.tokens import TokenService
from stratus.services.network import bootstrap as network_bootstrap
from stratus.services.network import events as network_events

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class ApiApp:
    """One REST API: its name, the port it listens on, the ASGI app (and, when it is not the
    APIs' bind host, the address it listens on)."""

    name: str
    port: int
    app: Starlette
    host: str | None = None


def credential_key_repository(cfg: Config) -> str:
    return str(cfg.state_path / "credential-keys")


def service_specs(cfg: Config) -> list[ServiceSpec]:
    """The catalog entries of the services this deployment runs."""
    return [
        ServiceSpec(
            "identity", "keystone", "Stratus Identity", cfg.endpoint_url(cfg.identity.port, "/v3")
        ),
        ServiceSpec("image", "glance", "Stratus Image", cfg.endpoint_url(cfg.image.port)),
        ServiceSpec(
            "compute", "nova", "Stratus Compute", cfg.endpoint_url(cfg.compute.api_port, "/v2.1")
        ),
        ServiceSpec(
            "network", "neutron", "Stratus Networking", cfg.endpoint_url(cfg.network.api_port)
        ),
    ]


def open_database(cfg: Config) -> Database:
    return Database.from_config(cfg)


def prepare(cfg: Config, db: Database) -> None:
    """Migrate, create key repositories, bootstrap identity, register the catalog. Idempotent."""
    private_paths.make_dir(cfg.state_path, tighten_existing=True)
    migrate.sync(db.engine)
    if fernet.setup(cfg.fernet_tokens.key_repository):
        LOG.info("created fernet key repository %s", cfg.fernet_tokens.key_repository)
    fernet.setup(credential_key_repository(cfg))
    bootstrap.run(db, cfg)
    with db.write() as session:
        for spec in service_specs(cfg):
            ensure_service(session, spec, cfg.default.region_name)
    compute_bootstrap.run(db, cfg)
    network_bootstrap.run(db, cfg)


def build_apps(cfg: Config, db: Database, bus: MessageBus) -> list[ApiApp]:
    """Every API application of this process, sharing ``db``, ``bus`` and one token service."""
    tokens = TokenService(db, cfg)
    identity_uri = cfg.endpoint_url(cfg.identity.port)
    identity_state = IdentityState(
        name="identity",
        config=cfg,
        db=db,
        enforcer=Enforcer(identity_policies.RULES, cfg.oslo_policy.policy_file),
        validator=tokens,
        fault_style="keystone",
        identity_uri=identity_uri,
        tokens=tokens,
        credentials=CredentialCipher(credential_key_repository(cfg)),
    )
    apps = [ApiApp("identity", cfg.identity.port, identity_app.build(identity_state))]
    apps.extend(_image_apps(cfg, db, tokens, identity_uri))
    compute_state = ComputeState(
        name="compute",
        config=cfg,
        db=db,
        enforcer=Enforcer(compute_policies.RULES, cfg.oslo_policy.policy_file),
        validator=tokens,
        identity_uri=identity_uri,
        conductor=ConductorAPI(bus),
        compute=ComputeAPI(bus, timeout=cfg.default.rpc_response_timeout),
    )
    apps.append(ApiApp("compute", cfg.compute.api_port, compute_app.build(compute_state)))
    # NOTE: security-group and network changes reach the compute hosts' dataplane by fanout
    network_events.install_for(cfg, compute_state.compute)
    network_state = NetworkState(
        name="network",
        config=cfg,
        db=db,
        enforcer=Enforcer(network_policies.RULES, cfg.oslo_policy.policy_file),
        validator=tokens,
        fault_style="neutron",
        identity_uri=identity_uri,
    )
    apps.append(ApiApp("network", cfg.network.api_port, network_app.build(network_state)))
    return apps


def _image_apps(cfg: Config, db: Database, tokens: TokenService, identity_uri: str) -> list[ApiApp]:
    state = ImageState.create(cfg, db, tokens, identity_uri=identity_uri)
    return [ApiApp("image", cfg.image.port, image_app.build(state))]
