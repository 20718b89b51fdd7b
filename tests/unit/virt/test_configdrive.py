"""Config drives: a real ISO 9660 image (genisoimage), read back with isoinfo; the QEMU CD-ROM.

genisoimage/isoinfo come from the Debian package ``genisoimage`` (tools/install-deps.sh).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.unit.network.metadata.samples import KEY, metadata

from stratus.objects.image import ImageMeta
from stratus.virt import configdrive
from stratus.virt.driver import DriverError
from stratus.virt.qemu import build, domain
from stratus.virt.qemu.layout import InstanceDir


def isoinfo(*args: str) -> str:
    return subprocess.run(["isoinfo", *args], capture_output=True, text=True, check=True).stdout


def read(iso: Path, path: str) -> str:
    return isoinfo("-R", "-i", str(iso), "-x", path)


def test_config_drive_is_an_iso_labelled_config_2_with_the_metadata(tmp_path: Path) -> None:
    md = metadata()
    iso = tmp_path / "disk.config"
    configdrive.make(md, iso)
    assert "Volume id: config-2" in isoinfo("-d", "-i", str(iso))
    listing = isoinfo("-R", "-f", "-i", str(iso)).split()
    for path in (
        "/openstack/latest/meta_data.json",
        "/openstack/latest/user_data",
        "/openstack/latest/network_data.json",
        "/openstack/latest/vendor_data.json",
        "/openstack/2012-08-10/meta_data.json",
        "/ec2/latest/meta-data.json",
        "/ec2/2009-04-04/meta-data.json",
    ):
        assert path in listing
    meta = json.loads(read(iso, "/openstack/latest/meta_data.json"))
    assert meta["uuid"] == md.instance.uuid
    assert meta["public_keys"] == {"mykey": KEY}
    assert read(iso, "/openstack/latest/user_data") == "#!/bin/sh\necho hello\n"
    net = json.loads(read(iso, "/openstack/latest/network_data.json"))
    assert net["links"][0]["ethernet_mac_address"] == "fa:16:3e:00:00:0a"
    assert json.loads(read(iso, "/ec2/latest/meta-data.json"))["hostname"] == "demo"
    assert not list(tmp_path.glob(".configdrive-*"))  # the staging tree is gone


def test_config_drive_is_required_when_asked_or_by_the_image() -> None:
    inst = metadata().instance
    image = ImageMeta(id="i", name="i", disk_format="qcow2", container_format="bare")
    assert not configdrive.required(inst, image)
    assert configdrive.required(inst.model_copy(update={"config_drive": True}), image)
    mandatory = image.model_copy(update={"properties": {"img_config_drive": "mandatory"}})
    assert configdrive.required(inst, mandatory)


def test_metadata_of_a_build_knows_the_key_type() -> None:
    md = metadata()
    assert configdrive.metadata_of(md.instance, md.vifs).key_type == "ssh"
    cert = md.instance.model_copy(update={"key_data": "-----BEGIN CERTIFICATE-----\nMII..."})
    assert configdrive.metadata_of(cert, []).key_type == "x509"


def test_missing_iso_tools_are_a_clear_driver_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configdrive.shutil, "which", lambda name: None)
    with pytest.raises(DriverError, match="apt-get install genisoimage"):
        configdrive.make(metadata(), tmp_path / "disk.config")


def test_bad_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bad config drive path"):
        configdrive.write_tree({"../escape": b"x"}, tmp_path)


def test_qemu_attaches_the_config_drive_as_a_cdrom(tmp_path: Path) -> None:
    d = InstanceDir.of(tmp_path / "instances", tmp_path / "run", "u1")
    d.root.mkdir(parents=True)
    d.disk.write_bytes(b"")
    assert [disk.media for disk in build.disk_list(d)] == ["disk"]
    d.config_drive.write_bytes(b"")
    disks = build.disk_list(d)
    assert [disk.media for disk in disks] == ["disk", "cdrom"]
    spec = domain.DomainSpec(uuid="u1", memory_mb=64, vcpus=1, accel="tcg", disks=disks)
    argv = domain.build_argv(spec, d)
    drive = argv[argv.index("ide-cd,drive=drive1") - 2]
    assert f"file={d.config_drive}" in drive and "media=cdrom" in drive and "readonly=on" in drive
