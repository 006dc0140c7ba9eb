#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-man.sh - every exported function of openlve's libraries has a man
# page. Prints TAP; exits non-zero and lists the undocumented names when one
# is missing.
#
#   liblve.sym, lve-ctl.h,   man/<name>.3 (a page, or a ".so man3/x.3" alias)
#   openlve.h
#   libopenlve-cgroup.sym    man/<name>.3, or named in man/libopenlve-cgroup.3
#   include/lve/fairsched.h  functions declared there (when the header
#   include/lve/ubstat.h     exists): man/<name>.[23], or named in
#                            man/<header>.[23] (fairsched.3, ubstat.3, ...)
#
# A name counts as "named" in a page when it appears as a whole word (roff
# font escapes such as \fB before it are allowed): a pattern such as
# "cgroup_set_value_*" does not name cgroup_set_value_bool.
#
# Also checked: every .so alias points to an existing page, every page in
# man/ is listed in man/meson.build (or it would not be installed), and,
# when groff is installed, every page formats without a groff warning.
#
# Usage: check-man.sh [SOURCE_ROOT]   (default: $OPENLVE_SOURCE_ROOT, else ../..)
set -u

root=${1:-${OPENLVE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}}
man="$root/man"
n=0
failed=0
undocumented=()

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# Names between "global:" and "local:" of a linker version script.
sym_names() {
	sed -e 's:/\*.*\*/::g' "$1" |
		awk '/global:/ { on = 1; next } /local:/ { on = 0 } on' |
		tr -d ' \t;' | grep -E '^[A-Za-z_][A-Za-z0-9_]*$'
}

