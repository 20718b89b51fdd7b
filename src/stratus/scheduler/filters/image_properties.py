"""ImagePropertiesFilter: the host's architecture and hypervisor type must suit the image.

Reads the image properties Nova uses: ``hw_architecture`` (or the older ``architecture``) and
``img_hv_type`` (or ``hypervisor_type``). An image without them fits every host. A KVM host also
runs ``qemu`` images, as Nova's libvirt driver reports both domain types.
"""

from __future__ import annotations

from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict, reject

_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "i386": "i686"}


def canonical_arch(value: str) -> str:
    low = value.strip().lower()
    return _ARCH_ALIASES.get(low, low)


def host_hv_types(hypervisor_type: str) -> set[str]:
    low = hypervisor_type.strip().lower()
    return {"kvm", "qemu"} if low == "kvm" else {low}


class ImagePropertiesFilter(Filter):
    name = "ImagePropertiesFilter"
    run_on_rebuild = True

    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        if spec.image is None:
            return PASS
        props = spec.image.properties
        arch = props.get("hw_architecture") or props.get("architecture")
        if arch and canonical_arch(arch) != canonical_arch(host.arch):
            return reject(f"architecture {host.arch}, image needs {arch}")
        hv_type = props.get("img_hv_type") or props.get("hypervisor_type")
        if hv_type and hv_type.strip().lower() not in host_hv_types(host.hypervisor_type):
            return reject(f"hypervisor {host.hypervisor_type}, image needs {hv_type}")
        return PASS
