#!/bin/sh
# Install the Debian packages that a task needs, and nothing when they are
# all present already.
#
#   tools/deps.sh demo          make run: build the module, run the demo
#   tools/deps.sh deb           make deb: build the Debian packages
#   tools/deps.sh [test]        make test: all of the above, and the
#                               test-only clients
#   tools/deps.sh --list SET    print SET's packages, one a line (SET is
#                               one of the above, or clients: the
#                               test-only ones); installs nothing
#
# A first make run must not download a browser and a Go toolchain to show
# one curl: the demo's set has none of the clients (t/191-deps.t checks
# it against what apt would install on a bare system).

set -eu

# building the module (the nginx-dev tree, configured as Debian's nginx)
build="build-essential nginx-core nginx-dev libhiredis-dev libcjson-dev
       libssl-dev"

# tools/run-demo.sh: redis-server (and its redis-cli), the Graph stand-in
# (t/graph_standin.py: python3's standard library only), curl to try it
demo="$build redis-server python3 curl"

# make broker: the token broker (libcurl; hiredis, cJSON and libcrypto
# as the module)
broker="$build libcurl4-openssl-dev"

# tools/build-deb.sh: debhelper, dh_nginx from nginx-dev, what the broker
# builds with
deb="$broker debhelper dpkg-dev"

# what only the tests use: the clients of t/030-clients.t and the browser
# tests, valgrind (make test-valgrind), clang (make fuzz), the harness's
# Perl modules, openssl (htpasswd hashes of t/160-me.t), the Prometheus
# text parser of t/180-metrics.t
clients="libwww-perl libtest-base-perl openssl valgrind clang
         libclang-rt-14-dev python3-requests python3-urllib3 python3-httpx
         python3-aiohttp python3-prometheus-client golang-go nodejs
         chromium"

test="$demo $broker $deb perl $clients"

usage() {
    echo "usage: tools/deps.sh [demo|deb|test]" >&2
    echo "       tools/deps.sh --list demo|deb|test|clients" >&2
    exit 2
}

list=
if [ "${1:-}" = --list ]; then
    list=1
    shift
fi

case "${1:-test}" in
demo)    pkgs=$demo ;;
deb)     pkgs=$deb ;;
test)    pkgs=$test ;;
clients) [ -n "$list" ] || usage
         pkgs=$clients ;;
*)       usage ;;
esac

if [ -n "$list" ]; then
    printf '%s\n' $pkgs | sort -u
    exit 0
fi

missing=
for p in $(printf '%s\n' $pkgs | sort -u); do
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
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    $missing >/dev/null
