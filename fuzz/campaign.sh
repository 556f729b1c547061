#!/usr/bin/env bash
# A long fuzz campaign of one target, one job, on its corpus (fuzz/corpus/TARGET, seeded by
# fuzz/seed-from-recordings.sh) plus the checked-in fuzz/seeds/TARGET, and a one-line
# summary: executions, rate, final corpus, peak RSS, and the result.
#
# Usage: fuzz/campaign.sh TARGET [SECONDS] [libFuzzer flags...]   (default 900 s)
#
# Built without a sanitizer and with debug assertions (`cargo fuzz run -s none -a`): every
# nutshell crate forbids unsafe code, so AddressSanitizer finds little while costing most of
# the speed (peer_replay runs about 6 times faster), and overflow checks turn arithmetic
# slips into findings. The CI smoke keeps cargo-fuzz's default (AddressSanitizer) build.
# The build goes to FUZZ_CAMPAIGN_TARGET_DIR (default fuzz/target/campaign) so it does not
# replace the default one. The full libFuzzer log is kept under fuzz/logs/.
set -euo pipefail
cd "$(dirname "$0")"
if (($# < 1)); then
  echo "usage: fuzz/campaign.sh TARGET [SECONDS] [libFuzzer flags...]" >&2
  exit 2
fi
target="$1"
seconds="${2:-900}"
shift $(($# < 2 ? $# : 2))
export RUSTC_BOOTSTRAP=1 # cargo-fuzz's nightly flags on a stable toolchain, as .ci/run
target_dir="${FUZZ_CAMPAIGN_TARGET_DIR:-target/campaign}"
mkdir -p "corpus/$target" logs
seeds=()
[ -d "seeds/$target" ] && seeds=("seeds/$target")
log="logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log"
cargo fuzz build -s none -a --target-dir "$target_dir" "$target" >"$log" 2>&1 || {
  tail -n 30 "$log"
  exit 1
}
start=$(date +%s)
status=0
cargo fuzz run -s none -a --target-dir "$target_dir" "$target" "corpus/$target" "${seeds[@]}" \
  -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$@" \
  >>"$log" 2>&1 || status=$?
wall=$(($(date +%s) - start))

stat() { grep -oE "^stat::$1: *[0-9]+" "$log" | grep -oE '[0-9]+$' | tail -n 1 || true; }
execs="$(stat number_of_executed_units)"
rate="$(stat average_exec_per_sec)"
rss="$(stat peak_rss_mb)"
corpus="$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)"
if ((status == 0)); then
  result="ok"
else
  result="$(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+' "$log" | head -n 1 || true)"
  artifact="$(grep -oE 'Test unit written to [^ ]+' "$log" | head -n 1 | cut -d' ' -f5 || true)"
  result="FAILED (${result:-exit $status}${artifact:+, $artifact})"
fi
printf '%s\t%ss\t%s execs\t%s exec/s\tcorpus %s\tpeak RSS %s MB\t%s\tlog %s\n' \
  "$target" "$wall" "${execs:-?}" "${rate:-?}" "${corpus:-?}" "${rss:-?}" "$result" "fuzz/$log"
exit "$status"
