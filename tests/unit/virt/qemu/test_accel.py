"""The KVM-or-TCG decision (with a fake probe) and the probe guest's files."""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import pytest

from stratus.virt.driver import DriverError
from stratus.virt.qemu import accel
from stratus.virt.qemu.accel import Observation


class FakeProbe:
    def __init__(self, seen: bool) -> None:
        self.seen = seen
        self.runs = 0

    def __call__(self) -> Observation:
        self.runs += 1
        detail = "marker in 0.4 s" if self.seen else "no marker within 10 s (no output at all)"
        return Observation(self.seen, 0.4 if self.seen else 10.0, detail)


def test_auto_uses_kvm_only_when_the_guest_printed(tmp_path: Path) -> None:
    cache = tmp_path / "probe.json"
    hangs = FakeProbe(seen=False)
    decision = accel.decide("auto", cache, "k1", None, hangs)
    assert decision.accel == "tcg" and decision.hypervisor_type == "QEMU"
    assert "no marker" in decision.reason and not decision.cached
    works = FakeProbe(seen=True)
    decision = accel.decide("auto", tmp_path / "other.json", "k1", None, works)
    assert decision.accel == "kvm" and decision.hypervisor_type == "KVM"


def test_result_is_cached_per_key(tmp_path: Path) -> None:
    cache = tmp_path / "probe.json"
    probe = FakeProbe(seen=False)
    accel.decide("auto", cache, "kernel-6.1|qemu-7.2", None, probe)
    again = accel.decide("auto", cache, "kernel-6.1|qemu-7.2", None, probe)
    assert probe.runs == 1 and again.cached and again.accel == "tcg"
    assert json.loads(cache.read_text())["key"] == "kernel-6.1|qemu-7.2"
    upgraded = accel.decide("auto", cache, "kernel-6.2|qemu-7.2", None, FakeProbe(seen=True))
    assert upgraded.accel == "kvm" and not upgraded.cached  # new key: probed again


def test_without_usable_kvm_or_kernel_no_probe_runs(tmp_path: Path) -> None:
    probe = FakeProbe(seen=True)
    d = accel.decide("auto", tmp_path / "c.json", "k", "/dev/kvm: No such file or directory", probe)
    assert d.accel == "tcg" and "No such file" in d.reason and probe.runs == 0
    d = accel.decide("auto", tmp_path / "c.json", "k", None, None)
    assert d.accel == "tcg" and "no kernel" in d.reason


def test_explicit_virt_types(tmp_path: Path) -> None:
    probe = FakeProbe(seen=False)
    assert accel.decide("qemu", tmp_path / "c", "k", None, probe).accel == "tcg"
    assert accel.decide("kvm", tmp_path / "c", "k", None, probe).accel == "kvm"
    assert probe.runs == 0  # the operator decided
    with pytest.raises(DriverError, match="KVM is not usable"):
        accel.decide("kvm", tmp_path / "c", "k", "/dev/kvm: Permission denied", probe)
    with pytest.raises(DriverError, match="virt_type must be one of"):
        accel.decide("xen", tmp_path / "c", "k", None, probe)


def test_probe_init_is_a_static_x86_64_executable() -> None:
    elf = accel.probe_init(b"HELLO")
    ident, e_type, machine, _, entry, phoff = struct.unpack_from("<16sHHIQQ", elf)
    assert ident[:4] == b"\x7fELF" and ident[4] == 2 and e_type == 2 and machine == 0x3E
    p_type, flags, offset, vaddr, _, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", elf, phoff)
    assert p_type == 1 and flags == 5 and offset == 0 and filesz == memsz == len(elf)
    assert vaddr <= entry < vaddr + len(elf)
    assert elf.endswith(b"HELLO\n")
    # the lea's displacement points at the message
    code = entry - vaddr
    disp = struct.unpack_from("<i", elf, code + 13)[0]
    assert elf[code + 17 + disp :] == b"HELLO\n"


def test_probe_initramfs_holds_console_and_init() -> None:
    archive = gzip.decompress(accel.probe_initramfs())
    names = []
    offset = 0
    while True:
        assert archive[offset : offset + 6] == b"070701"
        fields = [int(archive[offset + 6 + 8 * i : offset + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = fields[11], fields[6]
        name_at = offset + 110
        name = archive[name_at : name_at + namesize - 1].decode()
        if name == "TRAILER!!!":
            break
        names.append((name, oct(fields[1]), (fields[9], fields[10])))
        data_at = name_at + namesize + (-(110 + namesize) % 4)
        offset = data_at + filesize + (-filesize % 4)
    assert ("dev/console", oct(0o020600), (5, 1)) in names
    assert ("init", oct(0o100755), (0, 0)) in names


def test_cache_key_changes_with_the_kernel(tmp_path: Path) -> None:
    k = tmp_path / "vmlinuz"
    k.write_bytes(b"x" * 10)
    one = accel.cache_key("QEMU 7.2", k)
    k.write_bytes(b"x" * 11)
    assert accel.cache_key("QEMU 7.2", k) != one
    assert accel.cache_key("QEMU 7.2", None).endswith("no-kernel")
