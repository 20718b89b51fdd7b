"""Instance disks: the per-host base image cache and every ``qemu-img`` call the driver makes.

Base images are downloaded once per image per host (``ImageCache``), their checksum verified
against the image service's ``os_hash_value`` (or the MD5 ``checksum``), then converted to a
qcow2 base. Kernel and ramdisk images (``aki``/``ari``) are kept byte for byte. Root disks are
qcow2 overlays on the base; ephemeral disks blank qcow2; swap raw with a swap signature.

Every ``qemu-img`` invocation names the source format explicitly (``-f``, and ``-F`` for a
backing file): letting qemu-img guess the format of guest-controlled data is how a raw image
that *looks* like qcow2 reads host files (CVE-2015-5162 family).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from stratus.objects.image import ImageMeta
from stratus.virt.driver import DriverError

GiB = 1024**3
# Fetcher(image_id, dest): write the image's data to ``dest``, return its metadata.
Fetcher = Callable[[str, Path], ImageMeta]
# qemu-img's name for each image service disk_format it can read
QEMU_FORMATS = {
    "qcow2": "qcow2",
    "raw": "raw",
    "ami": "raw",
    "iso": "raw",
    "vmdk": "vmdk",
    "vdi": "vdi",
    "vhd": "vpc",
    "vhdx": "vhdx",
}
KERNEL_FORMATS = ("aki", "ari")


def run_qemu_img(argv: Sequence[str], timeout: float = 3600) -> str:
    """Run ``qemu-img``; returns stdout, raises ``DriverError`` with its message."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DriverError(f"{argv[0]} {argv[1]} failed: {exc}") from exc
    if proc.returncode != 0:
        raise DriverError(f"qemu-img {argv[1]} failed: {proc.stderr.strip()}")
    return proc.stdout


@dataclasses.dataclass(frozen=True)
class CachedImage:
    """A verified image in the host's cache."""

    path: Path
    format: str  # qemu-img format of ``path`` ("qcow2"; "raw" for kernels and ramdisks)
    meta: ImageMeta
    virtual_size: int


def verify_checksum(path: Path, meta: ImageMeta) -> None:
    """Raise ``DriverError`` unless ``path`` matches the image's published hash."""
    if meta.os_hash_algo and meta.os_hash_value:
        algo, expected = meta.os_hash_algo, meta.os_hash_value
    elif meta.checksum:
        algo, expected = "md5", meta.checksum
    else:
        raise DriverError(f"image {meta.id} has no checksum to verify its data against")
    try:
        digest = hashlib.new(algo)
    except ValueError as exc:
        raise DriverError(f"image {meta.id}: unknown hash algorithm {algo!r}") from exc
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise DriverError(
            f"image {meta.id} failed verification: {algo} is {digest.hexdigest()}, "
            f"the image service says {expected}"
        )


def qemu_format(meta: ImageMeta) -> str:
    fmt = QEMU_FORMATS.get(meta.disk_format or "")
    if fmt is None:
        raise DriverError(f"image {meta.id}: disk format {meta.disk_format!r} cannot be booted")
    return fmt


def virtual_size(path: Path, fmt: str, qemu_img: str = "qemu-img", share: bool = False) -> int:
    argv = [qemu_img, "info", "-f", fmt, "--output=json"]
    if share:
        argv.append("-U")
    info = json.loads(run_qemu_img([*argv, str(path)]))
    return int(info["virtual-size"])


