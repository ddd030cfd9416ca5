#!/usr/bin/env bash
# Fetches hls.js VERSION from the npm registry with npm itself, refuses it unless the tarball's
# sha512 is INTEGRITY (pinned in the Makefile) and the registry states the same, and writes
# into DIR the player's build (dist/hls.light.min.mjs), the package's LICENSE, and a VENDORED
# note naming where each file came from. Usage: vendor-hls.sh VERSION INTEGRITY DIR
set -euo pipefail
version=$1 integrity=$2 dir=$3
command -v npm >/dev/null || { echo "npm is missing (apt-get install -y npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

stated=$(npm view "hls.js@$version" dist.integrity)
if [ "$stated" != "$integrity" ]; then
    echo "the registry states $stated for hls.js@$version, the Makefile pins $integrity" >&2
    exit 1
fi
tarball=$(npm pack "hls.js@$version" --pack-destination "$work" --silent)
actual="sha512-$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$work/$tarball")"
if [ "$actual" != "$integrity" ]; then
    echo "hls.js-$version.tgz has $actual, expected $integrity" >&2
    exit 1
fi
tar -xzf "$work/$tarball" -C "$work" package/dist/hls.light.min.mjs package/LICENSE
mkdir -p "$dir"
cp "$work/package/dist/hls.light.min.mjs" "$dir/hls.light.min.mjs"
cp "$work/package/LICENSE" "$dir/hls.js-LICENSE"
sha=$(sha256sum "$dir/hls.light.min.mjs" | cut -d' ' -f1)
cat > "$dir/VENDORED" <<NOTE
hls.js $version (Apache-2.0), written by \`make vendor\` (scripts/vendor-hls.sh); do not edit.
tarball: https://registry.npmjs.org/hls.js/-/hls.js-$version.tgz
integrity: $integrity
hls.light.min.mjs: package/dist/hls.light.min.mjs, sha256 $sha
hls.js-LICENSE: package/LICENSE
NOTE
echo "hls.js $version written to $dir (hls.light.min.mjs sha256 $sha)"
