#!/usr/bin/env bash
# NURA Appliance installer for Linux (systemd).
#
#   sudo ./install.sh [--bundle DIR] [--host 0.0.0.0] [--port 8080] [--no-start]
#
# Installs the PyInstaller bundle (the folder holding the `nura` executable) under /opt/nura,
# creates the `nura` system user and the data directory /var/lib/nura, writes first-run
# settings (production mode with generated secrets) to /var/lib/nura/nura.toml, installs a
# hardened systemd unit, runs `nura init` and prints the admin URL and the one-time password.
#
# Re-running it upgrades the program and keeps the data and settings (the previous program
# folder is kept as /opt/nura.previous until the next upgrade).
#
# Every path is below $ROOT (default: empty, i.e. the real system). With ROOT set — CI points
# it at a temp dir — the user account, ownership and systemd steps are skipped and the service
# is not started, so the rest of the installer can be tested without root or systemd.
set -euo pipefail

ROOT="${ROOT:-}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUNDLE=""
HOST="0.0.0.0"
PORT="8080"
START=1
SERVICE_USER="${NURA_SERVICE_USER:-nura}"

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --host) HOST="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

PREFIX="$ROOT/opt/nura"
DATA_DIR="$ROOT/var/lib/nura"
ETC_DIR="$ROOT/etc/nura"
UNIT_DIR="$ROOT/etc/systemd/system"
BIN_LINK="$ROOT/usr/local/bin/nura"
# Paths as the running system sees them (what goes into the unit file).
REAL_PREFIX="/opt/nura"
REAL_DATA_DIR="/var/lib/nura"
if [ -n "$ROOT" ]; then
  REAL_PREFIX="$PREFIX"
  REAL_DATA_DIR="$DATA_DIR"
fi

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# -- checks --------------------------------------------------------------------------------------
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo ./install.sh), or set ROOT=/some/dir to stage an install there"
fi
case "$PORT" in ''|*[!0-9]*) die "--port must be a number" ;; esac
if [ -z "$BUNDLE" ]; then
  for candidate in "$SCRIPT_DIR/nura" "$SCRIPT_DIR/../../dist/nura"; do
    if [ -x "$candidate/nura" ]; then BUNDLE="$candidate"; break; fi
  done
fi
[ -n "$BUNDLE" ] && [ -x "$BUNDLE/nura" ] || die "no bundle found: pass --bundle DIR (the folder with the nura executable; build it with 'pyinstaller nura.spec')"
BUNDLE="$(cd "$BUNDLE" && pwd)"
VERSION="$("$BUNDLE/nura" version)" || die "$BUNDLE/nura does not run on this machine"
say "installing $VERSION from $BUNDLE"

# -- program -------------------------------------------------------------------------------------
mkdir -p "$(dirname "$PREFIX")"
rm -rf "$PREFIX.new"
cp -a "$BUNDLE" "$PREFIX.new"
if [ -d "$PREFIX" ]; then
  rm -rf "$PREFIX.previous"
  mv "$PREFIX" "$PREFIX.previous"
fi
mv "$PREFIX.new" "$PREFIX"
for extra in uninstall.sh nura.service; do
  [ -f "$SCRIPT_DIR/$extra" ] && install -m 0755 "$SCRIPT_DIR/$extra" "$PREFIX/$extra"
done
mkdir -p "$(dirname "$BIN_LINK")"
ln -sfn "$REAL_PREFIX/nura" "$BIN_LINK"
say "program: $PREFIX (command: $BIN_LINK)"

# -- user and data directory ----------------------------------------------------------------------
if [ -z "$ROOT" ]; then
  if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    nologin="$(command -v nologin || echo /usr/sbin/nologin)"
    useradd --system --home-dir "$REAL_DATA_DIR" --no-create-home --shell "$nologin" "$SERVICE_USER"
    say "created system user $SERVICE_USER"
  fi
else
  say "staging under ROOT=$ROOT: skipping the $SERVICE_USER user, ownership and systemd"
fi
mkdir -p "$DATA_DIR" "$ETC_DIR"
chmod 0750 "$DATA_DIR"

random_secret() {
  # 48 URL-safe characters from the kernel's CSPRNG.
  head -c 36 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

SETTINGS="$DATA_DIR/nura.toml"
if [ ! -f "$SETTINGS" ]; then
  origin_host="$(hostname 2>/dev/null || echo localhost)"
  case "$origin_host" in *[!A-Za-z0-9.-]*|'') origin_host="localhost" ;; esac
  umask 077
  cat > "$SETTINGS" <<TOML
