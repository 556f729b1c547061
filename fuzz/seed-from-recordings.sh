#!/usr/bin/env bash
# Seeds the fuzz corpora from recorded calls (see PeerConfig::record and the replay example):
#   - records a few whole-call network simulations (tests/calls, seeds 3, 11 and 12, or
#     NUTSHELL_SEED_CALLS="...") and takes every tests/recordings/*.nsrec (real browsers);
#   - copies each recording into CORPUS/peer_replay/ (the replay target mutates them whole);
#   - writes each recording's received datagrams and remote SDPs into the other targets'
#     corpora (replay --corpus CORPUS: stun_decode, ice_agent, dtls_*, rtp_parse,
#     rtcp_parse, srtp_unprotect, sdp_parse, peer_sdp).
#
# Usage: fuzz/seed-from-recordings.sh [CORPUS]   (default fuzz/corpus; run from anywhere)
# Uses the ordinary cargo toolchain and CARGO_TARGET_DIR, not the fuzz build.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-fuzz/corpus}"
mkdir -p "$corpus/peer_replay"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for seed in ${NUTSHELL_SEED_CALLS:-3 11 12}; do
  if ! NUTSHELL_CALL_SEED="$seed" NUTSHELL_RECORD_DIR="$work" \
      cargo test -q -p nutshell-tests --test calls -- seeded >"$work/log" 2>&1; then
    cat "$work/log"
    echo "seed-from-recordings: recording simulated call $seed failed" >&2
    exit 1
  fi
done

shopt -s nullglob
recordings=("$work"/*.nsrec tests/recordings/*.nsrec)
if ((${#recordings[@]} == 0)); then
  echo "seed-from-recordings: no recordings" >&2
  exit 1
fi

cargo build -q -p nutshell-peer --example replay
for rec in "${recordings[@]}"; do
  name="$(basename "$rec")"
  case "$rec" in
    "$work"/*) name="netsim-$name" ;;
  esac
  cp "$rec" "$corpus/peer_replay/$name"
  # Exit 1 (the replay diverged) still leaves the seeds written; 2 is a file it cannot read.
  status=0
  cargo run -q -p nutshell-peer --example replay -- "$rec" --corpus "$corpus" \
    >"$work/log" 2>&1 || status=$?
  if ((status == 2)); then
    cat "$work/log"
    echo "seed-from-recordings: cannot read $rec" >&2
    exit 1
  fi
  ((status == 0)) || echo "seed-from-recordings: warning: $rec does not replay identically"
  echo "$name: $(grep -E '^wrote' "$work/log" || echo 'no seeds')"
done
for d in "$corpus"/*/; do
  printf '%s %s files\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
