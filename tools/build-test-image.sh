#!/usr/bin/env bash
# Build the Stratus test guest image from Debian packages only (no other downloads).
#
#   tools/build-test-image.sh OUTDIR
#
# Produces, in OUTDIR:
#   vmlinuz        the Debian cloud kernel (linux-image-cloud-amd64, unpacked with dpkg -x; the
#                  host's own kernel packages are untouched)
#   initrd.img     busybox-static + dropbear + the virtio/cdrom/vfat/isofs modules the guest
#                  needs, and the init in tools/test-image/ (DHCP on eth0, OpenStack metadata from
#                  a config-2 config drive or 169.254.169.254, keys for user cirros, a login
#                  banner on ttyS0, the SSH server)
#   cirros.qcow2   a bootable disk (SYSLINUX on a FAT file system holding vmlinuz + initrd.img;
#                  the guest mounts that file system read-write at /data, so files kept there
#                  survive reboots, snapshots and resize reverts)
#   MANIFEST       package versions and sizes; .build-key is the cache key
#
# The image registers either as one bootable disk (cirros.qcow2) or AMI-style as kernel (aki:
# vmlinuz) + ramdisk (ari: initrd.img) + root disk (ami: cirros.qcow2) with kernel_id/ramdisk_id.
# Idempotent: a re-run with the same package versions and guest files does nothing.
# Runs as root (apt-get installs missing build tools); takes a minute the first time.
set -euo pipefail
out=${1:?usage: tools/build-test-image.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
guest="$here/test-image"
kernel_meta=${STRATUS_TEST_KERNEL:-linux-image-cloud-amd64}
modules=(virtio_pci virtio_net virtio_blk virtio_scsi virtio_rng virtio_console virtio_balloon
  sd_mod sr_mod ata_piix isofs vfat nls_cp437 nls_ascii nls_utf8 button evdev)
# NOTE: qemu-system-x86 is not needed to build, but everything that uses the image boots it.
tools=(busybox-static dropbear-bin syslinux syslinux-common mtools cpio qemu-utils qemu-system-x86)

sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "build-test-image: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    "${sudo_cmd[@]}" apt-get update -q >/dev/null
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

kernel_pkg() { apt-cache depends "$kernel_meta" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
kpkg=$(kernel_pkg)
if [[ -z "$kpkg" ]]; then
  "${sudo_cmd[@]}" apt-get update -q >/dev/null
  kpkg=$(kernel_pkg)
fi
[[ -n "$kpkg" ]] || { echo "build-test-image: no package behind $kernel_meta" >&2; exit 1; }
kver_pkg=$(apt-cache policy "$kpkg" | awk '/Candidate:/{print $2}')
kver=${kpkg#linux-image-}
versions=$(dpkg-query -W -f='${Package}=${Version}\n' "${tools[@]}"; echo "$kpkg=$kver_pkg")
key=$( (echo "$versions"; echo "${modules[*]}"; cat "$0";
  cd "$guest" && find . -type f | LC_ALL=C sort | xargs sha1sum) | sha1sum | cut -c1-16)

if [[ -f "$out/.build-key" && "$(cat "$out/.build-key")" == "$key" && -f "$out/vmlinuz" \
      && -f "$out/initrd.img" && -f "$out/cirros.qcow2" ]]; then
  echo "build-test-image: $out is up to date ($kpkg $kver_pkg)"
  exit 0
fi

tmp=$(mktemp -d /tmp/stratus-image.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "build-test-image: building in $tmp ($kpkg $kver_pkg)" >&2

# 1. The kernel package, unpacked (never installed).
(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$kpkg=$kver_pkg" >/dev/null)
dpkg-deb -x "$tmp"/linux-image-*.deb "$tmp/kernel"
busybox depmod -b "$tmp/kernel" "$kver"

# 2. The initramfs root: busybox applets, dropbear and its libraries, modules, guest files.
root="$tmp/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,mnt,root,var/log,lib64}
mkdir -p "$root/home/cirros/.ssh" "$root/lib/x86_64-linux-gnu"
cp /bin/busybox "$root/bin/busybox"
for applet in $(busybox --list-full); do
  [[ -e "$root/$applet" ]] || ln -s /bin/busybox "$root/$applet"
done
ln -sf /bin/busybox "$root/init"
for bin in /usr/sbin/dropbear /usr/bin/dropbearkey; do
  cp "$bin" "$root$bin"
  for lib in $(ldd "$bin" | awk '/=> \//{print $3} /^\t\/lib64/{print $1}'); do
    cp -L "$lib" "$root$lib"
  done
done

moddir="lib/modules/$kver"
needed=$(awk -v want=" ${modules[*]} " '
  { name = $1; sub(":", "", name); n = split(name, p, "/"); base = p[n]; sub(".ko$", "", base);
    gsub("-", "_", base); deps[name] = $0; bybase[base] = name }
  END {
    split(substr(want, 2), ws, " ");
    for (i in ws) if (ws[i] != "") stack[++sp] = bybase[ws[i]];
    while (sp > 0) {
      m = stack[sp--]; if (m == "" || seen[m]) continue; seen[m] = 1; print m;
      k = split(deps[m], d, " "); for (j = 2; j <= k; j++) stack[++sp] = d[j];
    }
  }' "$tmp/kernel/$moddir/modules.dep")
for m in $needed; do
  mkdir -p "$root/$moddir/$(dirname "$m")"
  cp "$tmp/kernel/$moddir/$m" "$root/$moddir/$m"
done
cp "$tmp/kernel/$moddir"/modules.{order,builtin} "$root/$moddir/"
busybox depmod -b "$root" "$kver"
printf '%s\n' "${modules[@]}" > "$root/etc/modules"

cp -a "$guest"/. "$root"/
hash=$(busybox mkpasswd -m sha512 gocubsgo)
cat > "$root/etc/passwd" <<EOF
root:*:0:0:root:/root:/bin/sh
cirros:$hash:1000:1000:cirros:/home/cirros:/bin/sh
EOF
printf 'root:x:0:\ntty:x:5:\ncirros:x:1000:\n' > "$root/etc/group"
echo "$key" > "$root/etc/stratus-release"
chmod 700 "$root/home/cirros/.ssh"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 > "$tmp/initrd.img"
# NOTE: -R 0:0 above makes every file root's; the cirros home is fixed up at boot (chown in
# stratus-metadata), so the archive does not depend on the build user's ids.
cp "$tmp/kernel/boot/vmlinuz-$kver" "$tmp/vmlinuz"

# 3. The bootable disk: SYSLINUX on an unpartitioned FAT file system (SeaBIOS boots it like a
# superfloppy), holding the same kernel and initramfs.
size_mb=$(( ( $(stat -c %s "$tmp/vmlinuz") + $(stat -c %s "$tmp/initrd.img") ) / 1048576 + 8 ))
truncate -s "${size_mb}M" "$tmp/disk.raw"
mformat -i "$tmp/disk.raw" -v STRATUS -T $((size_mb * 2048)) -h 64 -s 32 ::
cat > "$tmp/syslinux.cfg" <<'EOF'
DEFAULT stratus
PROMPT 0
TIMEOUT 0
LABEL stratus
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND console=tty0 console=ttyS0,115200n8
EOF
mcopy -i "$tmp/disk.raw" "$tmp/vmlinuz" "$tmp/initrd.img" "$tmp/syslinux.cfg" ::/
syslinux --install "$tmp/disk.raw"
qemu-img convert -f raw -O qcow2 -c "$tmp/disk.raw" "$tmp/cirros.qcow2"

mkdir -p "$out"
for f in vmlinuz initrd.img cirros.qcow2; do
  mv -f "$tmp/$f" "$out/$f.new" && mv -f "$out/$f.new" "$out/$f"
done
{
  echo "# Stratus test guest image, built by tools/build-test-image.sh"
  echo "$versions"
  (cd "$out" && stat -c '%n %s' vmlinuz initrd.img cirros.qcow2)
} > "$out/MANIFEST"
echo "$key" > "$out/.build-key"
echo "build-test-image: $out: $(cd "$out" && du -sh vmlinuz initrd.img cirros.qcow2 | tr '\t\n' ': ')"
