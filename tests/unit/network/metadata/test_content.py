"""The metadata tree: OpenStack and EC2 paths, version gates, config drive files."""

from __future__ import annotations

import base64
import json

import pytest
from tests.unit.network.metadata.samples import KEY, NET, flavor, metadata

from stratus.network.metadata import content, ec2


def get(md: object, path: str) -> bytes:
    answer = content.resolve(md, path)  # type: ignore[arg-type]
    assert answer is not None, f"{path} should exist"
    return answer.body


def get_json(md: object, path: str) -> dict[str, object]:
    answer = content.resolve(md, path)  # type: ignore[arg-type]
    assert answer is not None and answer.content_type == content.JSON
    return dict(json.loads(answer.body))


def test_meta_data_json_latest_has_nova_fields() -> None:
    md = metadata()
    data = get_json(md, "/openstack/latest/meta_data.json")
    assert data["uuid"] == md.instance.uuid
    assert data["name"] == data["hostname"] == "demo"
    assert data["availability_zone"] == "nova"
    assert data["project_id"] == "p1"
    assert data["launch_index"] == 0
    assert data["public_keys"] == {"mykey": KEY}
    assert data["keys"] == [{"name": "mykey", "type": "ssh", "data": KEY}]
    assert data["meta"] == {"role": "web"}
    assert data["devices"] == []
    assert len(base64.b64decode(str(data["random_seed"]))) == content.RANDOM_SEED_BYTES


def test_old_versions_lack_what_came_later() -> None:
    md = metadata()
    old = get_json(md, "/openstack/2012-08-10/meta_data.json")
    assert "public_keys" in old
    assert not {"keys", "project_id", "random_seed", "devices"} & set(old)
    files = get(md, "/openstack/2012-08-10/").decode().split("\n")
    assert files == ["meta_data.json", "user_data"]
    assert content.resolve(md, "/openstack/2012-08-10/network_data.json") is None
    assert "vendor_data2.json" in get(md, "/openstack/latest").decode().split("\n")


def test_without_a_key_there_are_no_public_keys() -> None:
    data = get_json(metadata(key=None), "/openstack/latest/meta_data.json")
    assert "public_keys" not in data and "keys" not in data


def test_user_data_is_served_decoded_and_missing_user_data_is_404() -> None:
    assert get(metadata(), "/openstack/latest/user_data") == b"#!/bin/sh\necho hello\n"
    assert get(metadata(), "/latest/user-data") == b"#!/bin/sh\necho hello\n"
    bare = metadata(user_data=None)
    assert content.resolve(bare, "/openstack/latest/user_data") is None
    assert content.resolve(bare, "/latest/user-data") is None
    assert get(bare, "/latest").decode() == "meta-data/"
    assert get(metadata(), "/latest/").decode().split("\n") == ["meta-data/", "user-data"]


def test_network_data_describes_the_ports() -> None:
    md = metadata()
    data = get_json(md, "/openstack/latest/network_data.json")
    vif = md.vifs[0]
    assert data["links"] == [
        {
            "id": f"tap{vif.port_id[:11]}",
            "vif_id": vif.port_id,
            "type": "bridge",
            "mtu": 1500,
            "ethernet_mac_address": "fa:16:3e:00:00:0a",
        }
    ]
    assert data["networks"] == [
        {"id": "network0", "link": f"tap{vif.port_id[:11]}", "type": "ipv4_dhcp", "network_id": NET}
    ]
    assert data["services"] == [{"type": "dns", "address": "10.0.0.2"}]


def test_vendor_data_is_empty_json() -> None:
    assert get_json(metadata(), "/openstack/latest/vendor_data.json") == {}
    assert get_json(metadata(), "/openstack/latest/vendor_data2.json") == {}


def test_version_listings() -> None:
    md = metadata()
    root = get(md, "/").decode().split("\n")
    assert root[0] == "1.0" and "2009-04-04" in root and root[-1] == "latest"
    versions = get(md, "/openstack").decode().split("\n")
    assert versions[0] == "2012-08-10" and "2018-08-27" in versions and versions[-1] == "latest"


