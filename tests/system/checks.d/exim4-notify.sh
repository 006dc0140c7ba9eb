#!/bin/bash
# exim4-notify.sh - lved's fault e-mails (src/stats/notify.c, issue 11)
# delivered by Debian's exim4 (the package's default "local delivery only"
# configuration) into local mailboxes, and the snapshot lved takes of the
# same fault listing the web request that was being served (olve_annotate
# from mod_openlve, lve-read-snapshot).
# The fault: Apache with mod_openlve (set up by in-vm.sh: /usr/lib/cgi-bin
# runs in LVE 1001 = cust1) at EP 1, one slow CGI request holds the slot,
# the next gets 508: an EP fault of LVE 1001. lved (reloaded with a
# StatsNotifier.cfg that mails the admin, local user admin1, and the
# customer) sends both mails through /usr/sbin/sendmail = exim4.
# Restores the notifier configuration and LVE 1001's EP limit at the end.
# Run by in-vm.sh (tests/system/README.md, checks.d); prints TAP lines.
set -u
. "$(dirname "$0")/../checks-lib.sh" # ok nok diag expect_eq check http_status; PATH LC_ALL MODE
CFG=/etc/sysconfig/lvestats.config/StatsNotifier.cfg
SNAPCFG=/etc/sysconfig/lvestats.config/SnapshotSaver.cfg
CGI=/usr/lib/cgi-bin/olve-mailcheck
cleanup() {
	if [ -f "$CFG.olve-saved" ]; then mv -f "$CFG.olve-saved" "$CFG"; else rm -f "$CFG"; fi
	if [ -f "$SNAPCFG.olve-saved" ]; then mv -f "$SNAPCFG.olve-saved" "$SNAPCFG"; else rm -f "$SNAPCFG"; fi
	systemctl reload lved.service >/dev/null 2>&1
	lvectl set 1001 --maxEntryProcs=20 >/dev/null 2>&1
	rm -f "$CGI" /run/olve-release-olve-mailcheck
}
trap cleanup EXIT

if readlink -f /usr/sbin/sendmail | grep -q exim4; then ok "$MODE: /usr/sbin/sendmail is Debian's exim4"
else nok "$MODE: /usr/sbin/sendmail is Debian's exim4"; diag "$(ls -l /usr/sbin/sendmail 2>&1)"; exit 1; fi
rm -f /var/mail/admin1 /var/mail/cust1

mkdir -p "$(dirname "$CFG")"
[ -f "$CFG" ] && cp -p "$CFG" "$CFG.olve-saved"
cat > "$CFG" <<'CONF'
NOTIFY_ADMIN=Y
NOTIFY_CUSTOMER=Y
NOTIFY_EP=Y
NOTIFY_MIN_FAULTS_ADMIN=1
NOTIFY_MIN_FAULTS_USER=1
REPORT_ADMIN_EMAIL=admin1
NOTIFY_FROM_EMAIL=lved@localhost
NOTIFY_FROM_SUBJECT=openlve system test: limits reached
CONF
# the CPU burners of in-vm.sh just used this minute's snapshots of LVE 1001
# (SnapshotSaver.cfg defaults: 2 a minute): allow more for this check
[ -f "$SNAPCFG" ] && cp -p "$SNAPCFG" "$SNAPCFG.olve-saved"
printf 'snapshots_per_minute = 60\nmax_snapshots_per_incident = 100\n' > "$SNAPCFG"
if systemctl reload lved.service && sleep 2 && systemctl is-active -q lved.service; then
	ok "$MODE: lved reloads the notifier and snapshot configuration"
else nok "$MODE: lved reloads the notifier and snapshot configuration"; journalctl -b --no-pager -u lved | tail -5 | sed 's/^/# /'; fi

# the EP fault, with a labelled request holding the slot
held_cgi "$CGI" olve-mailcheck 25 # ended by release_cgi once the snapshot was looked for
lvectl set 1001 --maxEntryProcs=1 >/dev/null
t0=$(date +%s)
( http_status "/cgi-bin/olve-mailcheck?order=42" > /tmp/olve-mailcheck.status ) &
slow=$!
for _ in $(seq 60); do pgrep -f olve-mailcheck >/dev/null && break; sleep 0.5; done
sleep 1
st=$(http_status /cgi-bin/olve-mailcheck?second=1)
case "$st" in
"HTTP/1.1 508"*) ok "$MODE: past EP 1 the second request gets 508" ;;
*) nok "$MODE: past EP 1 the second request gets 508"; diag "status: $st" ;;
esac
# lved samples every second (in-vm.sh: interval = 1) and snapshots the fault
# at its next pass, which lags by seconds in the emulated VM: the request
# runs up to 25 s, and the snapshot is awaited while it does
for _ in $(seq 40); do
	snap=$(lve-read-snapshot --id 1001 --from "@$((t0 - 5))" 2>&1)
	echo "$snap" | grep -q "GET localhost /cgi-bin/olve-mailcheck?order=42\$" && break
	sleep 0.5
done
if echo "$snap" | grep -q "GET localhost /cgi-bin/olve-mailcheck?order=42\$"; then
	ok "$MODE: the snapshot of the fault lists the request being served"
else
	nok "$MODE: the snapshot of the fault lists the request being served"
	diag "$snap" | grep -E "^# (Snapshot|Faults|Requests|  )" | tail -20
fi
release_cgi olve-mailcheck
wait "$slow"

# the mails, delivered by exim4 into the local mailboxes
for _ in $(seq 90); do
	[ -s /var/mail/admin1 ] && [ -s /var/mail/cust1 ] && break
	sleep 1
done
admin=$(cat /var/mail/admin1 2>/dev/null)
cust=$(cat /var/mail/cust1 2>/dev/null)
if echo "$admin" | grep -q '^Subject: openlve system test: limits reached$' &&
	echo "$admin" | grep -q '^From: lved@localhost' && echo "$admin" | grep -qw 1001; then
	ok "$MODE: the admin's fault mail is in admin1's mailbox (exim4)"
else
	nok "$MODE: the admin's fault mail is in admin1's mailbox (exim4)"
	diag "mailbox: $(echo "$admin" | head -20)" "$(tail -5 /var/log/exim4/mainlog 2>&1)" \
		"$(journalctl -b --no-pager -u lved | grep -i mail | tail -5)"
fi
if echo "$cust" | grep -q '^To: cust1' && echo "$cust" | grep -q 'Dear cust1'; then
	ok "$MODE: the customer's fault mail is in cust1's mailbox (exim4)"
else
	nok "$MODE: the customer's fault mail is in cust1's mailbox (exim4)"
	diag "mailbox: $(echo "$cust" | head -20)" "$(tail -5 /var/log/exim4/mainlog 2>&1)"
fi
# "sendmail -t -i" as root: exim4 takes the recipients from the headers and
# logs a delivery ("=>") to each local mailbox
if grep -q "=> admin1 " /var/log/exim4/mainlog 2>/dev/null && grep -q "=> cust1 " /var/log/exim4/mainlog; then
	ok "$MODE: exim4 logged the deliveries to admin1 and cust1"
else nok "$MODE: exim4 logged the deliveries to admin1 and cust1"; diag "$(tail -10 /var/log/exim4/mainlog 2>&1)"; fi
exit 0
