#!/bin/sh
# Kernel memory per event in flight, class by class: an event filling
# its class takes at most 1.25 times its payload in slab memory, its
# ring slot (8 bytes) included, or its payload plus 128 bytes where that
# is more (the classes under 416 bytes, where the 96-byte header weighs)
# (docs/security.md, "Memory budget"; docs/design.md, "Pools").  The
# classes are the documented ones: 96, 160, 224, 352, 416, 672, 928,
# 1440, 1952, 2976 and 4096 bytes with the header in the object
# (evs_event_N), 8, 16, 32 and 64 KiB in an object of their own
# (evs_payload_N) with a header from evs_event_head.
#
# Read from /sys/kernel/slab, which has every cache by its own name:
# where the kernel merges a class into another cache of the same size
# (6.1 has no SLAB_NO_MERGE), the name is a link to the cache whose
# slabs it shares, which is what it costs.  Slab debugging pads every
# object, so this runs in make check's boot without it and skips under
# it.
. "$(dirname "$0")/tap.sh"

inline="96 160 224 352 416 672 928 1440 1952 2976 4096"
own="8192 16384 32768 65536"
tap_plan 16

# per_object CACHE: slab bytes one object of CACHE takes.
per_object()
{
	d=/sys/kernel/slab/$1
	[ -r "$d/objs_per_slab" ] || return 1
	echo $(((4096 << $(cat "$d/order")) / $(cat "$d/objs_per_slab")))
}

if [ "$(awk '$1 == "kmalloc-8k" { print $4 }' /proc/slabinfo)" != 8192 ]; then
	for c in $inline $own header; do
		echo "ok $((tap_n = tap_n + 1)) # SKIP slab debugging pads the objects"
	done
	exit 0
fi

# ok_ratio NAME BYTES PAYLOAD: BYTES <= 1.25 x PAYLOAD, or PAYLOAD + 128.
ok_ratio()
{
	echo "# $1: $2 bytes for $3 of payload ($(awk -v b="$2" -v p="$3" 'BEGIN { printf "%.3f", b / p }')x)"
	[ $(($2 * 4)) -le $(($3 * 5)) ] || [ "$2" -le $(($3 + 128)) ]
	tap_ok "$1 within 1.25x its payload, or its payload + 128 bytes" $?
}

for pay in $inline; do
	obj=$(per_object "evs_event_$pay")
	if [ -z "$obj" ]; then
		tap_ok "evs_event_$pay in /sys/kernel/slab" 1
		continue
	fi
	ok_ratio "evs_event_$pay" $((obj + 8)) "$pay"
done

head=$(per_object evs_event_head)
[ -n "$head" ]
tap_ok "evs_event_head in /sys/kernel/slab" $?
for pay in $own; do
	obj=$(per_object "evs_payload_$pay")
	if [ -z "$obj" ] || [ -z "$head" ]; then
		tap_ok "evs_payload_$pay in /sys/kernel/slab" 1
		continue
	fi
	ok_ratio "evs_payload_$pay" $((obj + head + 8)) "$pay"
done
tap_done
