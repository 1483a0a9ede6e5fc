#!/bin/bash
# Instructions per request under callgrind: /graph/ (the module) against
# plain proxy_pass of the same body (/plain/), in one nginx process
# (master_process off), counters zeroed between the two series.  Unlike
# req/s on a shared machine, instruction counts repeat from run to run,
# so two builds can be compared: run it once per module and compare the
# "graph - plain" lines.  See bench/README.md.
#
# Usage: bench/instructions.sh [MODULE.so]    (default: build/'s, after make)
# Environment:
#   INSN_SIZES   file sizes in bytes ("65536 1048576")
#   INSN_COUNT   uploads per size and location (10)
#   BENCH_DIR, BENCH_PORT, BENCH_SINK_PORT, BENCH_REDIS_PORT, NGINX as
#   for bench/run.sh (the directory defaults to build/bench-insn)
#
# Installs nothing; needs valgrind (callgrind_control), redis-server,
# redis-cli and curl.

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/body.sh"
module=$(readlink -f "${1:-$root/build/ngx_http_graph_attach_module.so}")
dir=${BENCH_DIR:-$root/build/bench-insn}
nginx=${NGINX:-/usr/sbin/nginx}
port=${BENCH_PORT:-18490}
sink_port=${BENCH_SINK_PORT:-18491}
redis_port=${BENCH_REDIS_PORT:-16490}
sizes=${INSN_SIZES:-65536 1048576}
count=${INSN_COUNT:-10}
boundary=----GraphAttachBench7MA4YWxkTrZu0gW
mailbox_path=users/bench@contoso.com/messages/AAMkBench=/attachments

die() { echo "instructions: $*" >&2; exit 1; }

for tool in valgrind callgrind_control redis-server redis-cli curl; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
[ -f "$module" ] || die "$module not found (make first)"

rm -rf "$dir"
mkdir -p "$dir"/{conf,logs,tmp,data,redis}

pids=
cleanup() {
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    die "$2 did not start (see $dir/logs/)"
}

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$dir/redis" >"$dir/logs/redis.log" 2>&1 &
pids="$pids $!"
wait_port "$redis_port" redis-server
redis-cli -p "$redis_port" SET graph:token:bench "bench-token-insn" >/dev/null

user_line=
[ "$(id -u)" = 0 ] && user_line='user root;'

sed -e "s|%%DIR%%|$dir|g" -e "s|%%SINK_ADDR%%|127.0.0.1:$sink_port|g" \
    -e "s|%%MODULE%%|$module|g" -e "s|%%PORT%%|$port|g" \
    -e "s|%%SINK_PORT%%|$sink_port|g" -e "s|%%REDIS_PORT%%|$redis_port|g" \
    -e "s|%%USER%%|$user_line master_process off;|g" \
    -e "s|%%LOG_LEVEL%%|error|g" -e "s|%%BODY_BUFFER%%||g" \
    "$root/bench/nginx.conf.in" >"$dir/conf/nginx.conf"

"$nginx" -p "$dir/" -c "$dir/conf/nginx.conf" -t -q
valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
    "$nginx" -p "$dir/" -c "$dir/conf/nginx.conf" \
    >"$dir/logs/valgrind.log" 2>&1 &
vg=$!
pids="$vg $pids"
wait_port "$port" "nginx under callgrind"

body_for() {
    local f="$dir/data/$1.body"
    write_body "$1" "$boundary" >"$f"
    printf '%s' "$f"
}

post() {    # post LOC FILE N
    local i code
    for i in $(seq "$3"); do
        code=$(curl -sS -o /dev/null -w '%{http_code}' \
               -H "Content-Type: multipart/form-data; boundary=$boundary" \
               -H 'Expect:' --data-binary "@$2" \
               "http://127.0.0.1:$port/$1/$mailbox_path")
        [ "$code" = 201 ] || die "$1: HTTP $code (see $dir/logs/error.log)"
    done
}

# the instructions since the last zeroing, from a dump
dump_ir() {
    local before after
    before=$(ls "$dir"/callgrind.out* 2>/dev/null | wc -l)
    callgrind_control -d "$vg" >/dev/null 2>&1
    for _ in $(seq 100); do
        after=$(ls "$dir"/callgrind.out* 2>/dev/null | wc -l)
        [ "$after" -gt "$before" ] && break
        sleep 0.1
    done
    sleep 0.2
    grep -h '^summary:' "$(ls -t "$dir"/callgrind.out* | head -n1)" \
        | awk '{print $2}'
}

echo "module: $module"
printf '%-10s %14s %14s %14s %7s\n' file plain/req graph/req 'graph-plain' ratio

for size in $sizes; do
    f=$(body_for "$size")
    post plain "$f" 1
    post graph "$f" 1            # warm: the token is cached after this

    callgrind_control -z "$vg" >/dev/null 2>&1
    post plain "$f" "$count"
    plain=$(dump_ir)

    callgrind_control -z "$vg" >/dev/null 2>&1
    post graph "$f" "$count"
    graph=$(dump_ir)

    awk -v s="$size" -v p="$plain" -v g="$graph" -v n="$count" 'BEGIN {
        printf "%-10s %14.0f %14.0f %14.0f %7.2f\n", s, p / n, g / n,
               (g - p) / n, g / p }'
done
