#!/bin/bash
# graph-attach benchmark: /graph/ (the module) against plain proxy_pass of
# the same multipart body (/plain/), measured in the same run, on the same
# nginx worker, all on 127.0.0.1.  See bench/README.md.
#
# Usage: bench/run.sh            (after make)
# Environment:
#   BENCH_DURATION      seconds per wrk series (10)
#   BENCH_CONNECTIONS   wrk connections (2); wrk runs 1 thread
#   BENCH_SIZES         file sizes in bytes ("1024 65536 1048576 2093056";
#                       from 2 MiB on /graph/ needs an upload session, which
#                       this configuration has not: bench/sessions.sh)
#   BENCH_BODY_BUFFER   client_body_buffer_size for every location
#                       (unset: nginx's default, 8k on x86-64: two pages)
#   BENCH_SINK          tcp (default): the sink listens on 127.0.0.1:BENCH_SINK_PORT;
#                       unix: on build/bench/sink.sock (no Nagle/delayed-ACK
#                       stalls on the front->sink hop; see bench/README.md)
#   BENCH_HTTP_EXTRA    more directives for the http{} block, e.g.
#                       "sendfile on;" (none)
#   BENCH_LOG_LEVEL     nginx error_log level (error: at warn every request
#                       above 10k logs "buffered to a temporary file"; debug for digging)
#   BENCH_DIR           servroot (build/bench)
#   BENCH_PORT, BENCH_SINK_PORT, BENCH_REDIS_PORT  (18480, 18481, 16480)
#   NGINX               nginx binary (/usr/sbin/nginx)
#   BENCH_MODE          unset: this bench; profile: bench/profile.sh instead
#                       (issue 11: 16 connections, client_body_buffer_size 4m
#                       and 16k, the sink in its own nginx on the other core,
#                       p50/p99, peak RSS, goals, perf; its own variables)
#
# Installs nothing; needs wrk, redis-server, redis-cli and curl.

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
case ${BENCH_MODE:-} in
    '') ;;
    profile) exec "$root/bench/profile.sh" "$@" ;;
    *) printf 'bench: BENCH_MODE must be unset or "profile"\n' >&2; exit 1 ;;
esac
. "$root/bench/body.sh"
dir=${BENCH_DIR:-$root/build/bench}
module=$root/build/ngx_http_graph_attach_module.so
nginx=${NGINX:-/usr/sbin/nginx}
port=${BENCH_PORT:-18480}
sink_port=${BENCH_SINK_PORT:-18481}
redis_port=${BENCH_REDIS_PORT:-16480}
duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-2}
sizes=${BENCH_SIZES:-1024 65536 1048576 2093056}
log_level=${BENCH_LOG_LEVEL:-error}
big=2093056                      # the single-upload memory probe: the simple POST's largest
boundary=----GraphAttachBench7MA4YWxkTrZu0gW
mailbox_path=users/bench@contoso.com/messages/AAMkBench=/attachments

say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks

missing=
for tool in wrk redis-server redis-cli curl; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    say "bench: missing:$missing" >&2
    case "$missing" in *wrk*) say "  wrk:           apt-get install wrk" >&2 ;; esac
    case "$missing" in *redis*) say "  redis-server:  apt-get install redis-server" >&2 ;; esac
    case "$missing" in *curl*) say "  curl:          apt-get install curl" >&2 ;; esac
    exit 1
fi
[ -f "$module" ] || die "$module is missing: run make first"
[ -x "$nginx" ] || die "$nginx not found"

for p in "$port" "$sink_port" "$redis_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "127.0.0.1:$p is in use (set BENCH_PORT / BENCH_SINK_PORT / BENCH_REDIS_PORT)"
    fi
done

# ---------------------------------------------------------------- setup

rm -rf "$dir"
mkdir -p "$dir/conf" "$dir/logs" "$dir/tmp" "$dir/redis" "$dir/data" \
         "$dir/wrk"

redis_pid=
nginx_pid=

stop() {
    code=${1:-0}
    trap - INT TERM EXIT
    if [ -n "$nginx_pid" ]; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -TERM "$nginx_pid" 2>/dev/null || true
    fi
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    exit "$code"
}
trap 'stop 130' INT TERM
trap 'stop $?' EXIT

wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    die "$2 did not start (see $dir/logs/)"
}

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$dir/redis" --daemonize no \
    >"$dir/logs/redis.log" 2>&1 &
redis_pid=$!
wait_port "$redis_port" redis-server
redis-cli -p "$redis_port" SET graph:token:bench \
    "bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >/dev/null

user_line=
[ "$(id -u)" = 0 ] && user_line='user root;'
body_buffer=
[ -n "${BENCH_BODY_BUFFER:-}" ] && \
    body_buffer="client_body_buffer_size ${BENCH_BODY_BUFFER};"
