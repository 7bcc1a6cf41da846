#!/usr/bin/env bash
# Fuzz the SIP and SDP parsers with libFuzzer (clang, ASan + UBSan), each
# for SECONDS (default 60), starting from the corpora the tests replay:
#   bench/fuzz.sh [SECONDS] [sip|sdp ...]
# New inputs that found new coverage stay in build-fuzz/corpus-*; a crash
# leaves its input as build-fuzz/crash-* and the script fails.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(sip sdp)
[[ $SECS =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number" >&2; exit 2; }
B=$TOP/build-fuzz
if [ ! -f "$B/build.ninja" ]; then
	CC=clang meson setup "$B" "$TOP" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$B" tests/fuzz/fuzz_sip tests/fuzz/fuzz_sdp >/dev/null
for t in "${TARGETS[@]}"; do
	case $t in
	sip) seeds=$TOP/tests/data/rfc4475 ;;
	sdp) seeds=$TOP/tests/fuzz/corpus/sdp ;;
	*) echo "fuzz.sh: unknown target '$t' (sip, sdp)" >&2; exit 2 ;;
	esac
	mkdir -p "$B/corpus-$t"
	echo "== fuzz_$t for $SECS s"
	(cd "$B" && "./tests/fuzz/fuzz_$t" -max_total_time="$SECS" -max_len=65536 -print_final_stats=1 \
		"corpus-$t" "$seeds" 2>&1 | grep -E "^(stat::|#[0-9]+ *DONE|==[0-9]+==ERROR|SUMMARY)" || true)
	if ls "$B"/crash-* >/dev/null 2>&1; then
		echo "fuzz_$t: crash inputs in $B"
		exit 1
	fi
done
