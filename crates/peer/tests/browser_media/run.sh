#!/bin/sh
# Real media between the nutshell core (examples/udp_echo.rs on a UDP socket) and headless
# Chromium / Firefox ESR, inside a fresh network namespace (unshare -rn) holding loopback
# and a veth pair whose two ends both stay inside it: nothing leaves the machine. The
# browser sends fake camera and microphone; the core echoes the video back and sends Opus
# silence. Prints both sides' reports. Usage: crates/peer/tests/browser_media/run.sh
set -eu
DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$DIR/../../../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build -q --release -p nutshell-peer --example udp_echo
TOOL=$CARGO_TARGET_DIR/release/examples/udp_echo
exec unshare -rn sh -s "$DIR" "$TOOL" <<'INNER'
set -eu
DIR=$1 TOOL=$2
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 10.77.0.1/24 dev v0
ip addr add 10.77.0.2/24 dev v1
ip link set v0 up
ip link set v1 up
TMP=$(mktemp -d)
run() { # name, command...
  name=$1; shift
  port=$((18000 + $$ % 1000))
  python3 "$DIR/server.py" "$port" "$TOOL" 10.77.0.2:0 > "$TMP/$name.out" &
  server=$!
  sleep 0.5
  "$@" "http://127.0.0.1:$port/" > "$TMP/$name.log" 2>&1 &
  browser=$!
  for _ in $(seq 1 60); do kill -0 $server 2>/dev/null || break; sleep 0.5; done
  kill $browser 2>/dev/null || true
  kill $server 2>/dev/null || true
  wait 2>/dev/null || true
  echo "== $name"; cat "$TMP/$name.out"
}
if [ -x /usr/lib/chromium/chromium ]; then
  run chromium /usr/lib/chromium/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-default-apps \
    --disable-extensions --no-proxy-server --mute-audio --use-fake-device-for-media-stream \
    --use-fake-ui-for-media-stream --autoplay-policy=no-user-gesture-required \
    --disable-features=WebRtcHideLocalIpsWithMdns --user-data-dir="$TMP/chromium-profile"
fi
if [ -x /usr/lib/firefox-esr/firefox-esr ]; then
  mkdir -p "$TMP/ff-profile" "$TMP/ff-home"
  port=$((18000 + $$ % 1000))
  printf 'origin\tcamera\t1\thttp://127.0.0.1:%s\norigin\tmicrophone\t1\thttp://127.0.0.1:%s\n' \
    "$port" "$port" > "$TMP/ff-permissions"
  cat > "$TMP/ff-profile/user.js" <<PREFS
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("media.peerconnection.default_iceservers", "[]");
user_pref("permissions.manager.defaultsUrl", "file://$TMP/ff-permissions");
user_pref("network.trr.mode", 5);
user_pref("network.proxy.type", 0);
user_pref("app.update.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
PREFS
  HOME="$TMP/ff-home" XDG_RUNTIME_DIR="$TMP/ff-home" MOZ_HEADLESS=1 MOZ_CRASHREPORTER_DISABLE=1 \
    MOZ_DISABLE_AUTO_SAFE_MODE=1 MOZ_REMOTE_SETTINGS_DEVTOOLS=1 \
    run firefox /usr/lib/firefox-esr/firefox-esr --headless --no-remote --new-instance --profile "$TMP/ff-profile"
fi
rm -rf "$TMP"
INNER
