#!/bin/bash
# check-debian-symbols.sh SOURCE_ROOT - TAP: the Debian symbols files list
# exactly the names the version scripts export (debian/liblve0.symbols <->
# src/liblve/liblve.sym, debian/libopenlve-cgroup1.symbols <->
# src/libcgroup/libopenlve-cgroup.sym), so a new or removed export cannot
# reach a package unnoticed. Regenerate a symbols file after changing a
# version script: build the package, then dpkg-gensymbols -pPKG -Pdebian/PKG
# (tests/system/README.md).
set -u
src=${1:?usage: check-debian-symbols.sh SOURCE_ROOT}
n=0
fail=0
exported() { # version script -> names, one per line, sorted
	sed -n '/global:/,/local:/p' "$1" | sed 's|/\*.*\*/||' | tr -d ' \t' |
		grep -E '^[A-Za-z_][A-Za-z0-9_]*;$' | tr -d ';' | sort -u
}
listed() { # symbols file, version -> names
	grep -E "^ [A-Za-z_][A-Za-z0-9_]*@$2 " "$1" | sed 's/^ //; s/@.*//' | grep -vx "$2" | sort -u
}
one() { # symbols file, version script, version node
	local sym=$1 vs=$2 node=$3 missing extra
	n=$((n + 1))
	missing=$(comm -23 <(exported "$vs") <(listed "$sym" "$node"))
	extra=$(comm -13 <(exported "$vs") <(listed "$sym" "$node"))
	if [ -z "$missing" ] && [ -z "$extra" ] && [ -n "$(exported "$vs")" ]; then
		echo "ok $n - $(basename "$sym") matches $(basename "$vs")"
	else
		echo "not ok $n - $(basename "$sym") matches $(basename "$vs")"
		[ -n "$missing" ] && echo "$missing" | sed 's/^/# exported but not in the symbols file: /'
		[ -n "$extra" ] && echo "$extra" | sed 's/^/# in the symbols file but not exported: /'
		fail=1
	fi
}
one "$src/debian/liblve0.symbols" "$src/src/liblve/liblve.sym" LIBLVE_0
one "$src/debian/libopenlve-cgroup1.symbols" "$src/src/libcgroup/libopenlve-cgroup.sym" OPENLVE_CGROUP_1
echo "1..$n"
exit $fail
