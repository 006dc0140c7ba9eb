#!/bin/bash
# build-rootfs.sh CACHE_DIR - the system suite's Debian 12 root filesystem,
# made once from the Debian archive with mmdebstrap and cached:
#   CACHE_DIR/rootfs-<key>.tar
# The package list is the union of tests/system/rootfs-packages.d/*.txt (one
# package per line, "#" comments); rootfs-packages.d/*.hook are shell scripts
# run after the packages are installed (mmdebstrap --customize-hook; $1 = the
# root directory, e.g. `chroot "$1" a2dismod ...`) for a package whose
# default setup would disturb the others; key = hash of the suite, variant,
# the sorted list and the hooks, so changing any of them builds a new image.
# Prints the tar's path. Concurrent callers wait on CACHE_DIR/.lock.
# The image boots systemd with Debian's cloud kernel (from the rootfs) and
# carries the runtime dependencies of openlve's .debs and of the checks (the
# VM has no network: the .debs are installed with dpkg -i).
set -euo pipefail
cache=${1:?usage: build-rootfs.sh CACHE_DIR}
here=$(dirname "$(readlink -f "$0")")
mirror=${OPENLVE_SYSTEM_MIRROR:-http://deb.debian.org/debian}
list=$(cat "$here"/rootfs-packages.d/*.txt | sed 's/#.*//' | tr -s ' \t' '\n\n' | grep -v '^$' | LC_ALL=C sort -u)
for p in $list; do
	case "$p" in
	[a-z0-9]*) ;;
	*) echo "build-rootfs: bad package name '$p' in $here/rootfs-packages.d/" >&2; exit 1 ;;
	esac
done
pkgs=$(echo "$list" | paste -sd, -)
hooks=$(LC_ALL=C ls "$here"/rootfs-packages.d/*.hook 2>/dev/null || true)
hook_args=()
for h in $hooks; do hook_args+=(--customize-hook="sh '$h' \"\$1\""); done
key=$( (printf 'bookworm minbase v2\n%s\n' "$list"; for h in $hooks; do cat "$h"; done) | sha256sum | cut -c1-16)
tar="$cache/rootfs-$key.tar"

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$tar" ] && [ -s "$tar" ]; then
	touch "$tar" # in use: kept by the clean-up below
	echo "$tar"
	exit 0
fi
command -v mmdebstrap >/dev/null || { echo "build-rootfs: mmdebstrap not installed (scripts/install-deps.sh)" >&2; exit 1; }
tmp="$cache/.rootfs-$key.$$.tar" # mmdebstrap picks the format from the name
trap 'rm -f "$tmp"' EXIT
echo "build-rootfs: mmdebstrap bookworm from $mirror (once; cached in $cache)" >&2
t0=$(date +%s)
mmdebstrap --quiet --variant=minbase --include="$pkgs" "${hook_args[@]}" bookworm "$tmp" "$mirror" >&2
mv "$tmp" "$tar"
trap - EXIT
echo "build-rootfs: built $tar in $(($(date +%s) - t0)) s" >&2
# images of other package lists unused for two days (branches with other
# lists may share the cache, so recent ones stay)
find "$cache" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -mtime +1 -delete
echo "$tar"
