#!/bin/sh
# panel-script.sh CLOUDLINUX_STATISTICS LVESTATS_CONF INFO_FILE
# What a control panel's plugin does with openlve's files and tools, written
# the way panel authors write it: jq over `cloudlinux-statistics --json`
# (id, average CPU in % of one core, average PMEM in MB) and awk over
# /var/lve/info (id, CPU usage in % of its limit from the SPEED-unit
# fields 3 and 4, PMEM in MB from field 10 in 4 KiB pages). Used by
# test-cl-tools.
set -eu
"$1" --config "$2" --json |
	jq -r '.users[] | "\(.id) \(.usage.cpu.lve) \(.usage.pmem.lve)"' |
	awk '{ printf "stats %s %.1f %d\n", $1, $2, $3 / 1048576 }'
awk -F, 'NR > 1 { printf "info %s %.1f %d\n", $1, $5 ? $4 * 100 / $5 : 0, $11 * 4096 / 1048576 }' "$3"
