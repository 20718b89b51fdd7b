"""First-start set-up of networking: the shared ``private`` network so ``networks: auto`` works.

``[network] default_network_name`` ("private") with one subnet ``default_network_cidr``
(10.0.0.0/24: gateway .1, DHCP on, pool .2-.254, DNS from ``[network] dns_nameservers``), shared,
owned by the ``admin`` project of the Default domain. Running it again changes nothing, also when
an operator renamed or re-addressed things since: it only creates what is missing by name.
"""

from __future__ import annotations

import logging

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.repositories.identity import projects
from stratus.db.repositories.network import networks as net_repo
from stratus.db.session import Database
from stratus.services.network import networks, subnets
from stratus.services.network.common import SYSTEM, reading
from stratus.services.network.networks import NetworkInput
from stratus.services.network.subnets import SubnetInput

LOG = logging.getLogger(__name__)
ADMIN_PROJECT = "admin"
DEFAULT_DOMAIN = "default"


def _admin_project(db: Database) -> str | None:
    with reading(db) as session:
        try:
            return projects.find_by_name(session, ADMIN_PROJECT, DEFAULT_DOMAIN).id
        except exceptions.NotFound:
            return None


def run(db: Database, cfg: Config) -> None:
    """Idempotent."""
    owner = _admin_project(db)
    name = cfg.network.default_network_name
    if owner is None or not name:
        LOG.warning("no admin project or no [network] default_network_name: no shared network")
        return
    with reading(db) as session:
        existing = [n for n in net_repo.by_name(session, name, net_repo.visible(None, True))]
        existing_subnets = networks.subnets_of(session, existing[0].id) if existing else []
    if existing:
        network_id = existing[0].id
    else:
        network_id = networks.create_network(
            db,
            cfg,
            SYSTEM,
            NetworkInput(given=frozenset({"shared"}), name=name, shared=True, project_id=owner),
        ).row.id
        LOG.info("created shared network %s (%s)", name, network_id)
    if existing_subnets or not cfg.network.default_network_cidr:
        return
    dns = tuple(s.strip() for s in cfg.network.dns_nameservers.split(",") if s.strip())
    subnet = subnets.create_subnet(
        db,
        cfg,
        SYSTEM,
        SubnetInput(
            given=frozenset(),
            network_id=network_id,
            name=f"{name}-subnet",
            cidr=cfg.network.default_network_cidr,
            dns_nameservers=dns,
            project_id=owner,
        ),
    )
    LOG.info("created subnet %s %s on %s", subnet.name, subnet.cidr, name)
