#!/usr/bin/env bash
# Build the Linux release tarball from a PyInstaller bundle:
#
#   pyinstaller --noconfirm nura.spec          # -> dist/nura/
#   packaging/linux/make-tarball.sh [dist/nura] [out-dir]
#
# Produces nura-<version>-linux-<arch>.tar.gz holding nura-<version>/{nura/, install.sh,
# uninstall.sh, nura.service, README.md}. Users unpack it and run `sudo ./install.sh`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUNDLE="${1:-$HERE/../../dist/nura}"
OUT="${2:-$HERE/../../dist}"
[ -x "$BUNDLE/nura" ] || { echo "make-tarball.sh: $BUNDLE/nura not found; run 'pyinstaller nura.spec' first" >&2; exit 1; }
VERSION="$("$BUNDLE/nura" version | awk '{print $2}')"
NAME="nura-$VERSION-linux-$(uname -m)"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/nura-$VERSION"
cp -a "$BUNDLE" "$STAGE/nura-$VERSION/nura"
install -m 0755 "$HERE/install.sh" "$HERE/uninstall.sh" "$STAGE/nura-$VERSION/"
install -m 0644 "$HERE/nura.service" "$HERE/../README.md" "$STAGE/nura-$VERSION/"
mkdir -p "$OUT"
tar -C "$STAGE" -czf "$OUT/$NAME.tar.gz" "nura-$VERSION"
echo "$OUT/$NAME.tar.gz"
