#!/bin/sh
# Checks our offers and answers in real browsers (SDP acceptance only, no media): runs
# headless Chromium (and Firefox ESR when present) inside a fresh network namespace that
# holds only loopback, so nothing leaves the machine. Prints each browser's JSON report.
# Usage: crates/peer/tests/browser_sdp/run.sh  (needs chromium / firefox-esr, python3)
set -eu
DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$DIR/../../../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build -q --release -p nutshell-peer --example jsep_tool
TOOL=$CARGO_TARGET_DIR/release/examples/jsep_tool
exec unshare -rn sh -s "$DIR" "$TOOL" <<'INNER'
set -eu
DIR=$1 TOOL=$2
ip link set lo up
run() { # name, command...
  name=$1; shift
  port=$((18000 + $$ % 1000))
  python3 "$DIR/server.py" "$port" "$TOOL" > "$TMP/$name.json" &
  server=$!
  sleep 0.5
  "$@" "http://127.0.0.1:$port/" > "$TMP/$name.log" 2>&1 &
  browser=$!
  for _ in $(seq 1 60); do kill -0 $server 2>/dev/null || break; sleep 0.5; done
  kill $browser 2>/dev/null || true
  kill $server 2>/dev/null || true
  wait 2>/dev/null || true
  echo "== $name"; cat "$TMP/$name.json"
}
TMP=$(mktemp -d)
if [ -x /usr/lib/chromium/chromium ]; then
  run chromium /usr/lib/chromium/chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --no-proxy-server --user-data-dir="$TMP/chromium-profile"
fi
if [ -x /usr/lib/firefox-esr/firefox-esr ]; then
  mkdir -p "$TMP/ff-profile" "$TMP/ff-home"
  cat > "$TMP/ff-profile/user.js" <<'PREFS'
user_pref("media.peerconnection.default_iceservers", "[]");
user_pref("app.update.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
PREFS
  HOME="$TMP/ff-home" XDG_RUNTIME_DIR="$TMP/ff-home" MOZ_HEADLESS=1 MOZ_CRASHREPORTER_DISABLE=1 \
    MOZ_DISABLE_AUTO_SAFE_MODE=1 \
    run firefox /usr/lib/firefox-esr/firefox-esr --headless --no-remote --new-instance --profile "$TMP/ff-profile"
fi
rm -rf "$TMP"
INNER
