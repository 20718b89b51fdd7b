"""Typed settings: one INI file (``stratus.conf``) plus environment overrides.

The file mirrors ``nova.conf`` from the OpenStack installation guides: keys that exist there keep
their names (``[DEFAULT] transport_url``, ``my_ip``, ``[database] connection`` ...). Every key
can be overridden from the environment: ``STRATUS_<KEY>`` for ``[DEFAULT]`` and
``STRATUS_<SECTION>__<KEY>`` for any other section (``STRATUS_DATABASE__CONNECTION=...``).

``load()`` never needs a file: with none, every service runs on embedded defaults (SQLite under the
data directory, the in-process message bus).

Values may refer to ``$state_path`` (the data directory), as oslo.config allows.
"""

from __future__ import annotations

import configparser
import dataclasses
import logging
import os
import socket
import typing
from pathlib import Path
from typing import Any

from stratus.common.config_recovery import ConductorSection

LOG = logging.getLogger(__name__)

ENV_PREFIX = "STRATUS_"


@dataclasses.dataclass
class DefaultSection:
    """``[DEFAULT]``: process-wide settings."""

    state_path: str = "./var"
    transport_url: str = "memory://"
    my_ip: str = ""
    host: str = ""
    region_name: str = "RegionOne"
    report_interval: int = 10
    service_down_time: int = 60
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    debug: bool = False
    log_format: str = "text"
    log_file: str = ""
    rpc_response_timeout: int = 60


@dataclasses.dataclass
class DatabaseSection:
    """``[database]``: the SQL database every control-plane service shares."""

    connection: str = "sqlite:///$state_path/stratus.sqlite"
    pool_size: int = 10
    max_overflow: int = 20
    connection_debug: bool = False


@dataclasses.dataclass
class ApiSection:
    """``[api]``: settings shared by every REST API endpoint."""

    bind_host: str = "0.0.0.0"
    public_host: str = ""
    max_request_body_size: int = 114688
    max_string_length: int = 255


@dataclasses.dataclass
class IdentitySection:
    """``[identity]``: the Keystone-compatible identity service."""

    port: int = 5000
    password_hash_rounds: int = 12
    max_password_length: int = 4096
    default_domain_id: str = "default"
    # Where compute hosts find the identity service (catalog lookups with a user's token);
    # empty: http://<my_ip>:<port>/v3 (see ``Config.auth_url``).
    auth_url: str = ""


@dataclasses.dataclass
class SecurityComplianceSection:
    """``[security_compliance]``: Keystone's lockout (on by default here), a hashing bound."""

    # failed password checks in a row that lock a user out; 0 disables lockout
    lockout_failure_attempts: int = 6
    # seconds a locked user stays locked; 0: until an admin re-enables the user
    lockout_duration: int = 1800
    # password/secret verifications of unauthenticated requests that hash at once (Stratus);
    # 0: one per CPU of this process
    max_concurrent_password_checks: int = 0
    # further such requests that may wait for a turn; beyond that they get 503 + Retry-After
    password_check_queue_size: int = 8


@dataclasses.dataclass
class TokenSection:
    """``[token]``: token lifetime and behaviour."""

    expiration: int = 3600
    allow_rescope_scoped_token: bool = True
    cache_time: int = 5


@dataclasses.dataclass
class FernetSection:
    """``[fernet_tokens]``: the key repository used to encrypt tokens."""

    key_repository: str = "$state_path/fernet-keys"
    max_active_keys: int = 3


@dataclasses.dataclass
class ImageSection:
    """``[image]``: the Glance-compatible image service."""

    port: int = 9292
    filesystem_store_datadir: str = "$state_path/images"
    image_size_cap: int = 1099511627776
    qemu_img: str = "qemu-img"
    inspect_timeout: int = 60
    # per-project limits, named and counted as Glance's unified limits (-1 = unlimited):
    # images owned, MiB of image data stored, uploads in progress
    image_count_total: int = 100
    image_size_total: int = 102400
    image_count_uploading: int = 10
    upload_timeout: int = 3600  # saving this long without new data: killed (0: never)


