#!/bin/sh
# Builds the libFuzzer targets in selftests/fuzz/ (clang, ASan+UBSan) and
# runs each for $1 seconds (default 60) on a scratch copy of its seed
# corpus, so what the fuzzer finds never lands in the tree.  Prints one
# TAP line per target with its execution count; a crash, leak or
# sanitizer report fails it, and the reproducer is kept in build/fuzz/.
set -u
secs=${1:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/fuzz
mkdir -p "$out"
status=0
for src in "$top"/selftests/fuzz/*_fuzz.c; do
	name=$(basename "$src" .c)
	seeds=$top/selftests/fuzz/corpus/${name%_fuzz}
	bin=$out/$name
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
			-fno-sanitize-recover=all -I"$top/include/uapi" \
			-I"$top/include" -o "$bin" "$src" 2>"$out/$name.build.log"; then
		echo "not ok - fuzz $name: build failed"
		sed 's/^/# /' "$out/$name.build.log"
		status=1
		continue
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/evs-fuzz.XXXXXX")
	cp -r "$seeds/." "$work/" 2>/dev/null
	(cd "$out" && "$bin" -max_total_time="$secs" -print_final_stats=1 \
		"$work" >"$out/$name.log" 2>&1)
	rc=$?
	rm -rf "$work"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
	# Edges covered by the seed corpus alone, and at the end.
	seedcov=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$out/$name.log" | tail -n 1)
	cov=$(sed -n 's/.*DONE *cov: \([0-9]*\).*corp: \([0-9]*\).*/\1 edges, \2 inputs/p' \
		"$out/$name.log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok - fuzz $name: ${runs:-?} executions in ${secs}s, no findings; coverage ${cov:-?} (seeds alone ${seedcov:-?} edges)"
	else
		echo "not ok - fuzz $name: exit $rc (log and reproducer in build/fuzz/)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$out/$name.log" |
			head -n 10 | sed 's/^/# /'
		status=1
	fi
done
exit $status