# Functions declared at file scope of a C header (prototypes and inline
# definitions; not typedefs, not macros, not struct members).
header_functions() {
	awk '
	BEGIN { depth = 0; stmt = "" }
	{
		line = $0
		# comments (possibly spanning lines)
		out = ""
		while (length(line) > 0) {
			if (incomment) {
				e = index(line, "*/")
				if (e == 0) { line = ""; break }
				line = substr(line, e + 2); incomment = 0
			} else {
				b = index(line, "/*"); c = index(line, "//")
				if (c > 0 && (b == 0 || c < b)) { out = out substr(line, 1, c - 1); line = ""; break }
				if (b == 0) { out = out line; line = ""; break }
				out = out substr(line, 1, b - 1); line = substr(line, b + 2); incomment = 1
			}
		}
		if (out ~ /^[ \t]*#/) { if (out ~ /\\$/) cont = 1; next }
		if (cont) { cont = (out ~ /\\$/); next }
		for (i = 1; i <= length(out); i++) {
			ch = substr(out, i, 1)
			if (ch == "{" ) {
				if (depth == 0 && stmt ~ /^[ \t]*extern[ \t]*"C"[ \t]*$/) { externc++; stmt = ""; continue }
				if (depth == 0) { emit(stmt); stmt = "" }
				depth++
			} else if (ch == "}") {
				if (depth == 0 && externc > 0) { externc--; stmt = ""; continue }
				depth--
				if (depth == 0) stmt = ""
			} else if (depth == 0) {
				if (ch == ";") { emit(stmt); stmt = "" } else stmt = stmt ch
			}
		}
		if (depth == 0) stmt = stmt " "
	}
	function emit(s,   p, name) {
		if (s ~ /^[ \t]*(typedef|extern[ \t]+"C")/) return
		if (s !~ /^[ \t]*[A-Za-z_][A-Za-z0-9_ \t*]*[ \t*][A-Za-z_][A-Za-z0-9_]*[ \t]*\(/) return
		p = index(s, "(")
		name = substr(s, 1, p - 1)
		sub(/[ \t]+$/, "", name)
		sub(/.*[^A-Za-z0-9_]/, "", name)
		if (name != "") print name
	}' "$1"
}

# True when page $2 names $1 as a whole word.
names() {
	grep -Eq "(^|[^A-Za-z0-9_]|\\\\f[BIRP])$1([^A-Za-z0-9_]|\$)" "$2"
}

# The page man/<name>.<sec> exists (a page or an alias to an existing page).
has_page() {
	local name=$1 sec f target
	shift
	for sec in "$@"; do
		f="$man/$name.$sec"
		[ -f "$f" ] || continue
		target=$(sed -n '1s/^\.so[ \t]\{1,\}man[1-8]\///p' "$f")
		if [ -n "$target" ]; then
			[ -f "$man/$target" ] && return 0
			continue
		fi
		return 0
	done
	return 1
}

check_symbol() {
	local lib=$1 name=$2 how=$3 page=${4:-}

	if has_page "$name" 3 || { [ "$how" = header ] && has_page "$name" 2; }; then
		ok "$lib: $name has a man page"
	elif [ -n "$page" ] && [ -f "$man/$page" ] && names "$name" "$man/$page"; then
		ok "$lib: $name is documented in man/$page"
	else
		not_ok "$lib: $name has no man page${page:+ and is not named in man/$page}"
		undocumented+=("$name")
	fi
}

if [ ! -d "$man" ] || [ ! -f "$root/src/liblve/liblve.sym" ]; then
	echo "1..0 # SKIP no source tree at $root"
	exit 0
fi

# --- liblve.so.0 ------------------------------------------------------------
declare -A header_of=()
for h in fairsched ubstat; do
	[ -f "$root/include/lve/$h.h" ] || continue
	for f in $(header_functions "$root/include/lve/$h.h"); do
		header_of[$f]=$h
	done
done

declare -A seen=()
for s in $(sym_names "$root/src/liblve/liblve.sym"); do
	seen[$s]=1
	if [ -n "${header_of[$s]:-}" ]; then
		h=${header_of[$s]}
		if [ -f "$man/$h.2" ] && [ ! -f "$man/$h.3" ]; then page=$h.2; else page=$h.3; fi
		check_symbol liblve "$s" header "$page"
	else
		check_symbol liblve "$s" sym
	fi
done

# Functions declared in liblve's headers but missing from liblve.sym.
for h in lve-ctl openlve; do
	[ -f "$root/include/lve/$h.h" ] || continue
	for f in $(header_functions "$root/include/lve/$h.h"); do
		[ -n "${seen[$f]:-}" ] && continue
		seen[$f]=1
		check_symbol "$h.h" "$f" sym
	done
done

# Functions of the OpenVZ headers (wherever they are exported).
for f in "${!header_of[@]}"; do
	[ -n "${seen[$f]:-}" ] && continue
	h=${header_of[$f]}
	if [ -f "$man/$h.2" ] && [ ! -f "$man/$h.3" ]; then page=$h.2; else page=$h.3; fi
	check_symbol "$h.h" "$f" header "$page"
done

# --- libopenlve-cgroup.so.1 ------------------------------------------------
if [ -f "$root/src/libcgroup/libopenlve-cgroup.sym" ]; then
	for s in $(sym_names "$root/src/libcgroup/libopenlve-cgroup.sym"); do
		check_symbol libopenlve-cgroup "$s" sym libopenlve-cgroup.3
	done
fi

# --- the pages themselves ----------------------------------------------------
have_groff=0
command -v groff >/dev/null 2>&1 && have_groff=1
for f in "$man"/*.[1-8]; do
	[ -f "$f" ] || continue
	base=${f##*/}
	if grep -Eq "^[[:space:]]*'$base'[[:space:]]*,?[[:space:]]*(#.*)?\$" "$man/meson.build"; then
		ok "man/$base is installed (man/meson.build)"
	else
		not_ok "man/$base is not listed in man/meson.build"
	fi
	target=$(sed -n '1s/^\.so[ \t]\{1,\}//p' "$f")
	if [ -n "$target" ]; then
		if [ "$(wc -l <"$f")" -eq 1 ] && [[ $target =~ ^man[1-8]/[^/]+$ ]] && [ -f "$man/${target#*/}" ] &&
			[ "${target:3:1}" = "${target##*.}" ]; then
			ok "man/$base is an alias of ${target#*/}"
		else
			not_ok "man/$base: bad alias '.so $target'"
		fi
		continue
	fi
	if [ $have_groff -eq 0 ]; then
		skip "man/$base formats cleanly" "groff not installed"
		continue
	fi
	warn=$(groff -t -man -Tutf8 -ww -z "$f" 2>&1)
	if [ -z "$warn" ]; then
		ok "man/$base formats cleanly"
	else
		not_ok "man/$base formats with warnings"
		printf '%s\n' "$warn" | sed 's/^/# /'
	fi
done

echo "1..$n"
if [ $failed -gt 0 ]; then
	if [ ${#undocumented[@]} -gt 0 ]; then
		echo "# undocumented: ${undocumented[*]}"
		echo "undocumented: ${undocumented[*]}" >&2
	fi
	exit 1
fi
exit 0