@dataclasses.dataclass
class ComputeSection:
    """``[compute]``: the compute API and the compute agents."""

    api_port: int = 8774
    # qemu: real virtual machines (``stratus up`` default); fake: in-memory, for scale tests
    virt_driver: str = "qemu"
    # qemu driver acceleration: kvm | qemu (TCG emulation) | auto (probe KVM by booting a guest)
    virt_type: str = "auto"
    instances_path: str = "$state_path/instances"
    default_availability_zone: str = "nova"
    internal_service_availability_zone: str = "internal"
    allow_resize_to_same_host: bool = True
    reserved_host_memory_mb: int = 512
    reserved_host_disk_mb: int = 0
    reserved_host_cpus: int = 0
    max_concurrent_builds: int = 10
    sync_power_state_interval: int = 600
    # ``stratus up`` with the qemu driver builds the test guest image (tools/build-test-image.sh)
    # and registers it as the public image ``cirros`` when missing
    register_test_image: bool = True
    test_image_dir: str = "$state_path/test-image"
    resize_confirm_window: int = 0
    max_microversion: str = "2.79"


@dataclasses.dataclass
class QemuSection:
    """``[qemu]``: how the qemu driver confines QEMU and caps console logs (libvirt's qemu.conf
    ``user`` and ``seccomp_sandbox``, virtlogd.conf ``max_size`` and ``max_backups``)."""

    # the unprivileged user QEMU switches to once its files and taps are open (-runas; the
    # agent must run as root); empty: QEMU keeps the agent's user
    user: str = "stratus-qemu"
    # QEMU's seccomp filter: -sandbox on,obsolete=deny,spawn=deny,resourcecontrol=deny,...
    seccomp_sandbox: bool = True
    # bytes per console log file, and rotated files kept (console.log.0, .1, ...)
    console_log_max_size: int = 2097152
    console_log_max_backups: int = 3


@dataclasses.dataclass
class ImageCacheSection:
    """``[image_cache]``: the compute hosts' base image cache manager (Nova's section)."""

    # seconds between runs; 0: every 60 s; -1: never
    manager_interval: int = 2400
    remove_unused_base_images: bool = True
    # a cached image no instance on the host used for this long is removed
    remove_unused_original_minimum_age_seconds: int = 86400


@dataclasses.dataclass
class SchedulerSection:
    """``[scheduler]``: which filters and weighers run, and how hard to try."""

    enabled_filters: str = (
        "ComputeFilter,AvailabilityZoneFilter,RamFilter,CoreFilter,DiskFilter,"
        "ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,"
        "AggregateInstanceExtraSpecsFilter"
    )
    weighers: str = (
        "RAMWeigher,CPUWeigher,DiskWeigher,"
        "ServerGroupSoftAffinityWeigher,ServerGroupSoftAntiAffinityWeigher"
    )
    ram_weight_multiplier: float = 1.0
    cpu_weight_multiplier: float = 1.0
    disk_weight_multiplier: float = 1.0
    # NOTE: larger than the resource weighers' so a soft policy wins over spreading by
    # free RAM/CPU/disk whenever the filters leave a choice (Nova's default 1.0 can lose).
    soft_affinity_weight_multiplier: float = 10.0
    soft_anti_affinity_weight_multiplier: float = 10.0
    max_attempts: int = 3
    host_subset_size: int = 1


@dataclasses.dataclass
class FakeDriverSection:
    """``[fake_driver]``: the resources the fake virt driver pretends each host has."""

    vcpus: int = 16
    memory_mb: int = 32768
    local_gb: int = 1024
    spawn_delay: float = 0.0


@dataclasses.dataclass
class NetworkSection:
    """``[network]``: the Neutron-compatible network API and its dataplane backend."""

    api_port: int = 9696
    # empty: linuxbridge when [compute] virt_driver is qemu, else noop (see ``load``)
    backend: str = ""
    default_network_name: str = "private"
    default_network_cidr: str = "10.0.0.0/24"
    dns_nameservers: str = ""
    base_mac: str = "fa:16:3e:00:00:00"
    # compute hosts serve 169.254.169.254 in each network's DHCP namespace (backends with DHCP)
    metadata_service: bool = True
    # seconds between a compute host's full resync of its dataplane (namespaces, DHCP entries,
    # security-group rules) with the database; changes also arrive at once over the bus
    resync_interval: int = 30
    # most items one list answer holds (Neutron's pagination_max_limit): a bigger or missing
    # ``limit`` gets this many and a ``next`` link; -1 = unlimited
    pagination_max_limit: int = 1000