def test_ec2_meta_data_items() -> None:
    md = metadata(flavor=flavor(ephemeral_gb=1, swap=64))
    listing = get(md, "/latest/meta-data/").decode().split("\n")
    for item in (
        "ami-id",
        "instance-id",
        "hostname",
        "local-ipv4",
        "public-keys/",
        "placement/",
        "instance-type",
        "block-device-mapping/",
        "security-groups",
    ):
        assert item in listing  # fmt: skip
    assert get(md, "/latest/meta-data/local-ipv4") == b"10.0.0.5"
    assert get(md, "/latest/meta-data/hostname") == b"demo"
    assert get(md, "/latest/meta-data/instance-type") == b"m1.nano"
    assert get(md, "/latest/meta-data/placement/availability-zone") == b"nova"
    assert get(md, "/latest/meta-data/security-groups") == b"default"
    assert get(md, "/latest/meta-data/instance-id") == ec2.ec2_id("i", md.instance.uuid).encode()
    assert get(md, "/latest/meta-data/instance-id").startswith(b"i-")
    assert get(md, "/latest/meta-data/ami-id").startswith(b"ami-")
    bdm = get(md, "/latest/meta-data/block-device-mapping/").decode().split("\n")
    assert bdm == ["ami", "root", "ephemeral0", "swap"]
    assert get(md, "/latest/meta-data/block-device-mapping/swap") == b"vdc"


def test_ec2_public_keys_paths() -> None:
    md = metadata()
    assert get(md, "/latest/meta-data/public-keys/") == b"0=mykey"
    assert get(md, "/latest/meta-data/public-keys/0/") == b"openssh-key"
    assert get(md, "/2009-04-04/meta-data/public-keys/0/openssh-key") == KEY.encode()
    assert content.resolve(md, "/latest/meta-data/public-keys/0/_name") is None


def test_ec2_version_gates() -> None:
    md = metadata()
    old = get(md, "/1.0/meta-data/").decode().split("\n")
    assert "instance-type" not in old and "placement/" not in old and "instance-id" in old
    assert "placement/" in get(md, "/2008-02-01/meta-data/").decode().split("\n")


@pytest.mark.parametrize(
    "path",
    [
        "/openstack/2011-01-01/meta_data.json",
        "/openstack/latest/nothing.json",
        "/openstack/latest/meta_data.json/extra",
        "/2006-01-01/meta-data/",
        "/latest/meta-data/no-such-item",
        "/latest/meta-data/hostname/deeper",
        "/latest/other",
        "/latest/meta-data/../user-data",
        "/openstack/../latest/user-data",
    ],
)
def test_unknown_paths_are_404(path: str) -> None:
    assert content.resolve(metadata(), path) is None


def test_query_strings_and_double_slashes_are_ignored() -> None:
    md = metadata()
    assert get(md, "//latest//meta-data/hostname?x=1") == b"demo"


def test_config_drive_files() -> None:
    files = content.config_drive_files(metadata())
    assert set(files) >= {
        "openstack/latest/meta_data.json",
        "openstack/latest/user_data",
        "openstack/latest/network_data.json",
        "openstack/latest/vendor_data.json",
        "openstack/2012-08-10/meta_data.json",
        "ec2/latest/meta-data.json",
        "ec2/2009-04-04/meta-data.json",
        "ec2/latest/user-data",
    }
    assert not any(p.startswith("ec2/1.0/") for p in files)
    assert json.loads(files["openstack/latest/meta_data.json"])["public_keys"] == {"mykey": KEY}
    ec2_md = json.loads(files["ec2/latest/meta-data.json"])
    assert ec2_md["public-keys"] == {"0": {"openssh-key": KEY}}
    assert ec2_md["local-ipv4"] == "10.0.0.5"
