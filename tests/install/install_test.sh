#!/usr/bin/env bash
# `meson install` into a scratch root, then build and run a program outside the tree against the
# installed headers, library and switchyard.pc.
set -euo pipefail
build="$1"
src="$2"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --no-rebuild --destdir "$root" >/dev/null
pc="$(dirname "$(find "$root" -name switchyard.pc | head -n1)")"
[ -n "$pc" ] || { echo "switchyard.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$root"
test -f "$(find "$root" -path '*include/switchyard/switchyard.hpp' -o -path '*include/switchyard/connection/connection.hpp' | head -n1)"
libdir="$(dirname "$(find "$root" -name "libswitchyard.so" | head -n1)")"
# shellcheck disable=SC2046
c++ -std=c++20 -o "$root/consumer" "$src/consumer.cpp" $(pkg-config --cflags --libs switchyard)
out="$(LD_LIBRARY_PATH="$libdir" "$root/consumer" "$root/consumer.sqlite3")"
echo "$out"
grep -q '^sum=42$' <<<"$out"
grep -q '\[primary writing\]' <<<"$out"
echo "installed library used from outside the tree: ok"
