from tests.fixtures.compute_hosts import spec
from tests.unit.scheduler.filters.helpers import host

from stratus.objects.image import ImageMeta
from stratus.scheduler.filters.image_properties import ImagePropertiesFilter


def image(**props: str) -> ImageMeta:
    return ImageMeta(id="img", properties=props)


def test_no_image_or_no_properties_passes() -> None:
    f = ImagePropertiesFilter()
    assert f.filter(host(), spec()).passed
    assert f.filter(host(), spec(image=image())).passed


def test_architecture_must_match_with_aliases() -> None:
    f = ImagePropertiesFilter()
    assert f.filter(host(arch="x86_64"), spec(image=image(hw_architecture="amd64"))).passed
    verdict = f.filter(host(arch="x86_64"), spec(image=image(architecture="aarch64")))
    assert not verdict.passed
    assert verdict.reason == "architecture x86_64, image needs aarch64"


def test_hypervisor_type() -> None:
    f = ImagePropertiesFilter()
    assert not f.filter(host(hypervisor_type="fake"), spec(image=image(img_hv_type="qemu"))).passed
    assert f.filter(host(hypervisor_type="QEMU"), spec(image=image(img_hv_type="qemu"))).passed
    # a KVM host runs qemu images too, not the other way round
    assert f.filter(host(hypervisor_type="kvm"), spec(image=image(hypervisor_type="qemu"))).passed
    assert not f.filter(host(hypervisor_type="qemu"), spec(image=image(img_hv_type="kvm"))).passed
