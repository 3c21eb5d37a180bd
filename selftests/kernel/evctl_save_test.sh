#!/bin/sh
# evctl save and evctl -b against the real module: a namespace set up by
# hand is saved, the module reloaded (which forgets everything), the file
# applied, and the same state comes back, taking events on both
# listeners.  Applied again over itself (a reload of evstream.service) it
# changes nothing.  Runs in a network namespace of its own.
[ -z "$EVS_IN_NETNS" ] && EVS_IN_NETNS=1 exec unshare -n "$0" "$@"
ip link set lo up
. "$(dirname "$0")/tap.sh"

tap_plan 31

# Two saves of one state differ in nothing, the date included.
export SOURCE_DATE_EPOCH=1700000000

# Every setting away from its default, the ring size before any listener.
tap_cmd "config set, every setting" 0 evctl config set ring-size 256 \
	max-payload 8K pool-limit 5000 pressure 60 store-limit 32M \
	conn-limit 100 batch 16 idle-timeout 1h ack-delay 500us
tap_cmd "listen add IPv4" 0 evctl listen add 127.0.0.1:7300
tap_cmd "listen add IPv6" 0 evctl listen add '[::1]:7301'
# An address not up yet: refused, with the way out named; then taken
# with freebind, which the save must keep.
tap_cmd "listen add of an address not here: exit 1" 1 evctl listen add 192.0.2.50:7302
echo "$tap_err" | grep -q "Cannot assign requested address: .*freebind"
tap_ok "listen add of an address not here: names freebind" $?
tap_cmd "listen add freebind" 0 evctl listen add 192.0.2.50:7302 freebind
tap_cmd "listen show: the freebind listener" 0 sh -c \
	"evctl -j listen show | jq -e 'map(select(.freebind)) | length == 1 and .[0].local_addr == \"192.0.2.50\" and .[0].local_port == 7302'"
tap_cmd "route add" 0 sh -c 'evctl route add topic 5 prio realtime &&
	evctl route add topic 6 prio tx && evctl route add topic 65535 prio batch'

tap_cmd "save" 0 sh -c 'evctl save >/tmp/save1.conf'
sed 's/^/# /' /tmp/save1.conf
# The settings as config show -N has them, each on a line of its own.
evctl config show -N | awk '{ print "config set " $1 " " $2 }' >/tmp/want.conf
grep '^config set ' /tmp/save1.conf >/tmp/got.conf
cmp -s /tmp/want.conf /tmp/got.conf
tap_ok "save: every setting, as config show -N has it" $?
grep -qx 'config set ring-size 256' /tmp/save1.conf &&
	grep -qx 'config set ack-delay 500' /tmp/save1.conf
tap_ok "save: the values set" $?
[ "$(grep -v '^config set ' /tmp/save1.conf | grep -v '^#' | grep -v '^$')" = "listen replace 127.0.0.1:7300
listen replace [::1]:7301
listen replace 192.0.2.50:7302 freebind
route add topic 5 prio realtime
route add topic 6 prio transactional
route add topic 65535 prio batch" ]
tap_ok "save: the listeners, then the routes" $?
# Settings first: the ring size is refused once a listener is up.
last_set=$(grep -n '^config set ' /tmp/save1.conf | tail -n 1 | cut -d: -f1)
first_listen=$(grep -n '^listen ' /tmp/save1.conf | head -n 1 | cut -d: -f1)
[ "$last_set" -lt "$first_listen" ]
tap_ok "save: settings before listeners" $?
grep -q "^# evstream configuration, written by evctl .* on 2023-11-14T22:13:20Z\$" \
	/tmp/save1.conf
tap_ok "save: the header names evctl and the date" $?

rmmod evstream
insmod /lib/modules/evstream.ko
tap_cmd "reloaded module: save" 0 sh -c 'evctl save >/tmp/fresh.conf'
! cmp -s /tmp/save1.conf /tmp/fresh.conf && ! grep -q '^listen' /tmp/fresh.conf
tap_ok "reloaded module: the configuration is gone" $?

tap_cmd "evctl -b the saved file" 0 evctl -b /tmp/save1.conf
tap_cmd "save again" 0 sh -c 'evctl save >/tmp/save2.conf'
cmp /tmp/save1.conf /tmp/save2.conf | sed 's/^/# /'
cmp -s /tmp/save1.conf /tmp/save2.conf
tap_ok "save after -b: identical" $?

# A client on each listener gets its events acked.
tap_cmd "IPv4 listener acks" 0 sh -c \
	"evload --addr 127.0.0.1:7300 --events 200 --ack -j | jq -e '.ack_frames > 0'"
tap_cmd "IPv6 listener acks" 0 sh -c \
	"evload --addr '[::1]:7301' --events 200 --ack -j | jq -e '.ack_frames > 0'"
# The freebind listener, restored before its address exists, takes
# clients once it does.
ip addr add 192.0.2.50/32 dev lo
tap_cmd "freebind listener, address added: acks" 0 sh -c \
	"evload --addr 192.0.2.50:7302 --events 200 --ack -j | jq -e '.ack_frames > 0'"

# A reload: the same file over itself keeps the listeners, with their
# connections and counts, and changes nothing.
tap_cmd "evctl -b the saved file again" 0 evctl -b /tmp/save1.conf
tap_cmd "listeners kept: their accept counts" 0 sh -c \
	"evctl -j listen show | jq -e 'length == 3 and all(.[]; .accepted == 1)'"
evctl save >/tmp/save3.conf
cmp -s /tmp/save1.conf /tmp/save3.conf
tap_ok "save after applying again: identical" $?

# A different ring size cannot be applied over live listeners: the line
# says why, and the lines before it are applied.
sed 's/^config set ring-size 256$/config set ring-size 512/' /tmp/save1.conf \
	>/tmp/ring.conf
line=$(grep -n '^config set ring-size' /tmp/ring.conf | cut -d: -f1)
tap_cmd "ring size over live listeners: exit 1" 1 evctl -b /tmp/ring.conf
echo "$tap_err" | grep -q "^evctl: /tmp/ring.conf:$line: ring-size 512: Device or resource busy"
tap_ok "ring size over live listeners: names the line and EBUSY" $?

# -n: saves and applies in a named namespace.  The holder says when it
# has its namespace, with lo up.
mkdir -p /run/netns
rm -f /tmp/ns.ready
mkfifo /tmp/ns.ready
unshare -n sh -c 'ip link set lo up; echo >/tmp/ns.ready; exec sleep 600' &
holder=$!
read -r _ </tmp/ns.ready
touch /run/netns/evs-save
mount --bind /proc/$holder/ns/net /run/netns/evs-save
tap_cmd "-n: -b the saved file" 0 evctl -n evs-save -b /tmp/save1.conf
tap_cmd "-n: save" 0 sh -c 'evctl -n evs-save save >/tmp/save-n.conf'
grep -qx '# from network namespace evs-save' /tmp/save-n.conf
tap_ok "-n: the header names the namespace" $?
grep -v '^# from network namespace' /tmp/save-n.conf | cmp -s - /tmp/save1.conf
tap_ok "-n: the same configuration" $?
umount /run/netns/evs-save
rm -f /run/netns/evs-save /tmp/ns.ready
kill $holder

tap_done