body_buffer="$body_buffer ${BENCH_HTTP_EXTRA:-}"

case ${BENCH_SINK:-tcp} in
    tcp)  sink_addr=127.0.0.1:$sink_port ;;
    unix) sink_addr=unix:$dir/sink.sock ;;
    *)    die "BENCH_SINK must be tcp or unix" ;;
esac

sed -e "s|%%DIR%%|$dir|g" -e "s|%%SINK_ADDR%%|$sink_addr|g" -e "s|%%MODULE%%|$module|g" \
    -e "s|%%PORT%%|$port|g" -e "s|%%SINK_PORT%%|$sink_port|g" \
    -e "s|%%REDIS_PORT%%|$redis_port|g" -e "s|%%USER%%|$user_line|g" \
    -e "s|%%LOG_LEVEL%%|$log_level|g" -e "s|%%BODY_BUFFER%%|$body_buffer|g" \
    "$root/bench/nginx.conf.in" >"$dir/conf/nginx.conf"

"$nginx" -p "$dir/" -c "$dir/conf/nginx.conf" -t -q
"$nginx" -p "$dir/" -c "$dir/conf/nginx.conf" >"$dir/logs/nginx.out" 2>&1 &
nginx_pid=$!
wait_port "$port" nginx
[ "${BENCH_SINK:-tcp}" = tcp ] && wait_port "$sink_port" "nginx (sink)"

worker=
for _ in $(seq 50); do
    worker=$(ps -o pid= --ppid "$nginx_pid" | tr -d ' ' | head -n1)
    [ -n "$worker" ] && break
    sleep 0.1
done
[ -n "$worker" ] || die "no nginx worker"

# VmHWM can be reset to the current RSS by writing 5 to clear_refs
# (Linux >= 4.0, owner or root); without it VmHWM is the worker's peak
# since it started and the per-series peaks below are cumulative.
can_reset=0
if echo 5 2>/dev/null >"/proc/$worker/clear_refs"; then
    can_reset=1
fi

# kB value of a /proc/PID/status field
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$worker/status"; }
# worker CPU time (user + system) in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$worker/stat"; }
hz=$(getconf CLK_TCK)
reset_hwm() { [ "$can_reset" = 1 ] && echo 5 >"/proc/$worker/clear_refs" || true; }

# ---------------------------------------------------------------- bodies

# body_for SIZE: build/bench/data/SIZE.body, a multipart body with one
# file of SIZE random bytes (application/octet-stream, passes the default
# policy and sniffing) and one text field.
body_for() {
    local f="$dir/data/$1.body"
    if [ ! -f "$f" ]; then
        write_body "$1" "$boundary" >"$f"
    fi
    printf '%s' "$f"
}

url_for() {   # url_for plain|graph
    printf 'http://127.0.0.1:%s/%s/%s' "$port" "$1" "$mailbox_path"
}

# post_once LOC FILE: one upload with curl; prints the status
post_once() {
    curl -sS -o "$dir/logs/last-response" -w '%{http_code}' \
        -H "Content-Type: multipart/form-data; boundary=$boundary" \
        -H 'Expect:' --data-binary "@$2" "$(url_for "$1")"
}

check_201() {
    local code
    code=$(post_once "$1" "$2")
    [ "$code" = 201 ] || die "$1: $(basename "$2"): HTTP $code: $(cat "$dir/logs/last-response") (see $dir/logs/error.log)"
}

# ---------------------------------------------------------------- memory probe

# Temp files (client_body_buffer_size left at its default, 8k on x86-64, two pages):
# nginx sizes its read buffer to the body when the body is under 1.25 x
# client_body_buffer_size (10k) and keeps it in memory; a longer body is
# read 8k at a time, and every time that buffer fills, nginx's save
# filter writes what it holds to a temp file.  In /graph/ the module's
# body filter sits in front of the save filter and hands it the JSON
# (16k output buffers, recycled once written), so the file holds the JSON,
# not the multipart body, and the worker holds a few 16k buffers whatever
# the file size.  /plain/ writes the multipart body the same way, and the
# sink writes what it receives.  Hence flat memory in both locations below;
# with BENCH_BODY_BUFFER=4m the bodies stay in memory and the probe shows
# the worker growing by the body sizes (a check that the probe works).
#
# mem_probe LOC: one 2044 KiB upload; sets probe_grow (VmHWM during it minus
# VmRSS before, kB) and probe_kept (VmRSS after minus before, kB).
mem_probe() {
    local f rss0 hwm rss1
    f=$(body_for "$big")
    sleep 0.2
    reset_hwm
    rss0=$(status_kb VmRSS)
    check_201 "$1" "$f"
    hwm=$(status_kb VmHWM)
    rss1=$(status_kb VmRSS)
    probe_grow=$((hwm - rss0))
    probe_kept=$((rss1 - rss0))
}

