#!/usr/bin/env bash
# Fuzz the SIP and SDP parsers with libFuzzer (clang, ASan + UBSan), each
# for SECONDS (default 60), one after the other:
#   bench/fuzz.sh [SECONDS] [sip|sdp ...]
# Builds in build-fuzz/ (FUZZ_BUILD to change), starting from the corpora
# the tests replay (tests/data/rfc4475, tests/fuzz/corpus/sdp) and the
# dictionaries beside the targets. Inputs that found new coverage are kept
# in build-fuzz/corpus-<target> and reused by the next run. A crash, leak,
# timeout or sanitizer report leaves its input in build-fuzz/artifacts/ and
# the script exits 1; copy it to the corpus as regress-<what>.<ext> once
# fixed. Each target's log: build-fuzz/fuzz-<target>.log.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(sip sdp)
[[ $SECS =~ ^[1-9][0-9]*$ ]] || {
	echo "fuzz.sh: SECONDS must be a positive number, not '$SECS'" >&2
	exit 2
}
command -v clang >/dev/null || {
	echo "fuzz.sh: clang is needed (apt-get install clang)" >&2
	exit 2
}
B=${FUZZ_BUILD:-$TOP/build-fuzz}
if [ ! -f "$B/build.ninja" ]; then
	CC=clang meson setup "$B" "$TOP" --buildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
# tests/fuzz/meson.build defines the fuzzers only where they can link.
ninja -C "$B" -t targets all | grep -q '^tests/fuzz/fuzz_sdp:' || {
	echo "fuzz.sh: $B: no libFuzzer targets (is it a clang build, with libFuzzer?)" >&2
	exit 2
}
ninja -C "$B" tests/fuzz/fuzz_sip tests/fuzz/fuzz_sdp >/dev/null

# UBSan reports stop the run like ASan's do; leaks are findings too.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
mkdir -p "$B/artifacts"
rc=0
for t in "${TARGETS[@]}"; do
	case $t in
	sip) seeds=$TOP/tests/data/rfc4475 ;;
	sdp) seeds=$TOP/tests/fuzz/corpus/sdp ;;
	*)
		echo "fuzz.sh: unknown target '$t' (sip, sdp)" >&2
		exit 2
		;;
	esac
	mkdir -p "$B/corpus-$t"
	log=$B/fuzz-$t.log
	echo "== fuzz_$t for $SECS s"
	# New inputs go to the first directory only: the seeds stay as they are.
	if "$B/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -max_len=8192 -timeout=5 -print_final_stats=1 \
		-dict="$TOP/tests/fuzz/$t.dict" -artifact_prefix="$B/artifacts/$t-" \
		"$B/corpus-$t" "$seeds" >"$log" 2>&1; then
		awk -v t="fuzz_$t" '
			/^stat::number_of_executed_units:/ { n = $2 }
			/^stat::average_exec_per_sec:/ { r = $2 }
			/^stat::new_units_added:/ { u = $2 }
			/^stat::peak_rss_mb:/ { m = $2 }
			/DONE/ { for (i = 1; i <= NF; i++) { if ($i == "cov:") c = $(i + 1); if ($i == "corp:") k = $(i + 1) } }
			END { printf "%s: %d inputs, %d/s, %d new, coverage %s edges, corpus %s, peak %d MB, no finding\n", t, n, r, u, c, k, m }
		' "$log"
	else
		echo "fuzz_$t: FINDING (log $log):"
		grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)" "$log" | head -20
		rc=1
	fi
done
exit $rc
