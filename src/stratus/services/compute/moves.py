"""Server actions that change what an instance is built from or where it runs: resize (with
confirm / revert), cold migrate, rebuild and snapshot (createImage).

Resize and migrate go to the conductor (``migrate_server``: schedule, claim, then the hosts'
prep/resize/finish steps); the instance then waits in VERIFY_RESIZE (vm_state ``resized``)
until ``confirmResize`` (cast to the source host) or ``revertResize`` (cast to the
destination). Rebuild and snapshot are cast to the instance's host.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import Instance, InstanceSystemMetadata
from stratus.db.repositories.compute import instances, server_refs
from stratus.objects import states as s
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance as InstanceObject
from stratus.objects.request_spec import RequestSpec
from stratus.services import quota
from stratus.services.compute import server_status
from stratus.services.compute import validation as check
from stratus.services.compute.cast_guard import migration_back
from stratus.services.compute.create import group_spec
from stratus.services.compute.servers import ServerApi, Transition
from stratus.services.image.images import ImageFilters, ImageView, NewImage, PageRequest

RESIZE = Transition("resize", (s.ACTIVE, s.STOPPED), new_task_state=s.RESIZE_PREP, record="resize")
MIGRATE = Transition(
    "migrate", (s.ACTIVE, s.STOPPED), new_task_state=s.RESIZE_PREP, record="migrate"
)
CONFIRM = Transition("confirmResize", (s.RESIZED,), record="confirmResize")
REVERT = Transition(
    "revertResize", (s.RESIZED,), new_task_state=s.RESIZE_REVERTING, record="revertResize"
)
REBUILD = Transition(
    "rebuild", (s.ACTIVE, s.STOPPED, s.ERROR), new_task_state=s.REBUILDING, record="rebuild"
)
SNAPSHOT = Transition(
    "createImage",
    (s.ACTIVE, s.STOPPED, s.PAUSED, s.SUSPENDED),
    new_task_state=s.IMAGE_SNAPSHOT_PENDING,
    record="createImage",
)
_SYSTEM_KEYS = {
    "image_base_image_ref",
    "image_min_ram",
    "image_min_disk",
    "image_disk_format",
    "image_container_format",
    "image_name",
}


def image_meta_of(session: Session, row: Instance) -> ImageMeta | None:
    """What the instance was booted from, rebuilt from its system metadata."""
    if not row.image_ref:
        return None
    sysmeta = instances.system_metadata(session, row.uuid)
    return ImageMeta(
        id=row.image_ref,
        name=sysmeta.get("image_name", ""),
        disk_format=sysmeta.get("image_disk_format") or None,
        container_format=sysmeta.get("image_container_format") or None,
        min_disk=int(sysmeta.get("image_min_disk") or 0),
        min_ram=int(sysmeta.get("image_min_ram") or 0),
        properties={
            k[len("image_") :]: v
            for k, v in sysmeta.items()
            if k.startswith("image_") and k not in _SYSTEM_KEYS
        },
    )


def request_spec(
    session: Session, row: Instance, flavor: Flavor, destination: str | None = None
) -> RequestSpec:
    group = server_refs.server_group(session, row.server_group_uuid or "")
    return RequestSpec(
        project_id=row.project_id,
        user_id=row.user_id,
        flavor=flavor,
        image=image_meta_of(session, row),
        availability_zone=row.availability_zone,
        requested_destination=destination,
        **group_spec(session, group),
    )


# -- resize and migrate --------------------------------------------------------------------
def resize(api: ServerApi, uuid: str, flavor_ref: str, auto_disk_config: bool | None) -> None:
    with api.db.read() as session:
        new = check.flavor(session, flavor_ref, api.ctx.project_id, api.is_admin)
    spec: list[RequestSpec] = []

    def apply(session: Session, row: Instance) -> None:
        old = Flavor.model_validate(row.flavor)
        if old.flavorid == new.flavorid:
            raise exceptions.Invalid("When resizing, instances must change flavor!")
        if new.root_gb == 0 and old.root_gb != 0:
            raise exceptions.Invalid("Resize to zero disk flavor is not allowed.")
        if new.root_gb < old.root_gb:
            raise exceptions.Invalid(
                "Server disk was unable to be resized because: Unable to resize disk down."
            )
        deltas = {"cores": new.vcpus - old.vcpus, "ram": new.memory_mb - old.memory_mb}
        quota.enforce(session, api.cfg, row.project_id, row.user_id, deltas)
        if auto_disk_config is not None:
            row.auto_disk_config = auto_disk_config
        spec.append(request_spec(session, row, new))

    api.act(
        uuid,
        RESIZE,
        lambda _i: api.conductor.migrate_server(uuid, new, None, spec[-1]),
        apply,
        target="conductor",
    )


def migrate(api: ServerApi, uuid: str, host: str | None) -> None:
    """Admin cold migration, to ``host`` (2.56) or wherever the scheduler says."""
    spec: list[RequestSpec] = []

    def apply(session: Session, row: Instance) -> None:
        if host is not None:
            if host == row.host:
                raise exceptions.Invalid(
                    f"The target host can't be the same one: {host} is where the server runs."
                )
            if not server_refs.compute_node_exists(session, host, None):
                raise exceptions.Invalid(f"Compute host {host} could not be found.")
        spec.append(request_spec(session, row, Flavor.model_validate(row.flavor), host))

    api.act(
        uuid,
        MIGRATE,
        lambda _i: api.conductor.migrate_server(uuid, None, host, spec[-1]),
        apply,
        target="conductor",
    )


def _finished_migration(session: Session, row: Instance, status: str) -> Any:
    migration = server_refs.latest_migration(session, row.uuid, ("finished",), lock=True)
    if migration is None:
        raise exceptions.Invalid("Instance has not been resized.")
    migration.status = status
    return migration


def confirm_resize(api: ServerApi, uuid: str) -> None:
    found: list[Any] = []

    def apply(session: Session, row: Instance) -> None:
        migration = _finished_migration(session, row, "confirming")
        found.append((migration.source_compute, server_refs.migration_ref(migration)))

    def send(instance: InstanceObject) -> None:
        source, ref = found[-1]
        api.compute.confirm_resize(str(source or instance.host), instance, ref)

    api.act(
        uuid, CONFIRM, send, apply, lambda ses, row: migration_back(ses, row.uuid, "confirming")
    )


def revert_resize(api: ServerApi, uuid: str) -> None:
    found: list[Any] = []

    def apply(session: Session, row: Instance) -> None:
        migration = _finished_migration(session, row, "reverting")
        found.append((migration.dest_compute, server_refs.migration_ref(migration)))

    def send(instance: InstanceObject) -> None:
        dest, ref = found[-1]
        api.compute.revert_resize(str(dest or instance.host), instance, ref)

    api.act(uuid, REVERT, send, apply, lambda ses, row: migration_back(ses, row.uuid, "reverting"))


# -- rebuild ---------------------------------------------------------------------------------
def rebuild(api: ServerApi, uuid: str, image_ref: str, changes: dict[str, Any]) -> None:
    """Re-create the root disk from ``image_ref``; ``changes`` holds column values (name,
    metadata, key_name, user_data, access IPs, description, auto_disk_config)."""
    if "user_data" in changes:
        check.user_data(changes["user_data"])  # the same rules as at create
    image = check.Images(api.db, api.cfg, api.ctx, api.image_policy).get(image_ref)
    unset_key = "key_name" in changes and changes["key_name"] is None
    key_name = changes.pop("key_name", None)
    with api.db.read() as session:
        row = api.load(session, uuid)
        check.image_fits(image, Flavor.model_validate(row.flavor))
        key = check.keypair(session, api.ctx.user_id, key_name) if key_name else None
        new_key = (key.name, key.public_key) if key is not None else None
        if "metadata" in changes:
            check.metadata_items(session, api.cfg, row.project_id, changes["metadata"])

    before: dict[str, Any] = {}

    def apply(session: Session, row: Instance) -> None:
        # NOTE: may run twice (transient DB error): reads ``changes``, never pops from it
        before.clear()
        before.update(_rebuild_state(session, row, changes))
        row.image_ref = image.id
        meta = changes.get("metadata")
        if meta is not None:
            instances.set_metadata(session, row.uuid, meta, replace=True)
        for name, value in changes.items():
            if name != "metadata":
                setattr(row, name, value)
        if new_key is not None:
            row.key_name, row.key_data = new_key
        elif unset_key:
            row.key_name, row.key_data = None, None
        _replace_image_metadata(session, row.uuid, image)

    def send(instance: InstanceObject) -> None:
        assert instance.host is not None
        api.compute.rebuild_instance(instance.host, instance, check.image_meta(image))

    def undo(session: Session, row: Instance) -> None:
        # NOTE: the cast failed, so the host never saw the new values: put the old ones back
        columns, meta, sysmeta = before["columns"], before["metadata"], before["sysmeta"]
        for name, value in columns.items():
            setattr(row, name, value)
        instances.set_metadata(session, row.uuid, meta, replace=True)
        _set_image_metadata(session, row.uuid, sysmeta)

    api.act(uuid, REBUILD, send, apply, undo=undo)


def _rebuild_state(session: Session, row: Instance, changes: dict[str, Any]) -> dict[str, Any]:
    """What a rebuild may change, as it is before: for undoing it when its cast fails."""
    names = {"image_ref", "key_name", "key_data", *(n for n in changes if n != "metadata")}
    sysmeta = instances.system_metadata(session, row.uuid)
    return {
        "columns": {name: getattr(row, name) for name in names},
        "metadata": instances.metadata(session, row.uuid),
        "sysmeta": {k: v for k, v in sysmeta.items() if k.startswith("image_")},
    }


def _replace_image_metadata(session: Session, uuid: str, image: ImageView) -> None:
    _set_image_metadata(session, uuid, check.system_metadata(image))


def _set_image_metadata(session: Session, uuid: str, values: dict[str, str]) -> None:
    """Replace the instance's ``image_*`` system metadata with ``values``."""
    rows = session.query(InstanceSystemMetadata).filter(
        InstanceSystemMetadata.instance_uuid == uuid,
        InstanceSystemMetadata.key.like("image\\_%", escape="\\"),
    )
    rows.delete(synchronize_session=False)
    for key, value in values.items():
        session.add(InstanceSystemMetadata(instance_uuid=uuid, key=key, value=value))


