#!/bin/sh
# Install the Debian packages that building, testing and the demo need,
# and nothing when they are all present already.

set -eu

pkgs="build-essential nginx-core nginx-dev libhiredis-dev libcjson-dev
      libssl-dev libcurl4-openssl-dev redis-server python3 curl perl libwww-perl
      libtest-base-perl valgrind clang libclang-rt-14-dev
      python3-requests golang-go nodejs
      python3-urllib3 python3-httpx python3-aiohttp chromium
      python3-prometheus-client"

missing=
for p in $pkgs; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null \
         | grep -q 'install ok installed'
    then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run as root or: sudo apt-get install$missing" >&2
    exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