ratio() {   # ratio A B: A/B with 2 decimals, "-" when B is 0
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

# ---------------------------------------------------------------- run

say "graph-attach bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
say "nginx $("$nginx" -v 2>&1 | sed 's|.*/||'), worker pid $worker, wrk -t1 -c$conns -d${duration}s"
say "sink: $sink_addr; client_body_buffer_size: ${BENCH_BODY_BUFFER:-default (8k)}; extra: ${BENCH_HTTP_EXTRA:-none}; VmHWM reset per measurement: $([ "$can_reset" = 1 ] && echo yes || echo no)"
say ""

# warm up both paths (token fetched from Redis and cached in shm, upstream
# keepalive connections opened, pools sized)
small=$(body_for 1024)
for loc in plain graph; do
    for _ in 1 2 3; do check_201 "$loc" "$small"; done
done

base_rss=$(status_kb VmRSS)
say "worker after warm-up: VmRSS ${base_rss} kB"
say ""

say "single 2044 KiB upload (peak RSS growth = VmHWM during the request - VmRSS before):"
declare -A grow kept
for round in 1 2; do
    for loc in plain graph; do
        mem_probe "$loc"
        grow[$loc.$round]=$probe_grow
        kept[$loc.$round]=$probe_kept
        say "  round $round  $loc  peak growth ${probe_grow} kB, kept after ${probe_kept} kB"
    done
done
say ""

declare -A rps mbs hwm rss p50 p99 errs busy cpureq
for size in $sizes; do
    f=$(body_for "$size")
    blen=$(stat -c %s "$f")
    for loc in plain graph; do
        check_201 "$loc" "$f"
        reset_hwm
        t0=$(cpu_ticks)
        out="$dir/wrk/$loc-$size.txt"
        BENCH_BODY=$f BENCH_BOUNDARY=$boundary \
            wrk -t1 -c"$conns" -d"${duration}s" -s "$root/bench/post.lua" \
                --latency "$(url_for "$loc")" >"$out" 2>&1 \
            || die "wrk failed: $out"
        t1=$(cpu_ticks)
        line=$(grep '^BENCH ' "$out") || die "no result in $out"
        eval "$(printf '%s\n' "${line#BENCH }" | tr ' ' '\n' | sed 's/^/w_/')"
        key=$loc.$size
        rps[$key]=$(awk -v n="$w_requests" -v us="$w_duration_us" \
                        'BEGIN { printf "%.1f", n / (us / 1e6) }')
        mbs[$key]=$(awk -v r="${rps[$key]}" -v s="$size" \
                        'BEGIN { printf "%.1f", r * s / 1e6 }')
        errs[$key]=$((w_status_errors + w_connect + w_read + w_write + w_timeout))
        p50[$key]=$(awk -v u="$w_p50_us" 'BEGIN { printf "%.2f", u / 1000 }')
        p99[$key]=$(awk -v u="$w_p99_us" 'BEGIN { printf "%.2f", u / 1000 }')
        # worker CPU: share of the series it was busy, and per request
        busy[$key]=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v us="$w_duration_us" \
                         'BEGIN { printf "%.0f", 100 * (t / hz) / (us / 1e6) }')
        cpureq[$key]=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$w_requests" \
                           'BEGIN { printf "%.1f", n ? 1e6 * (t / hz) / n : 0 }')
        hwm[$key]=$(status_kb VmHWM)
        rss[$key]=$(status_kb VmRSS)
        say "  $(printf '%-5s %8s B (body %8s B): %9s req/s %8s MB/s  p50 %7s ms  p99 %7s ms  errors %s  worker CPU %s%% %s us/req  VmHWM %s kB  VmRSS %s kB' \
            "$loc" "$size" "$blen" "${rps[$key]}" "${mbs[$key]}" "${p50[$key]}" "${p99[$key]}" \
            "${errs[$key]}" "${busy[$key]}" "${cpureq[$key]}" "${hwm[$key]}" "${rss[$key]}")"
    done
done
say ""

for loc in plain graph; do
    mem_probe "$loc"
    grow[$loc.3]=$probe_grow
    kept[$loc.3]=$probe_kept
    say "single 2044 KiB upload after the series: $loc  peak growth ${probe_grow} kB, kept after ${probe_kept} kB"
done
say ""

# what the sink received: mean request length per location (checks that
# the whole body reached it; graph is ~4/3 of the file plus JSON)
sleep 2.5     # sink access log flush=2s
say "sink received (requests grouped by length, mean length, headers included):"
awk '{ loc = ($1 ~ /^\/plain\//) ? "plain" : "graph"; k = loc " " int(2 * log($3) / log(2));
       n[k]++; s[k] += $3; if ($2 != 201) bad[k]++ }
     END { for (k in n) { split(k, a, " ");
               printf "  %-5s %7d requests, mean %9.0f bytes, non-201 %d\n",
                      a[1], n[k], s[k] / n[k], bad[k] + 0 } }' \
    "$dir/logs/sink.log" | sort -k5,5n -k1,1r
