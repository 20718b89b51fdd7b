#!/usr/bin/env bash
# Install what Stratus needs on a Debian 12 machine: Debian packages (apt-get) and the Python
# virtual environment in .venv.
#
#   tools/install-deps.sh up     packages and Python libraries to run the cloud (+ openstack CLI)
#   tools/install-deps.sh test   ... plus what the test suite needs (PostgreSQL, RabbitMQ, linters)
#
# Idempotent and quick when nothing changed: apt-get runs only for missing packages, pip only when
# pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-up}

packages=(qemu-utils)
# NOTE: the QEMU driver's tests boot real guests (TCG) in network namespaces of their own.
[[ "$mode" == test ]] && packages+=(postgresql rabbitmq-server qemu-system-x86 dnsmasq-base
  busybox-static dropbear-bin cpio openssh-client iproute2 nftables)
# NOTE: novnc is the console's web client (the proxy serves /usr/share/novnc); the console test
# drives headless Chromium through chromedriver.
packages+=(novnc)
[[ "$mode" == test ]] && packages+=(chromium chromium-driver)
# NOTE: genisoimage builds config drives (--config-drive True) and its isoinfo reads them in tests;
# openssh-client is what `stratus ssh` runs.
packages+=(genisoimage openssh-client)
# NOTE: `stratus up` runs real VMs (the qemu driver, TCG where KVM does not work) and builds the
# test guest image from Debian packages (tools/build-test-image.sh: kernel, busybox, dropbear,
# SYSLINUX on a FAT disk made with mtools).
packages+=(qemu-system-x86 qemu-utils busybox-static dropbear-bin cpio syslinux syslinux-common
  mtools)
# NOTE: compute hosts build each network's dataplane (linuxbridge backend) in network namespaces:
# iproute2 (ip netns, bridges, taps), dnsmasq-base (DHCP), dnsmasq-utils (dhcp_release: a
# deleted port's lease goes with it), nftables (security groups).
packages+=(iproute2 dnsmasq-base dnsmasq-utils nftables)
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}" >&2
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null; then
    "${sudo_cmd[@]}" apt-get update -q >/dev/null
    "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null
  fi
fi

# NOTE: the qemu driver runs guests' QEMU as this unprivileged system user ([qemu] user; QEMU's
# -runas after it opened its files as root): no home, no shell, no groups. The agent never
# creates users; without this one QEMU runs as root (and the agent logs that).
if ! getent passwd stratus-qemu >/dev/null; then
  echo "install-deps: useradd --system stratus-qemu" >&2
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --comment "Stratus QEMU guests" stratus-qemu
fi

extra=client; [[ "$mode" == test ]] && extra=test
inputs=(pyproject.toml); [[ -f constraints.txt ]] && inputs+=(constraints.txt)
hash=$(cat "${inputs[@]}" | sha1sum | cut -c1-12)
stamp=".venv/.installed-$extra-$hash"
# NOTE: the test extra includes the client extra, so a test install also serves `make up`.
if [[ ! -f "$stamp" && ! -f ".venv/.installed-test-$hash" ]]; then
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  cons=(); [[ -f constraints.txt ]] && cons=(-c constraints.txt)
  .venv/bin/python -m pip install -q "${cons[@]}" -e ".[$extra]"
  rm -f .venv/.installed-"$extra"-*
  touch "$stamp"
fi
