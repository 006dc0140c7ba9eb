#!/bin/sh
# Install every Debian 12 package openlve needs to build, run and test.
# Idempotent; run as root. The single source of truth for dependencies.
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="
  build-essential meson ninja-build pkg-config git
  libxml2-dev libsqlite3-dev libpam0g-dev libpq-dev libsystemd-dev
  libcgroup-dev libcairo2-dev libssl-dev
  qemu-system-x86 busybox-static cpio xz-utils zstd kmod
  pamtester valgrind python3 sqlite3
  clang libclang-rt-14-dev
  postgresql
  jq python3-jsonschema
  libmariadb-dev mariadb-server
  mmdebstrap debhelper dpkg-dev lintian e2fsprogs apache2-dev
  apache2 apache2-dev php8.2-fpm libapache2-mod-php8.2 nginx-light apache2-suexec-pristine
"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get install); re-run with sudo" >&2
	exit 1
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
echo "install-deps: all packages installed"
