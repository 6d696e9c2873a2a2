#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds rpcmon_<version>_<arch>.deb with dpkg-deb from the install tree of an existing build:
# cmake --install (stripped) into a staging root, man pages gzipped, copyright and changelog in
# /usr/share/doc/rpcmon, maintainer scripts and conffiles from packaging/debian, md5sums.
# Usage: tools/package.sh [BUILD_DIR] [OUT_DIR]     (default: build/ and the current directory)
# Prints the path of the .deb on its last line.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=$(readlink -f "${1:-$REPO/build}")
OUTDIR=$(readlink -f "${2:-.}")
[[ -f $BUILD/CMakeCache.txt ]] || { echo "package: $BUILD is not a build directory (run tools/build.sh)" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ROOT=$STAGE/root
umask 022

DESTDIR=$ROOT cmake --install "$BUILD" --prefix /usr --strip >/dev/null
VERSION_LINE=$("$ROOT/usr/sbin/rpcmon" --version)  # "rpcmon 0.1.0 (git REV)"
VERSION=$(awk '{print $2}' <<<"$VERSION_LINE")
# Man pages: gzip -9n (no name or timestamp: reproducible).
find "$ROOT/usr/share/man" -type f ! -name '*.gz' -exec gzip -9n {} +
DOC=$ROOT/usr/share/doc/rpcmon
install -d -m 0755 "$DOC"
install -m 0644 "$REPO/packaging/debian/copyright" "$DOC/copyright"
{
    printf 'rpcmon (%s) unstable; urgency=medium\n\n' "$VERSION"
    printf '  * Package built from git %s.\n\n' "$(sed 's/.*(git \(.*\))/\1/' <<<"$VERSION_LINE")"
    printf ' -- rpcmon maintainers <rpcmon-maintainers@example.org>  %s\n' \
        "$(date -R -d "@$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n >"$DOC/changelog.gz"
chmod 0644 "$DOC/changelog.gz"

# Control area.
install -d -m 0755 "$ROOT/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$REPO/packaging/debian/$s" "$ROOT/DEBIAN/$s"; done
install -m 0644 "$REPO/packaging/debian/conffiles" "$ROOT/DEBIAN/conffiles"
while read -r f; do [[ -f $ROOT$f ]] || { echo "package: conffile $f not installed" >&2; exit 1; }; done \
    <"$REPO/packaging/debian/conffiles"
# Shared-library dependencies of the binary, as dpkg-shlibdeps finds them.
mkdir -p "$STAGE/src/debian"
printf 'Source: rpcmon\n\nPackage: rpcmon\nArchitecture: any\n' >"$STAGE/src/debian/control"
DEPENDS=$(cd "$STAGE/src" && dpkg-shlibdeps -O "$ROOT/usr/sbin/rpcmon" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $DEPENDS ]] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@SIZE@|$SIZE|" -e "s|@DEPENDS@|$DEPENDS|" \
    "$REPO/packaging/debian/control.in" >"$ROOT/DEBIAN/control"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    grep -zv '^etc/' | xargs -0 md5sum) >"$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/md5sums"

DEB=$OUTDIR/rpcmon_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "$DEB"