say ""

# ---------------------------------------------------------------- table

label_for() {
    local size=$1
    if [ $((size % 1048576)) = 0 ]; then printf '%s MiB' $((size / 1048576))
    elif [ $((size % 1024)) = 0 ]; then printf '%s KiB' $((size / 1024))
    else printf '%s B' "$size"; fi
}

# a series where the worker was busy less than half the time was not
# limited by nginx's CPU but by waiting (see bench/README.md: the 40 ms
# Nagle / delayed-ACK stall on the front->sink hop); marked with "!"
mark() { awk -v b="$1" 'BEGIN { print (b < 50) ? "!" : " " }'; }

say "Throughput (ratio = graph / plain; MB = 10^6 bytes of file payload;"
say "! = worker busy < 50%: waiting, not working)"
say ""
say "| file     | plain req/s | graph req/s | ratio | plain MB/s | graph MB/s | plain p50 ms | graph p50 ms |"
say "|----------|-------------|-------------|-------|------------|------------|--------------|--------------|"
for size in $sizes; do
    printf '| %-8s | %10s%s | %10s%s | %5s | %10s | %10s | %12s | %12s |\n' \
        "$(label_for "$size")" \
        "${rps[plain.$size]}" "$(mark "${busy[plain.$size]}")" \
        "${rps[graph.$size]}" "$(mark "${busy[graph.$size]}")" \
        "$(ratio "${rps[graph.$size]}" "${rps[plain.$size]}")" \
        "${mbs[plain.$size]}" "${mbs[graph.$size]}" \
        "${p50[plain.$size]}" "${p50[graph.$size]}"
done
say ""
say "Worker CPU per request (user + system, the sink's share included) and memory"
say "(VmHWM = peak during the series, VmHWM reset before each; VmRSS after it)"
say ""
say "| file     | plain CPU | graph CPU | ratio | plain busy | graph busy | plain HWM | graph HWM | ratio | plain RSS | graph RSS |"
say "|----------|-----------|-----------|-------|------------|------------|-----------|-----------|-------|-----------|-----------|"
for size in $sizes; do
    printf '| %-8s | %6s us | %6s us | %5s | %9s%% | %9s%% | %6s kB | %6s kB | %5s | %6s kB | %6s kB |\n' \
        "$(label_for "$size")" "${cpureq[plain.$size]}" "${cpureq[graph.$size]}" \
        "$(ratio "${cpureq[graph.$size]}" "${cpureq[plain.$size]}")" \
        "${busy[plain.$size]}" "${busy[graph.$size]}" \
        "${hwm[plain.$size]}" "${hwm[graph.$size]}" \
        "$(ratio "${hwm[graph.$size]}" "${hwm[plain.$size]}")" \
        "${rss[plain.$size]}" "${rss[graph.$size]}"
done
say ""
say "Single 2044 KiB upload, peak worker RSS growth (kB):"
say ""
say "| when              | plain | graph | ratio |"
say "|-------------------|-------|-------|-------|"
for round in 1 2 3; do
    case $round in 1) when="fresh worker" ;; 2) when="repeat" ;; 3) when="after the series" ;; esac
    printf '| %-17s | %5s | %5s | %5s |\n' "$when" "${grow[plain.$round]}" \
        "${grow[graph.$round]}" "$(ratio "${grow[graph.$round]}" "${grow[plain.$round]}")"
done
say ""

gets=$(redis-cli -p "$redis_port" INFO commandstats | awk -F'[:=,]' '$1 == "cmdstat_get" { print $3 }')
say "Redis GET commands during the whole run: ${gets:-0} (the token is cached in shm)"
say ""

total_err=0
for k in "${!errs[@]}"; do total_err=$((total_err + errs[$k])); done
if [ "$total_err" != 0 ]; then
    say "WARNING: $total_err wrk errors (non-2xx or socket); see $dir/wrk/ and $dir/logs/error.log"
fi
alerts=$(grep -cE '\[(alert|crit|emerg)\]' "$dir/logs/error.log" || true)
[ "$alerts" = 0 ] || say "WARNING: $alerts alert/crit lines in $dir/logs/error.log"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "logs and wrk output: $dir/"