@dataclasses.dataclass
class ServiceUserSection:
    """``[service_user]``: the credentials compute hosts use to fetch images (Nova's section).

    With no ``password``, it is read from ``<data dir>/service-credentials``, which the identity
    bootstrap writes (an INI fragment of this section: copy it to compute hosts elsewhere).
    """

    # empty: [identity] auth_url (or this machine's identity endpoint)
    auth_url: str = ""
    username: str = "stratus"
    password: str = ""
    project_name: str = "service"
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"


@dataclasses.dataclass
class VncSection:
    """``[vnc]``: the noVNC console: ``stratus novncproxy`` and its console tokens (Nova's
    ``[vnc]`` plus ``[consoleauth] token_ttl``)."""

    enabled: bool = True
    # empty: http://<the instance host's my_ip>:<novncproxy_port>/vnc_auto.html
    novncproxy_base_url: str = ""
    # empty: [api] bind_host
    novncproxy_host: str = ""
    novncproxy_port: int = 6080
    # seconds a console URL stays valid (it also works only once)
    token_ttl: int = 600
    # noVNC's web client (Debian package ``novnc``)
    novnc_dir: str = "/usr/share/novnc"


@dataclasses.dataclass
class QuotaSection:
    """``[quota]``: default per-project limits (-1 = unlimited)."""

    instances: int = 10
    cores: int = 20
    ram: int = 51200
    key_pairs: int = 100
    metadata_items: int = 128
    server_groups: int = 10
    server_group_members: int = 10
    injected_files: int = 5
    injected_file_content_bytes: int = 10240
    injected_file_path_length: int = 255
    network: int = 100
    subnet: int = 100
    port: int = 500
    security_group: int = 10
    security_group_rule: int = 100


@dataclasses.dataclass
class PolicySection:
    """``[oslo_policy]``: optional operator overrides of the default policy rules."""

    policy_file: str = ""


@dataclasses.dataclass
class Config:
    """All settings. Attribute names match INI section names (``DEFAULT`` is ``default``)."""

    default: DefaultSection = dataclasses.field(default_factory=DefaultSection)
    database: DatabaseSection = dataclasses.field(default_factory=DatabaseSection)
    api: ApiSection = dataclasses.field(default_factory=ApiSection)
    identity: IdentitySection = dataclasses.field(default_factory=IdentitySection)
    token: TokenSection = dataclasses.field(default_factory=TokenSection)
    security_compliance: SecurityComplianceSection = dataclasses.field(
        default_factory=SecurityComplianceSection
    )
    fernet_tokens: FernetSection = dataclasses.field(default_factory=FernetSection)
    image: ImageSection = dataclasses.field(default_factory=ImageSection)
    compute: ComputeSection = dataclasses.field(default_factory=ComputeSection)
    qemu: QemuSection = dataclasses.field(default_factory=QemuSection)
    image_cache: ImageCacheSection = dataclasses.field(default_factory=ImageCacheSection)
    scheduler: SchedulerSection = dataclasses.field(default_factory=SchedulerSection)
    fake_driver: FakeDriverSection = dataclasses.field(default_factory=FakeDriverSection)
    network: NetworkSection = dataclasses.field(default_factory=NetworkSection)
    service_user: ServiceUserSection = dataclasses.field(default_factory=ServiceUserSection)
    vnc: VncSection = dataclasses.field(default_factory=VncSection)
    quota: QuotaSection = dataclasses.field(default_factory=QuotaSection)
    oslo_policy: PolicySection = dataclasses.field(default_factory=PolicySection)
    conductor: ConductorSection = dataclasses.field(default_factory=ConductorSection)

    @property
    def state_path(self) -> Path:
        return Path(self.default.state_path)

    @property
    def public_host(self) -> str:
        """Host name or address put into catalog endpoint URLs."""
        return self.api.public_host or self.default.my_ip

    @property
    def auth_url(self) -> str:
        """The identity endpoint other hosts use: ``[identity] auth_url`` or this machine's."""
        if self.identity.auth_url:
            return self.identity.auth_url.rstrip("/")
        host = self.default.my_ip
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.identity.port}/v3"

    def endpoint_url(self, port: int, path: str = "") -> str:
        host = self.public_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{port}{path}"


class ConfigError(ValueError):
    """A setting has a value of the wrong type or an unknown section/key was given."""


def _section_name(attr: str) -> str:
    return "DEFAULT" if attr == "default" else attr


