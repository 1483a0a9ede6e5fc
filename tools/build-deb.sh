#!/bin/sh
# Build the Debian packages of debian/ into build/deb/ (make deb).
#
# dpkg-buildpackage writes its results into the parent of the source
# directory and leaves obj-*/ and debian/<package>/ behind, so it runs in
# a scratch copy of the tree under build/deb/, and only the .deb files
# are kept.  The version is debian/changelog's and nothing else's.
# Quiet: the log (build/deb/build.log) is shown only when the build fails.

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/deb
scratch=$out/scratch
log=$out/build.log

cd "$root"
source=$(dpkg-parsechangelog -S Source)
version=$(dpkg-parsechangelog -S Version)
src=$scratch/$source-$version

rm -rf "$scratch"
mkdir -p "$src"
rm -f "$out"/*.deb

# The tree as it is, edits included, without what builds and tests leave.
tar -C "$root" -cf - --exclude=./.git --exclude=./build \
    --exclude='./t/servroot*' --exclude=./fuzz/corpus-run \
    --exclude='*.o' --exclude='*.so' . \
    | tar -C "$src" -xf -

echo "deb: building $source $version (log: $log)"

if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "deb: dpkg-buildpackage failed; the whole log: $log" >&2
    exit 1
fi

mv "$scratch"/*.deb "$out"/
rm -rf "$scratch"

for deb in "$out"/*.deb; do
    echo "deb: ${deb#$root/}"
done
