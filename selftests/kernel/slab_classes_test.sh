#!/bin/sh
# Kernel memory per event in flight, class by class, from /proc/slabinfo:
# an event filling its class takes at most 1.25 times its payload in slab
# memory, its ring slot (8 bytes) included (docs/security.md, "Memory
# budget"; docs/design.md, "Pools").  The classes are the documented
# ones: 416, 928, 1952 and 4096 bytes with the header in the object
# (evs_event_N), 8, 16, 32 and 64 KiB in an object of their own
# (evs_payload_N) with a header from evs_event_head.
#
# Slab debugging pads every object, so this runs in make check's boot
# without it and skips under it.  Where the kernel merges a class into a
# kmalloc cache of the same size (6.1 has no SLAB_NO_MERGE), the class is
# measured by that cache, whose objects it shares.
. "$(dirname "$0")/tap.sh"

inline="416:kmalloc-512 928:kmalloc-1k 1952:kmalloc-2k 4096:"
own="8192 16384 32768 65536"
tap_plan 9

# slab_of CACHE: "objperslab pagesperslab" of CACHE, or nothing.
slab_of()
{
	awk -v c="$1" '$1 == c { print $5, $6 }' /proc/slabinfo
}

# per_object CACHE [FALLBACK]: slab bytes one object of CACHE takes.
per_object()
{
	g=$(slab_of "$1")
	[ -z "$g" ] && [ -n "${2:-}" ] && g=$(slab_of "$2") &&
		echo "# $1 is merged: measured by $2" >&2
	[ -n "$g" ] || return 1
	echo $((${g#* } * 4096 / ${g% *}))
}

if [ "$(awk '$1 == "kmalloc-8k" { print $4 }' /proc/slabinfo)" != 8192 ]; then
	for c in $inline $own header; do
		echo "ok $((tap_n = tap_n + 1)) # SKIP slab debugging pads the objects"
	done
	exit 0
fi

# ok_ratio NAME BYTES PAYLOAD: BYTES <= 1.25 x PAYLOAD.
ok_ratio()
{
	echo "# $1: $2 bytes for $3 of payload ($(awk -v b="$2" -v p="$3" 'BEGIN { printf "%.3f", b / p }')x)"
	[ $(($2 * 4)) -le $(($3 * 5)) ]
	tap_ok "$1 within 1.25x its payload" $?
}

for c in $inline; do
	pay=${c%:*}
	obj=$(per_object "evs_event_$pay" "${c#*:}")
	if [ -z "$obj" ]; then
		tap_ok "evs_event_$pay in /proc/slabinfo" 1
		continue
	fi
	ok_ratio "evs_event_$pay" $((obj + 8)) "$pay"
done

head=$(per_object evs_event_head kmalloc-128)
[ -n "$head" ]
tap_ok "evs_event_head (or the cache it merged into) in /proc/slabinfo" $?
for pay in $own; do
	obj=$(per_object "evs_payload_$pay")
	if [ -z "$obj" ] || [ -z "$head" ]; then
		tap_ok "evs_payload_$pay in /proc/slabinfo" 1
		continue
	fi
	ok_ratio "evs_payload_$pay" $((obj + head + 8)) "$pay"
done
tap_done