# Written by install.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Settings reference: README.md.
# Environment variables (e.g. in /etc/nura/nura.env) override these values.
APP_ENV = "production"
NURA_HOST = "$HOST"
NURA_PORT = $PORT
# Signing key for admin/agent tokens and the legacy automation key: generated, keep them secret.
ADMIN_SECRET_KEY = "$(random_secret)"
API_KEY = "$(random_secret)"
# Websites allowed to embed the widget (add yours, e.g. "https://www.example.com").
CORS_ORIGINS = ["http://$origin_host:$PORT"]
TOML
  umask 022
  say "settings: $SETTINGS (production mode, generated secrets)"
else
  say "settings: keeping $SETTINGS"
fi
if [ ! -f "$ETC_DIR/nura.env" ]; then
  cat > "$ETC_DIR/nura.env" <<ENV
# Environment for the nura service; overrides $REAL_DATA_DIR/nura.toml. Examples:
# OPENAI_API_KEY=sk-...
# TELEGRAM_BOT_TOKEN=123456:ABC...
ENV
  chmod 0640 "$ETC_DIR/nura.env"
fi

umask 027  # the database and logs nura init creates are not world-readable
# -- first run --------------------------------------------------------------------------------------
run_as_service_user() {
  if [ -z "$ROOT" ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u "$SERVICE_USER" -- "$@"; else su -s /bin/sh "$SERVICE_USER" -c "$*"; fi
  else
    "$@"
  fi
}
if [ -z "$ROOT" ]; then
  chown -R "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
  chown "root:$SERVICE_USER" "$ETC_DIR/nura.env"
fi
say "initialising the data directory"
INIT_OUTPUT="$(cd "$DATA_DIR" && run_as_service_user "$PREFIX/nura" init --data-dir "$REAL_DATA_DIR" 2>&1)" || {
  printf '%s\n' "$INIT_OUTPUT" >&2
  die "nura init failed (see above)"
}
printf '%s\n' "$INIT_OUTPUT" | sed 's/^/    /' | grep -v "one-time admin password" || true
PASSWORD="$(printf '%s\n' "$INIT_OUTPUT" | sed -n 's/^one-time admin password: //p' | head -n1)"
ADMIN_USER="$(printf '%s\n' "$INIT_OUTPUT" | sed -n 's/^admin user: //p' | head -n1)"

# -- service -----------------------------------------------------------------------------------------
mkdir -p "$UNIT_DIR"
sed -e "s|@PREFIX@|$REAL_PREFIX|g" -e "s|@DATA_DIR@|$REAL_DATA_DIR|g" "$SCRIPT_DIR/nura.service" > "$UNIT_DIR/nura.service"
chmod 0644 "$UNIT_DIR/nura.service"
say "service unit: $UNIT_DIR/nura.service"
STARTED=0
if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload
  if [ "$START" -eq 1 ]; then
    systemctl enable nura.service >/dev/null 2>&1
    systemctl restart nura.service
    STARTED=1
    for _ in $(seq 1 60); do
      if "$PREFIX/nura" version >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
      sleep 0.5
    done
    systemctl is-active --quiet nura.service || die "the service did not start: journalctl -u nura -n 50"
  fi
else
  say "systemd is not running here: start the appliance with"
  echo "    $BIN_LINK serve --data-dir $REAL_DATA_DIR"
fi

# -- what to do next --------------------------------------------------------------------------------
url_host="$HOST"
[ "$url_host" = "0.0.0.0" ] && url_host="$(hostname -I 2>/dev/null | awk '{print $1}')"
[ -n "$url_host" ] || url_host="127.0.0.1"
echo
echo "NURA Appliance is installed."
[ "$STARTED" -eq 1 ] && echo "  service:  systemctl status nura   (logs: journalctl -u nura -f)"
echo "  admin:    http://$url_host:$PORT/admin/"
if [ -n "$PASSWORD" ]; then
  echo "  username: ${ADMIN_USER:-admin}"
  echo "  one-time password: $PASSWORD"
  echo "  (shown once: sign in and change it)"
else
  echo "  existing data kept: sign in with your current admin account"
fi
echo "  data:     $REAL_DATA_DIR   settings: $REAL_DATA_DIR/nura.toml"
echo "  backup:   nura backup --data-dir $REAL_DATA_DIR"
echo "  remove:   $REAL_PREFIX/uninstall.sh   (keeps data unless --purge)"