# -- snapshot --------------------------------------------------------------------------------
def create_image(api: ServerApi, uuid: str, name: str, metadata: dict[str, str]) -> str:
    """Create a queued image and cast ``snapshot_instance``; the new image's id."""
    # NOTE: the caller's metadata wins over the default image_type, as in Nova's create_image.
    return _snapshot(api, uuid, name, {"image_type": "snapshot", **metadata}, {})


def create_backup(
    api: ServerApi, uuid: str, name: str, backup_type: str, rotation: int, metadata: dict[str, str]
) -> str:
    """A snapshot kept as backup ``backup_type``; older backups of that type beyond
    ``rotation`` are deleted (Nova rotates once the upload ends; Stratus when the new one is
    asked for, which leaves the same backups once it is done)."""
    extra = {"image_type": "backup", "backup_type": backup_type}
    image_id = _snapshot(api, uuid, name, metadata, extra)
    images = check.Images(api.db, api.cfg, api.ctx, api.image_policy).api
    filters = ImageFilters(properties={"instance_uuid": uuid, **extra}, os_hidden=None)
    found, _next = images.list_images(filters, PageRequest(1000, sort=[("created_at", "desc")]))
    # NOTE: rotation 0 keeps just the new backup (Nova would delete it too once uploaded).
    for old in [i for i in found if i.id != image_id][max(rotation - 1, 0) :]:
        images.delete(old.id)
    return image_id