def _coerce(raw: str, kind: Any, where: str) -> Any:
    if kind is bool:
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{where}: expected a boolean, got {raw!r}")
    try:
        return kind(raw.strip()) if kind in (int, float) else raw
    except ValueError as exc:
        raise ConfigError(f"{where}: expected {kind.__name__}, got {raw!r}") from exc


def _set(section: Any, key: str, raw: str, where: str) -> None:
    hints = typing.get_type_hints(type(section))
    if key not in hints:
        LOG.warning("ignoring unknown option %s", where)
        return
    setattr(section, key, _coerce(raw, hints[key], where))


def _expand(cfg: Config) -> None:
    state = str(Path(cfg.default.state_path).expanduser().absolute())
    cfg.default.state_path = state
    for f in dataclasses.fields(cfg):
        section = getattr(cfg, f.name)
        for sf in dataclasses.fields(section):
            value = getattr(section, sf.name)
            if isinstance(value, str) and "$state_path" in value:
                setattr(section, sf.name, value.replace("$state_path", state))


def detect_my_ip() -> str:
    """The address other hosts reach this one on: the source address of the default route.

    A UDP ``connect`` only picks a route; it sends nothing. Falls back to loopback on a machine
    without a default route.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def find_config_file(explicit: str | None, state_path: str | None) -> Path | None:
    """The file to read: explicit, ``$STRATUS_CONFIG``, ``<data dir>/stratus.conf`` or /etc."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("STRATUS_CONFIG")
    if env:
        return Path(env)
    candidates = []
    if state_path:
        candidates.append(Path(state_path) / "stratus.conf")
    candidates.append(Path("/etc/stratus/stratus.conf"))
    return next((p for p in candidates if p.is_file()), None)


def load(
    config_file: str | Path | None = None,
    state_path: str | None = None,
    environ: typing.Mapping[str, str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Config:
    """Settings from defaults < file < environment < ``overrides`` (section -> key -> value)."""
    env = os.environ if environ is None else environ
    cfg = Config()
    path = find_config_file(str(config_file) if config_file else None, state_path)
    if path is not None:
        _read_file(cfg, path)
    _read_env(cfg, env)
    for sec, values in (overrides or {}).items():
        section = getattr(cfg, sec if sec != "DEFAULT" else "default")
        for key, value in values.items():
            setattr(section, key, value)
    if state_path:
        cfg.default.state_path = state_path
    if not cfg.default.my_ip:
        cfg.default.my_ip = detect_my_ip()
    if not cfg.default.host:
        cfg.default.host = socket.gethostname()
    if not cfg.network.backend:
        # NOTE: real VMs need a real dataplane; the fake driver's instances need none.
        cfg.network.backend = "linuxbridge" if cfg.compute.virt_driver == "qemu" else "noop"
    _expand(cfg)
    return cfg


def _read_file(cfg: Config, path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"configuration file {path} does not exist")
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
    parser.read(path)
    sections = {_section_name(f.name): f.name for f in dataclasses.fields(cfg)}
    for name in parser.sections():
        attr = sections.get(name)
        if attr is None:
            LOG.warning("ignoring unknown section [%s] in %s", name, path)
            continue
        for key, raw in parser.items(name):
            _set(getattr(cfg, attr), key, raw, f"[{name}] {key}")


def _read_env(cfg: Config, env: typing.Mapping[str, str]) -> None:
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name == "STRATUS_CONFIG":
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        section_attr, _, key = rest.partition("__")
        if not key:
            section_attr, key = "default", section_attr
        section = getattr(cfg, section_attr, None)
        if section is None or not dataclasses.is_dataclass(section) or key.startswith("_"):
            continue
        if key in typing.get_type_hints(type(section)):
            _set(section, key, raw, name)


def render_ini(cfg: Config) -> str:
    """The settings as an INI document (used to write a sample and by ``stratus manage config``)."""
    lines: list[str] = []
    for f in dataclasses.fields(cfg):
        section = getattr(cfg, f.name)
        lines.append(f"[{_section_name(f.name)}]")
        for sf in dataclasses.fields(section):
            value = getattr(section, sf.name)
            if isinstance(value, bool):
                value = str(value).lower()
            lines.append(f"{sf.name} = {value}")
        lines.append("")
    return "\n".join(lines)


__all__ = ["Config", "ConfigError", "detect_my_ip", "load", "render_ini"]