class ImageCache:
    """Base images under ``base_dir``: ``<image id>`` plus ``<image id>.json`` (metadata).

    The record's mtime is the image's last use (a build took it, or the image cache manager
    found an instance using it); ``imagecache.py`` removes images unused for long enough.
    """

    def __init__(self, base_dir: Path, qemu_img: str = "qemu-img") -> None:
        self.base_dir = base_dir
        self.qemu_img = qemu_img
        self._pins: collections.Counter[str] = collections.Counter()
        self._pins_lock = threading.Lock()

    def _record(self, image_id: str) -> Path:
        return self.base_dir / f"{image_id}.json"

    @contextlib.contextmanager
    def pinned(self, *image_ids: str) -> Iterator[None]:
        """Keep ``image_ids`` in the cache while a new disk is being based on them."""
        wanted = [i for i in image_ids if i]
        with self._pins_lock:
            self._pins.update(wanted)
        try:
            yield
        finally:
            with self._pins_lock:
                self._pins.subtract(wanted)

    def is_pinned(self, image_id: str) -> bool:
        with self._pins_lock:
            return self._pins[image_id] > 0

    def cached_ids(self) -> list[str]:
        """The images in the cache (those with data and a record)."""
        if not self.base_dir.is_dir():
            return []
        return sorted(
            p.name[: -len(".json")]
            for p in self.base_dir.glob("*.json")
            if (self.base_dir / p.name[: -len(".json")]).is_file()
        )

    def last_used(self, image_id: str) -> float:
        """When the image was last used (seconds since the epoch)."""
        return self._record(image_id).stat().st_mtime

    def mark_used(self, image_id: str, now: float | None = None) -> None:
        with contextlib.suppress(OSError):
            os.utime(self._record(image_id), None if now is None else (now, now))

    def remove(self, image_id: str) -> bool:
        """Remove an image unless a build holds it pinned; returns whether it was removed."""
        with self._locked(image_id):
            if self.is_pinned(image_id):
                return False
            for path in (self._record(image_id), self.base_dir / image_id):
                path.unlink(missing_ok=True)
        return True

    @contextlib.contextmanager
    def _locked(self, image_id: str) -> Iterator[None]:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        with open(self.base_dir / f".{image_id}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _cached(self, image_id: str) -> CachedImage | None:
        path, sidecar = self.base_dir / image_id, self._record(image_id)
        if not (path.exists() and sidecar.exists()):
            return None
        record = json.loads(sidecar.read_text())
        return CachedImage(
            path=path,
            format=record["format"],
            meta=ImageMeta.model_validate(record["meta"]),
            virtual_size=int(record["virtual_size"]),
        )

    def get(self, image_id: str, fetch: Fetcher) -> CachedImage:
        """The cached, verified base of ``image_id``, fetching and converting it the first time.

        Concurrent callers for one image wait for a single download.
        """
        with self._locked(image_id):
            cached = self._cached(image_id)
            if cached is not None:
                self.mark_used(image_id)
                return cached
            part = self.base_dir / f"{image_id}.part"
            try:
                meta = fetch(image_id, part)
                verify_checksum(part, meta)
                return self._store(image_id, part, meta)
            finally:
                for leftover in (part, self.base_dir / f"{image_id}.converting"):
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()

    def _store(self, image_id: str, part: Path, meta: ImageMeta) -> CachedImage:
        dest = self.base_dir / image_id
        if meta.disk_format in KERNEL_FORMATS:
            part.replace(dest)
            fmt, size = "raw", dest.stat().st_size
        else:
            converting = self.base_dir / f"{image_id}.converting"
            run_qemu_img(
                [self.qemu_img, "convert", "-f", qemu_format(meta), "-O", "qcow2",
                 str(part), str(converting)]
            )  # fmt: skip
            converting.replace(dest)
            fmt, size = "qcow2", virtual_size(dest, "qcow2", self.qemu_img)
        record = {"format": fmt, "virtual_size": size, "meta": meta.model_dump(mode="json")}
        self._record(image_id).write_text(json.dumps(record))
        return CachedImage(path=dest, format=fmt, meta=meta, virtual_size=size)


def create_overlay(base: CachedImage, dest: Path, size: int, qemu_img: str = "qemu-img") -> None:
    """A qcow2 overlay on ``base`` of ``size`` bytes (at least the base's virtual size)."""
    size = max(size, base.virtual_size)
    run_qemu_img(
        [qemu_img, "create", "-q", "-f", "qcow2", "-F", base.format, "-b", str(base.path),
         str(dest), str(size)]
    )  # fmt: skip


def create_blank(dest: Path, size_gb: int, qemu_img: str = "qemu-img") -> None:
    run_qemu_img([qemu_img, "create", "-q", "-f", "qcow2", str(dest), f"{size_gb}G"])


def create_swap(dest: Path, size_mb: int) -> None:
    """A sparse raw disk with a Linux swap signature (when ``mkswap`` is installed)."""
    with open(dest, "wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    mkswap = shutil.which("mkswap")
    if mkswap:
        subprocess.run([mkswap, "-q", str(dest)], capture_output=True, check=False, timeout=60)


def resize(path: Path, size: int, qemu_img: str = "qemu-img") -> None:
    """Grow a qcow2 disk to ``size`` bytes (never shrinks: a smaller size is refused)."""
    current = virtual_size(path, "qcow2", qemu_img)
    if size < current:
        raise DriverError(f"cannot shrink disk from {current // GiB} GiB to {size // GiB} GiB")
    if size > current:
        run_qemu_img([qemu_img, "resize", "-q", "-f", "qcow2", str(path), str(size)])


def export_qcow2(src: Path, dest: Path, qemu_img: str = "qemu-img") -> None:
    """A standalone (no backing file) compressed qcow2 copy of the qcow2 ``src``.

    ``-U`` lets it read a disk that a paused QEMU holds open; the caller pauses the guest.
    """
    run_qemu_img(
        [qemu_img, "convert", "-U", "-f", "qcow2", "-O", "qcow2", "-c", str(src), str(dest)]
    )


def copy_file(src: Path, dest: Path) -> None:
    """Copy a disk file, keeping it sparse where the file system allows (reflink if it can)."""
    proc = subprocess.run(
        ["cp", "--reflink=auto", "--sparse=always", str(src), str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DriverError(f"copying {src.name} failed: {proc.stderr.strip()}")