def _snapshot(
    api: ServerApi, uuid: str, name: str, metadata: dict[str, str], extra: dict[str, str]
) -> str:
    with api.db.read() as session:
        row = api.load(session, uuid)
        api.check_lock(row)
        server_status.check(SNAPSHOT.action, uuid, row.vm_state, row.task_state, SNAPSHOT.vm_states)
        api.check_host(session, row)
        new = _snapshot_image(session, row, name, {**metadata, **extra})
    images = check.Images(api.db, api.cfg, api.ctx, api.image_policy)
    image = images.create_snapshot(new)

    def send(instance: InstanceObject) -> None:
        assert instance.host is not None
        api.compute.snapshot_instance(instance.host, instance, image.id, api.ctx.auth_token or "")

    try:
        api.act(uuid, SNAPSHOT, send)
    except exceptions.StratusError:
        # NOTE: a refused action or an unsent cast (503) leaves no queued image behind
        images.api.delete(image.id)
        raise
    return image.id


def _snapshot_image(
    session: Session, row: Instance, name: str, metadata: dict[str, str]
) -> NewImage:
    base = image_meta_of(session, row)
    flavor = Flavor.model_validate(row.flavor)
    properties = dict(base.properties) if base else {}
    properties.update(
        {
            "instance_uuid": row.uuid,
            "user_id": row.user_id,
            "base_image_ref": row.image_ref,
        }
    )
    properties.update(metadata)
    return NewImage(
        name=name,
        visibility="private",
        disk_format=(base.disk_format if base else None) or "raw",
        container_format=(base.container_format if base else None) or "bare",
        min_disk=max(flavor.root_gb, base.min_disk if base else 0),
        min_ram=base.min_ram if base else 0,
        properties=properties,
    )
