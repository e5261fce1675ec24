#!/usr/bin/env bash
# NURA Appliance installer for macOS (launchd).
#
#   sudo ./install.sh [--bundle DIR] [--port 8080]     # install or upgrade, then start
#   sudo ./install.sh --uninstall [--purge]             # remove (data kept unless --purge)
#
# Installs the PyInstaller bundle (built on a Mac with `pyinstaller nura.spec`) under
# /usr/local/nura, a `_nura` role account, data in /usr/local/var/nura, the launchd daemon
# /Library/LaunchDaemons/com.nura.appliance.plist; runs `nura init` and prints the admin URL
# and the one-time password. Paths are below $ROOT like the Linux installer.
set -euo pipefail
ROOT="${ROOT:-}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUNDLE=""; PORT="8080"; UNINSTALL=0; PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
PREFIX="$ROOT/usr/local/nura"
DATA_DIR="$ROOT/usr/local/var/nura"
LOG_DIR="$ROOT/usr/local/var/log"
PLIST="$ROOT/Library/LaunchDaemons/com.nura.appliance.plist"
LIVE=0
[ -z "$ROOT" ] && [ "$(uname -s)" = "Darwin" ] && LIVE=1
[ "$LIVE" -eq 1 ] && [ "$(id -u)" -ne 0 ] && { echo "install.sh: run with sudo" >&2; exit 1; }

if [ "$UNINSTALL" -eq 1 ]; then
  [ "$LIVE" -eq 1 ] && launchctl bootout system/com.nura.appliance 2>/dev/null || true
  rm -f "$PLIST" "$ROOT/usr/local/bin/nura"
  rm -rf "$PREFIX"
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$DATA_DIR"
    [ "$LIVE" -eq 1 ] && dscl . -delete /Users/_nura 2>/dev/null || true
    echo "NURA removed, data deleted"
  else
    echo "NURA removed; data kept in $DATA_DIR"
  fi
  exit 0
fi

if [ -z "$BUNDLE" ]; then
  for c in "$HERE/nura" "$HERE/../../dist/nura"; do [ -x "$c/nura" ] && BUNDLE="$c" && break; done
fi
[ -n "$BUNDLE" ] && [ -x "$BUNDLE/nura" ] || { echo "install.sh: no bundle: pass --bundle DIR" >&2; exit 1; }
"$BUNDLE/nura" version
[ "$LIVE" -eq 1 ] && launchctl bootout system/com.nura.appliance 2>/dev/null || true
rm -rf "$PREFIX"; mkdir -p "$(dirname "$PREFIX")"; cp -R "$BUNDLE" "$PREFIX"
mkdir -p "$ROOT/usr/local/bin" "$DATA_DIR" "$LOG_DIR"; ln -sfn "$PREFIX/nura" "$ROOT/usr/local/bin/nura"

if [ "$LIVE" -eq 1 ] && ! dscl . -read /Users/_nura >/dev/null 2>&1; then
  # A hidden role account: the next free id below 500, no login shell, no home.
  uid=$(dscl . -list /Users UniqueID | awk '$2<500 {print $2}' | sort -n | tail -1); uid=$((uid + 1))
  dscl . -create /Groups/_nura PrimaryGroupID "$uid"
  dscl . -create /Users/_nura UniqueID "$uid"
  dscl . -create /Users/_nura PrimaryGroupID "$uid"
  dscl . -create /Users/_nura UserShell /usr/bin/false
  dscl . -create /Users/_nura NFSHomeDirectory /var/empty
  dscl . -create /Users/_nura IsHidden 1
fi
if [ ! -f "$DATA_DIR/nura.toml" ]; then
  secret() { head -c 36 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
  umask 077
  printf 'APP_ENV = "production"\nNURA_HOST = "0.0.0.0"\nNURA_PORT = %s\nADMIN_SECRET_KEY = "%s"\nAPI_KEY = "%s"\nCORS_ORIGINS = ["http://localhost:%s"]\n' \
    "$PORT" "$(secret)" "$(secret)" "$PORT" > "$DATA_DIR/nura.toml"
  umask 022
fi
[ "$LIVE" -eq 1 ] && chown -R _nura:_nura "$DATA_DIR" && chmod 0750 "$DATA_DIR"
if [ "$LIVE" -eq 1 ]; then
  OUT="$(sudo -u _nura "$PREFIX/nura" init --data-dir /usr/local/var/nura)"
else
  OUT="$("$PREFIX/nura" init --data-dir "$DATA_DIR")"
fi
mkdir -p "$(dirname "$PLIST")"
sed "s|/usr/local/|$ROOT/usr/local/|g" "$HERE/com.nura.appliance.plist" > "$PLIST"
if [ "$LIVE" -eq 1 ]; then
  chown root:wheel "$PLIST"; chmod 0644 "$PLIST"
  launchctl bootstrap system "$PLIST"
fi
PASSWORD="$(printf '%s\n' "$OUT" | sed -n 's/^one-time admin password: //p')"
echo "NURA Appliance is installed."
echo "  admin: http://localhost:$PORT/admin/"
[ -n "$PASSWORD" ] && echo "  one-time password: $PASSWORD (user: admin; change it after signing in)"
[ -z "$PASSWORD" ] && echo "  existing data kept: sign in with your current admin account"
echo "  logs:  $LOG_DIR/nura.log   data: $DATA_DIR"
