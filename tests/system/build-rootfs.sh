#!/bin/bash
# build-rootfs.sh CACHE_DIR - the system suite's Debian 12 root filesystem,
# made once from the Debian archive with mmdebstrap and cached:
#   CACHE_DIR/rootfs-<key>.tar   (key: hash of the suite, variant and package list)
# Prints the tar's path. Concurrent callers wait on CACHE_DIR/.lock.
# The image boots systemd with Debian's cloud kernel (from the rootfs) and
# carries the runtime dependencies of openlve's .debs (the VM has no network:
# the packages are installed with dpkg -i), plus sudo and procps for the test.
set -euo pipefail
cache=${1:?usage: build-rootfs.sh CACHE_DIR}
mirror=${OPENLVE_SYSTEM_MIRROR:-http://deb.debian.org/debian}
pkgs=systemd-sysv,udev,linux-image-cloud-amd64,initramfs-tools,e2fsprogs,libxml2,libsqlite3-0,libpq5,libpam-runtime,sudo,procps,apache2,libcairo2,libmariadb3,libssl3
key=$(echo "bookworm minbase v1 $pkgs" | sha256sum | cut -c1-16)
tar="$cache/rootfs-$key.tar"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$tar" ] && [ -s "$tar" ]; then
	echo "$tar"
	exit 0
fi
command -v mmdebstrap >/dev/null || { echo "build-rootfs: mmdebstrap not installed (scripts/install-deps.sh)" >&2; exit 1; }
tmp="$cache/.rootfs-$key.$$.tar" # mmdebstrap picks the format from the name
trap 'rm -f "$tmp"' EXIT
echo "build-rootfs: mmdebstrap bookworm from $mirror (once; cached in $cache)" >&2
mmdebstrap --quiet --variant=minbase --include="$pkgs" bookworm "$tmp" "$mirror" >&2
mv "$tmp" "$tar"
trap - EXIT
# older images of other package lists
find "$cache" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -delete
echo "$tar"
