#!/usr/bin/env bash
# NURA Appliance uninstaller for Linux.
#
#   sudo /opt/nura/uninstall.sh            # remove the program and the service, keep the data
#   sudo /opt/nura/uninstall.sh --purge    # also delete /var/lib/nura, /etc/nura and the nura user
#
# Data is kept unless --purge is given (and confirmed, or --yes). Make a backup first:
#   nura backup /root/ --data-dir /var/lib/nura
# Paths are below $ROOT like install.sh (CI runs it against a temp dir without systemd).
set -euo pipefail

ROOT="${ROOT:-}"
PURGE=0
YES=0
SERVICE_USER="${NURA_SERVICE_USER:-nura}"
while [ $# -gt 0 ]; do
  case "$1" in
    --purge) PURGE=1; shift ;;
    --yes|-y) YES=1; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

PREFIX="$ROOT/opt/nura"
DATA_DIR="$ROOT/var/lib/nura"
ETC_DIR="$ROOT/etc/nura"
UNIT="$ROOT/etc/systemd/system/nura.service"
BIN_LINK="$ROOT/usr/local/bin/nura"
say() { printf '==> %s\n' "$*"; }

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  echo "uninstall.sh: run as root (sudo), or set ROOT=/some/dir" >&2
  exit 1
fi
if [ "$PURGE" -eq 1 ] && [ "$YES" -ne 1 ]; then
  printf 'Delete ALL data in %s (conversations, users, knowledge, backups)? Type "delete": ' "$DATA_DIR"
  read -r answer
  [ "$answer" = "delete" ] || { echo "not deleting anything"; exit 1; }
fi

if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now nura.service >/dev/null 2>&1 || true
fi
rm -f "$UNIT"
if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
say "service removed"
# Only remove the command link if it is ours.
if [ -L "$BIN_LINK" ] && [ "$(readlink "$BIN_LINK")" = "$( [ -z "$ROOT" ] && echo /opt/nura/nura || echo "$PREFIX/nura")" ]; then
  rm -f "$BIN_LINK"
fi
rm -rf "$PREFIX" "$PREFIX.previous" "$PREFIX.new"
say "program removed from $PREFIX"

if [ "$PURGE" -eq 1 ]; then
  rm -rf "$DATA_DIR" "$ETC_DIR"
  if [ -z "$ROOT" ] && id -u "$SERVICE_USER" >/dev/null 2>&1; then
    userdel "$SERVICE_USER" || true
  fi
  say "data, settings and the $SERVICE_USER user deleted"
else
  say "data kept in $DATA_DIR (settings in $ETC_DIR); reinstalling picks it up again"
  echo "    to delete it too: uninstall.sh --purge"
fi
