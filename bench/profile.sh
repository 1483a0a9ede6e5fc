#!/bin/bash
# graph-attach benchmark, profile mode (issue 11): /graph/ against plain
# proxy_pass of the same multipart body with 16 connections and
# client_body_buffer_size 4m (bodies in memory) and 16k (temp files),
# the front's worker alone on one core, the sink (its own nginx) and wrk
# on the other.  Prints CPU us/request of the front worker, the ratio to
# plain, peak RSS and p50/p99 per size, the issue's goals (met or not),
# and perf's top symbols.  See bench/README.md, "Profile mode".
#
# Usage: BENCH_MODE=profile bench/run.sh      (or bench/profile.sh; after make)
# Environment:
#   BENCH_DURATION      seconds per wrk series (10)
#   BENCH_CONNECTIONS   wrk connections (16); wrk runs 1 thread
#   BENCH_SIZES         file sizes in bytes, at most 4 MiB ("1024 10240 262144
#                       1048576 2093056 3145728"; from 2 MiB on /graph/ uses an
#                       upload session: 2093056 is the simple POST's largest here)
#   BENCH_BUFFERS       client_body_buffer_size of the front, one pass over
#                       BENCH_SIZES each ("4m 16k")
#   BENCH_REPEAT        pairs of series (plain, then graph) per size and
#                       buffer (1); with more, the tables give the median
#                       CPU per request of each location and the median
#                       of the pairs' ratios, the other columns the last
#                       pair's (a shared machine's noise moves one pair
#                       by 20% and more)
#   BENCH_MAX_STEAL     a pair whose plain or graph series had more steal
#                       time (% of the machine, /proc/stat) is run again,
#                       up to BENCH_RETRIES (3) more times (100: never)
#   BENCH_RSS_SIZE      the size whose series gives the peak RSS goal (3145728)
#   BENCH_LATENCY_CONNECTIONS  the extra 1 KiB series of the first buffer,
#                       for unloaded p99 (1; 0 skips it)
#   BENCH_PERF          1: perf (software cpu-clock) of the front worker at
#                       BENCH_PERF_SIZE, first buffer, both locations; 0: no
#                       (default 1 when perf is installed)
#   BENCH_PERF_SIZE     (1048576)   BENCH_PERF_DURATION  seconds (5)
#   BENCH_PERF_CALLS    1: record call chains too (perf record -g), for
#                       perf report --no-children -G on perf/LOC.data (0)
#   BENCH_STRACE        1: count the worker's memory syscalls (mmap, munmap,
#                       brk, madvise) per request at BENCH_PERF_SIZE (default
#                       1 when strace is installed)
#   BENCH_PIN           1: front worker on CPU BENCH_FRONT_CPU (0), sink
#                       worker and wrk on BENCH_CLIENT_CPU (1) (default 1
#                       when there are 2 CPUs or more)
#   BENCH_SINK          tcp (default) or unix (build/bench-profile/sink.sock)
#   BENCH_HTTP_EXTRA    more directives for the front's http{} block
#   BENCH_PLOT          also copy the PNG there (e.g. docs/performance-profile.png)
#   BENCH_SESSIONS      1: then run bench/sessions.sh (35 MB uploads) with
#                       BENCH_BODY_BUFFER=4m and BENCH_CONCURRENCY=16 unless
#                       set, and check its throughput against 0.80 (0)
#   BENCH_LOG_LEVEL     nginx error_log level (error)
#   BENCH_DIR           servroot (build/bench-profile)
#   BENCH_PORT, BENCH_SINK_PORT, BENCH_REDIS_PORT  (18680, 18681, 16680)
#   NGINX               nginx binary (/usr/sbin/nginx)
#
# Installs nothing; needs wrk, redis-server, redis-cli and curl; perf,
# strace and gnuplot (apt-get install gnuplot-nox) when present.

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/body.sh"
dir=${BENCH_DIR:-$root/build/bench-profile}
module=$root/build/ngx_http_graph_attach_module.so
nginx=${NGINX:-/usr/sbin/nginx}
port=${BENCH_PORT:-18680}
sink_port=${BENCH_SINK_PORT:-18681}
redis_port=${BENCH_REDIS_PORT:-16680}
duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-16}
sizes=${BENCH_SIZES:-1024 10240 262144 1048576 2093056 3145728}
session_threshold=2097152        # graph_attach_upload_threshold's default
buffers=${BENCH_BUFFERS:-4m 16k}
rss_size=${BENCH_RSS_SIZE:-3145728}
repeat=${BENCH_REPEAT:-1}
max_steal=${BENCH_MAX_STEAL:-100}
retries=${BENCH_RETRIES:-3}
lat_conns=${BENCH_LATENCY_CONNECTIONS:-1}
perf_size=${BENCH_PERF_SIZE:-1048576}
perf_duration=${BENCH_PERF_DURATION:-5}
perf_calls=
if [ "${BENCH_PERF_CALLS:-0}" = 1 ]; then perf_calls=-g; fi
log_level=${BENCH_LOG_LEVEL:-error}
boundary=----GraphAttachBench7MA4YWxkTrZu0gW
mailbox_path=users/bench@contoso.com/messages/AAMkBench=/attachments

say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

do_perf=${BENCH_PERF:-$(have perf && echo 1 || echo 0)}
do_strace=${BENCH_STRACE:-$(have strace && echo 1 || echo 0)}
ncpu=$(nproc)
pin=${BENCH_PIN:-$([ "$ncpu" -ge 2 ] && echo 1 || echo 0)}
front_cpu=${BENCH_FRONT_CPU:-0}
client_cpu=${BENCH_CLIENT_CPU:-1}

# ---------------------------------------------------------------- checks

missing=
for tool in wrk redis-server redis-cli curl; do
    have "$tool" || missing="$missing $tool"
done
[ -z "$missing" ] || die "missing:$missing (apt-get install wrk redis-server curl)"
[ "$do_perf" = 1 ] && { have perf || die "perf is missing (apt-get install linux-perf) or set BENCH_PERF=0"; }
[ "$do_strace" = 1 ] && { have strace || die "strace is missing or set BENCH_STRACE=0"; }
[ -f "$module" ] || die "$module is missing: run make first"
[ -x "$nginx" ] || die "$nginx not found"
for s in $sizes $rss_size; do
    [ "$s" -le 4194304 ] || die "BENCH_SIZES: $s: at most 4 MiB (the profile sink answers every upload range as the last)"
done
[ -r /proc/self/schedstat ] || die "/proc/PID/schedstat is missing (CONFIG_SCHEDSTATS)"

for p in "$port" "$sink_port" "$redis_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "127.0.0.1:$p is in use (set BENCH_PORT / BENCH_SINK_PORT / BENCH_REDIS_PORT)"
    fi
done

# ---------------------------------------------------------------- setup

rm -rf "$dir"
mkdir -p "$dir/conf" "$dir/logs" "$dir/tmp/front" "$dir/tmp/sink" "$dir/redis" \
         "$dir/data" "$dir/wrk" "$dir/perf"

redis_pid=
front_pid=
sink_pid=
bg_pids=

quit_nginx() {
    [ -n "$1" ] || return 0
    kill -QUIT "$1" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

stop() {
    code=${1:-0}
    trap - INT TERM EXIT
    for p in $bg_pids; do kill -INT "$p" 2>/dev/null || true; done
    quit_nginx "$front_pid"
    quit_nginx "$sink_pid"
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

wait_closed() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 0
        sleep 0.1
    done
    die "127.0.0.1:$1 still open"
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

# the uploadUrl of a session is always TCP (graph_attach_upload_hosts)
sink_tcp_listen=
case ${BENCH_SINK:-tcp} in
    tcp)  sink_addr=127.0.0.1:$sink_port ;;
    unix) sink_addr=unix:$dir/sink.sock; sink_tcp_listen="listen 127.0.0.1:$sink_port;" ;;
    *)    die "BENCH_SINK must be tcp or unix" ;;
esac

mask() {    # mask CPU: worker_cpu_affinity's bit mask for one CPU
    local m=1 i
    for ((i = 0; i < $1; i++)); do m="${m}0"; done
    printf '%s' "$m"
}
front_aff= sink_aff= wrk_pin=
if [ "$pin" = 1 ]; then
    front_aff="worker_cpu_affinity $(mask "$front_cpu");"
    sink_aff="worker_cpu_affinity $(mask "$client_cpu");"
    wrk_pin="taskset -c $client_cpu"
fi

fill() {    # fill TEMPLATE OUTPUT BODY_BUFFER AFFINITY
    sed -e "s|%%DIR%%|$dir|g" -e "s|%%SINK_ADDR%%|$sink_addr|g" -e "s|%%MODULE%%|$module|g" \
        -e "s|%%PORT%%|$port|g" -e "s|%%SINK_PORT%%|$sink_port|g" -e "s|%%REDIS_PORT%%|$redis_port|g" \
        -e "s|%%SINK_TCP_LISTEN%%|$sink_tcp_listen|g" \
        -e "s|%%USER%%|$user_line|g" -e "s|%%LOG_LEVEL%%|$log_level|g" \
        -e "s|%%BODY_BUFFER%%|$3|g" -e "s|%%AFFINITY%%|$4|g" \
        -e "s|%%HTTP_EXTRA%%|${BENCH_HTTP_EXTRA:-}|g" \
        "$1" >"$2"
}

worker_of() {
    local w=
    for _ in $(seq 50); do
        w=$(ps -o pid= --ppid "$1" | tr -d ' ' | head -n1)
        [ -n "$w" ] && break
        sleep 0.1
    done
    [ -n "$w" ] || die "no nginx worker under $1"
    printf '%s' "$w"
}

fill "$root/bench/profile-sink.conf.in" "$dir/conf/sink.conf" 8m "$sink_aff"
"$nginx" -p "$dir/" -c "$dir/conf/sink.conf" -t -q
"$nginx" -p "$dir/" -c "$dir/conf/sink.conf" >"$dir/logs/sink.out" 2>&1 &
sink_pid=$!
wait_port "$sink_port" "nginx (sink)"
sink_worker=$(worker_of "$sink_pid")

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# on-CPU time of a task in ns (user + system, scheduler's accounting)
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
# per CPU: "cpuN busy-jiffies idle+iowait-jiffies steal-jiffies" for all and each CPU
cpu_snap() { awk '$1 ~ /^cpu/ { t = 0; for (i = 2; i <= 9; i++) t += $i;
                                print $1, t, $5 + $6, $9 }' /proc/stat; }
# cpu_idle BEFORE AFTER: "idle all% (cpu0 a%, cpu1 b%), steal s%"
cpu_idle() {
    awk 'NR == FNR { t[$1] = $2; i[$1] = $3; s[$1] = $4; next }
         { dt = $2 - t[$1]; di = $3 - i[$1]; ds = $4 - s[$1];
           pi[$1] = dt ? 100 * di / dt : 0; ps[$1] = dt ? 100 * ds / dt : 0; o[++n] = $1 }
         END { line = sprintf("idle %.0f%%", pi["cpu"]); sep = " (";
               for (k = 2; k <= n; k++) { line = line sprintf("%s%s %.0f%%", sep, o[k], pi[o[k]]); sep = ", " }
               printf "%s), steal %.0f%%", line, ps["cpu"] }' "$1" "$2"
}

start_front() {   # start_front BUFFER: a fresh front nginx; sets front_pid, worker
    fill "$root/bench/profile.conf.in" "$dir/conf/front.conf" "$1" "$front_aff"
    "$nginx" -p "$dir/" -c "$dir/conf/front.conf" -t -q
    "$nginx" -p "$dir/" -c "$dir/conf/front.conf" >>"$dir/logs/front.out" 2>&1 &
    front_pid=$!
    wait_port "$port" "nginx (front)"
    worker=$(worker_of "$front_pid")
}
stop_front() {
    quit_nginx "$front_pid"
    front_pid=
    wait_closed "$port"
}

# ---------------------------------------------------------------- bodies

body_for() {
    local f="$dir/data/$1.body"
    [ -f "$f" ] || write_body "$1" "$boundary" >"$f"
    printf '%s' "$f"
}
url_for() { printf 'http://127.0.0.1:%s/%s/%s' "$port" "$1" "$mailbox_path"; }
check_201() {
    local code
    code=$(curl -sS -o "$dir/logs/last-response" -w '%{http_code}' \
        -H "Content-Type: multipart/form-data; boundary=$boundary" \
        -H 'Expect:' --data-binary "@$2" "$(url_for "$1")")
    [ "$code" = 201 ] || die "$1: $(basename "$2"): HTTP $code: $(cat "$dir/logs/last-response") (see $dir/logs/)"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
path_of() { [ "$1" -ge "$session_threshold" ] && printf ' (session)' || true; }
label_for() {
    local size=$1
    if [ $((size % 1048576)) = 0 ]; then printf '%s MiB' $((size / 1048576))
    elif [ $((size % 1024)) = 0 ]; then printf '%s KiB' $((size / 1024))
    else printf '%s B' "$size"; fi
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# run_wrk LOC FILE CONNS SECONDS OUT: sets w_* from post.lua's line
run_wrk() {
    BENCH_BODY=$2 BENCH_BOUNDARY=$boundary \
        $wrk_pin wrk -t1 -c"$3" -d"${4}s" --timeout 10s -s "$root/bench/post.lua" \
            --latency "$(url_for "$1")" >"$5" 2>&1 \
        || die "wrk failed: $5"
    local line
    line=$(grep '^BENCH ' "$5") || die "no result in $5"
    eval "$(printf '%s\n' "${line#BENCH }" | tr ' ' '\n' | sed 's/^/w_/')"
}

declare -A rps p50 p99 errs busy sbusy cpureq hwm base idle

# series BUF LOC SIZE CONNS: a fresh front, warm-up, one wrk series;
# leaves the front running (the caller may profile it, then stop_front)
series() {
    local buf=$1 loc=$2 size=$3 c=$4 key="$1.$2.$3.$4" f t0 t1 s0 s1 out
    f=$(body_for "$size")
    start_front "$buf"
    small=$(body_for 1024)
    for _ in 1 2 3; do check_201 "$loc" "$small"; done   # token cached in shm, keepalive up
    check_201 "$loc" "$f"
    base[$key]=$(status_kb "$worker" VmRSS)
    sleep 0.2
    cpu_snap >"$dir/cpu0"
    t0=$(cpu_ns "$worker"); s0=$(cpu_ns "$sink_worker")
    out="$dir/wrk/$buf-$loc-$size-c$c.txt"
    run_wrk "$loc" "$f" "$c" "$duration" "$out"
    t1=$(cpu_ns "$worker"); s1=$(cpu_ns "$sink_worker")
    cpu_snap >"$dir/cpu1"
    idle[$key]=$(cpu_idle "$dir/cpu0" "$dir/cpu1")
    rps[$key]=$(awk -v n="$w_requests" -v us="$w_duration_us" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
    errs[$key]=$((w_status_errors + w_connect + w_read + w_write + w_timeout))
    p50[$key]=$(awk -v u="$w_p50_us" 'BEGIN { printf "%.2f", u / 1000 }')
    p99[$key]=$(awk -v u="$w_p99_us" 'BEGIN { printf "%.2f", u / 1000 }')
    busy[$key]=$(awk -v t="$((t1 - t0))" -v us="$w_duration_us" 'BEGIN { printf "%.0f", 100 * t / 1e3 / us }')
    sbusy[$key]=$(awk -v t="$((s1 - s0))" -v us="$w_duration_us" 'BEGIN { printf "%.0f", 100 * t / 1e3 / us }')
    cpureq[$key]=$(awk -v t="$((t1 - t0))" -v n="$w_requests" 'BEGIN { printf "%.1f", n ? t / 1e3 / n : 0 }')
    hwm[$key]=$(status_kb "$worker" VmHWM)
    say "  $(printf '%-3s %-5s %8s B c%-2s %9s req/s  p50 %7s ms  p99 %7s ms  err %s  front %3s%% %8s us/req  VmHWM %6s kB (warm %s)  sink %3s%%  %s' \
        "$buf" "$loc" "$size" "$c" "${rps[$key]}" "${p50[$key]}" "${p99[$key]}" "${errs[$key]}" \
        "${busy[$key]}" "${cpureq[$key]}" "${hwm[$key]}" "${base[$key]}" "${sbusy[$key]}" "${idle[$key]}")"
}

# profile LOC SIZE: perf record (cpu-clock) and perf stat of the running
# front worker during another wrk series; then strace -c of the memory
# syscalls during a third
declare -A pf_req pf_faults pf_cs mm_calls
profile() {
    local loc=$1 size=$2 f rec st out n
    f=$(body_for "$size")
    if [ "$do_perf" = 1 ]; then
        perf record -e cpu-clock -F 999 $perf_calls -p "$worker" -o "$dir/perf/$loc.data" \
            >"$dir/perf/$loc-record.log" 2>&1 &
        rec=$!
        perf stat -e task-clock,page-faults,context-switches,cpu-migrations -x, \
            -p "$worker" -o "$dir/perf/$loc-stat.csv" >/dev/null 2>&1 &
        st=$!
        bg_pids="$rec $st"
        sleep 0.5
        run_wrk "$loc" "$f" "$conns" "$perf_duration" "$dir/wrk/perf-$loc.txt"
        kill -INT "$rec" "$st" 2>/dev/null || true
        wait "$rec" 2>/dev/null || true
        wait "$st" 2>/dev/null || true
        bg_pids=
        n=$w_requests
        pf_req[$loc]=$n
        pf_faults[$loc]=$(awk -F, -v n="$n" '$3 == "page-faults" { printf "%.0f", $1 / n }' "$dir/perf/$loc-stat.csv")
        pf_cs[$loc]=$(awk -F, -v n="$n" '$3 == "context-switches" { printf "%.1f", $1 / n }' "$dir/perf/$loc-stat.csv")
    fi
    if [ "$do_strace" = 1 ]; then
        strace -c -f -e trace=mmap,munmap,brk,madvise,mremap -p "$worker" \
            -o "$dir/perf/$loc-strace.txt" 2>/dev/null &
        st=$!
        bg_pids=$st
        sleep 0.5
        run_wrk "$loc" "$f" "$conns" "$perf_duration" "$dir/wrk/strace-$loc.txt"
        kill -INT "$st" 2>/dev/null || true
        wait "$st" 2>/dev/null || true
        bg_pids=
        n=$w_requests
        mm_calls[$loc]=$(awk -v n="$n" '$NF ~ /^(mmap|munmap|brk|madvise|mremap)$/ && $4 ~ /^[0-9]+$/ {
                                printf "%s%s %.1f", sep, $NF, $4 / n; sep = ", " }
                              $NF ~ /^(mmap|munmap|brk|madvise|mremap)$/ && $4 !~ /^[0-9]+$/ {
                                printf "%s%s %.1f", sep, $NF, $3 / n; sep = ", " }' "$dir/perf/$loc-strace.txt")
        [ -n "${mm_calls[$loc]}" ] || mm_calls[$loc]="none"
    fi
}

# ---------------------------------------------------------------- run

cpu_snap >"$dir/cpu0"; sleep 3; cpu_snap >"$dir/cpu1"
say "graph-attach bench, profile mode: $(date -u '+%Y-%m-%d %H:%M UTC'), $ncpu CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r)"
say "machine before the run (3 s, nothing of ours busy): $(cpu_idle "$dir/cpu0" "$dir/cpu1"); load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "nginx $("$nginx" -v 2>&1 | sed 's|.*/||'), $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2); wrk -t1 -c$conns -d${duration}s per series; a fresh front nginx (1 worker) per series"
say "pinning: $([ "$pin" = 1 ] && echo "front worker on CPU $front_cpu; sink worker (own nginx) and wrk on CPU $client_cpu" || echo none); sink $sink_addr (8m body buffers)"
say "module $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?'); front client_body_buffer_size: $buffers; extra: ${BENCH_HTTP_EXTRA:-none}"
say "per series: req/s, wrk latency p50/p99, front worker CPU (busy %, us per request; /proc/PID/schedstat),"
say "its VmHWM (peak since the fresh worker started; warm = VmRSS after warm-up), sink busy, idle per CPU"
say ""

# median of the numbers given
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# stolen KEY KEY: true (and says so) when either series had more steal
# time than BENCH_MAX_STEAL: another guest ran on the host's cores then,
# and its cache and memory traffic is in the worker's CPU time (the
# stolen time itself the kernel deducts)
reruns=0
stolen() {
    local a b
    a=$(printf '%s' "${idle[$1]}" | sed -n 's/.*steal \([0-9]*\)%.*/\1/p')
    b=$(printf '%s' "${idle[$2]}" | sed -n 's/.*steal \([0-9]*\)%.*/\1/p')
    if [ "${a:-0}" -gt "$max_steal" ] || [ "${b:-0}" -gt "$max_steal" ]; then
        say "  (steal ${a:-0}% / ${b:-0}% over $max_steal%: the pair again)"
        return 0
    fi
    return 1
}

# pair BUF SIZE CONNS PROFILE: a series of plain, then one of graph, run
# again while stolen() says so (PROFILE 1: profile() each location after
# the first try's series); the tables' numbers are the last try's
pair() {
    local buf=$1 size=$2 c=$3 prof=$4 tries=0 loc
    while :; do
        for loc in plain graph; do
            series "$buf" "$loc" "$size" "$c"
            if [ "$prof" = 1 ] && [ "$tries" = 0 ]; then
                profile "$loc" "$size"
            fi
            stop_front
        done
        stolen "$buf.plain.$size.$c" "$buf.graph.$size.$c" || return 0
        if [ "$tries" -ge "$retries" ]; then
            say "  (pair kept: the last of $((retries + 1)) tries)"
            return 0
        fi
        tries=$((tries + 1)); reruns=$((reruns + 1))
    done
}

# pairs BUF SIZE CONNS PROFILE: BENCH_REPEAT pairs; with more than one,
# the tables' CPU and latency become the medians of the series, and the
# ratio the median of the pairs' ratios
declare -A rep_cpu rep_p50 rep_p99 rep_ratio pair_ratio
pairs() {
    local buf=$1 size=$2 c=$3 prof=$4 rep loc k
    for rep in $(seq "$repeat"); do
        pair "$buf" "$size" "$c" "$([ "$rep" = 1 ] && echo "$prof")"
        for loc in plain graph; do
            k=$buf.$loc.$size.$c
            rep_cpu[$k]+=" ${cpureq[$k]}"; rep_p50[$k]+=" ${p50[$k]}"; rep_p99[$k]+=" ${p99[$k]}"
        done
        rep_ratio[$buf.$size.$c]+=" $(ratio "${cpureq[$buf.graph.$size.$c]}" "${cpureq[$buf.plain.$size.$c]}")"
    done
    [ "$repeat" -gt 1 ] || return 0
    for loc in plain graph; do
        k=$buf.$loc.$size.$c
        # shellcheck disable=SC2086
        { cpureq[$k]=$(median ${rep_cpu[$k]}); p50[$k]=$(median ${rep_p50[$k]}); p99[$k]=$(median ${rep_p99[$k]}); }
    done
    # shellcheck disable=SC2086
    pair_ratio[$buf.$size.$c]=$(median ${rep_ratio[$buf.$size.$c]})
    say "  $buf $(label_for "$size"), $c connection(s): ratios of the $repeat pairs:${rep_ratio[$buf.$size.$c]}, median ${pair_ratio[$buf.$size.$c]}; p99 plain${rep_p99[$buf.plain.$size.$c]}, graph${rep_p99[$buf.graph.$size.$c]} ms"
}

first_buf=${buffers%% *}
for buf in $buffers; do
    for size in $sizes; do
        prof=0
        if [ "$do_perf$do_strace" != 00 ] && [ "$buf" = "$first_buf" ] && [ "$size" = "$perf_size" ]; then
            prof=1
        fi
        pairs "$buf" "$size" "$conns" "$prof"
    done
    case " $sizes " in *" $rss_size "*) ;; *)
        for loc in plain graph; do series "$buf" "$loc" "$rss_size" "$conns"; stop_front; done ;;
    esac
done
if [ "$lat_conns" != 0 ]; then
    pairs "$first_buf" 1024 "$lat_conns" 0
fi
[ "$max_steal" -ge 100 ] || say "pairs run again for steal time over ${max_steal}% (at most $retries times each): $reruns"
say ""

# ---------------------------------------------------------------- tables

ok() { awk -v v="$1" -v l="$2" 'BEGIN { print (v != "-" && v + 0 <= l + 0) ? "yes" : "**no**" }'; }

declare -A goal
for buf in $buffers; do
    say "client_body_buffer_size $buf, $conns connections (front worker CPU per request; ratio = graph / plain$([ "$repeat" -gt 1 ] && echo ", medians of $repeat pairs"); goal <= 1.5)"
    say ""
    say "| file | plain CPU | graph CPU | ratio | <= 1.5 | plain req/s | graph req/s | plain p50 / p99 ms | graph p50 / p99 ms | plain VmHWM | graph VmHWM |"
    say "|---|---|---|---|---|---|---|---|---|---|---|"
    {
        printf '# client_body_buffer_size %s: size_bytes label plain_us graph_us ratio plain_hwm_mib graph_hwm_mib plain_p99 graph_p99\n' "$buf"
    } >"$dir/profile-$buf.dat"
    for size in $sizes; do
        kp=$buf.plain.$size.$conns kg=$buf.graph.$size.$conns
        r=${pair_ratio[$buf.$size.$conns]:-$(ratio "${cpureq[$kg]}" "${cpureq[$kp]}")}
        say "| $(label_for "$size")$(path_of "$size") | ${cpureq[$kp]} us | ${cpureq[$kg]} us | $r | $(ok "$r" 1.5) | ${rps[$kp]} | ${rps[$kg]} | ${p50[$kp]} / ${p99[$kp]} | ${p50[$kg]} / ${p99[$kg]} | $(mib "${hwm[$kp]}") MiB | $(mib "${hwm[$kg]}") MiB |"
        printf '%s "%s" %s %s %s %s %s %s %s\n' "$size" "$(label_for "$size")" "${cpureq[$kp]}" "${cpureq[$kg]}" "$r" \
            "$(mib "${hwm[$kp]}")" "$(mib "${hwm[$kg]}")" "${p99[$kp]}" "${p99[$kg]}" >>"$dir/profile-$buf.dat"
        [ "$size" = 1024 ] || goal["cpu $buf $(label_for "$size")"]="$r $(ok "$r" 1.5)"
    done
    say ""
done

say "Peak RSS of the front worker, $conns concurrent $(label_for "$rss_size") uploads$(path_of "$rss_size") (VmHWM of a fresh worker over the series):"
say ""
say "| client_body_buffer_size | plain | graph | graph - plain | goal | met |"
say "|---|---|---|---|---|---|"
for buf in $buffers; do
    kp=$buf.plain.$rss_size.$conns kg=$buf.graph.$rss_size.$conns
    if [ "$buf" = 4m ]; then
        lim=$(awk -v p="${hwm[$kp]}" 'BEGIN { printf "%.0f", 1.4 * p + 8192 }'); lims="1.4 x plain + 8 MiB"
    else
        lim=$((hwm[$kp] + 8192)); lims="plain + 8 MiB"
    fi
    m=$(ok "${hwm[$kg]}" "$lim")
    say "| $buf | $(mib "${hwm[$kp]}") MiB | $(mib "${hwm[$kg]}") MiB | $(mib $((hwm[$kg] - hwm[$kp]))) MiB | $lims = $(mib "$lim") MiB | $m |"
    goal["rss $buf"]="$(mib "${hwm[$kg]}") vs $(mib "$lim") MiB: $m"
done
say ""

say "p99 latency at 1 KiB (goal: graph <= plain + 0.2 ms$([ "$repeat" -gt 1 ] && echo "; with $lat_conns connection(s), the medians of $repeat series each"):"
say ""
say "| connections | client_body_buffer_size | plain p50 / p99 | graph p50 / p99 | p99 graph - plain | met |"
say "|---|---|---|---|---|---|"
lat_rows="$first_buf.$conns"
[ "$lat_conns" != 0 ] && lat_rows="$lat_rows $first_buf.$lat_conns"
for b in $buffers; do [ "$b" = "$first_buf" ] || lat_rows="$lat_rows $b.$conns"; done
for row in $lat_rows; do
    b=${row%%.*} c=${row#*.}
    kp=$b.plain.1024.$c kg=$b.graph.1024.$c
    [ -n "${p99[$kp]:-}" ] || continue
    d=$(awk -v g="${p99[$kg]}" -v p="${p99[$kp]}" 'BEGIN { printf "%+.2f", g - p }')
    m=$(ok "$d" 0.2)
    say "| $c | $b | ${p50[$kp]} / ${p99[$kp]} ms | ${p50[$kg]} / ${p99[$kg]} ms | $d ms | $m |"
    goal["p99 1 KiB c$c $b"]="$d ms: $m"
done
say ""

if [ "$do_perf$do_strace" != 00 ]; then
    say "Where the time goes: front worker at $(label_for "$perf_size"), client_body_buffer_size $first_buf, $conns connections,"
    say "another ${perf_duration}s series on the measured worker (perf: software cpu-clock event at 999 Hz; no hardware counters on this VM)"
    say ""
    for loc in graph plain; do
        if [ "$do_perf" = 1 ] && [ -f "$dir/perf/$loc.data" ]; then
            say "$loc: ${pf_req[$loc]} requests, page faults ${pf_faults[$loc]}/request, context switches ${pf_cs[$loc]}/request; memory syscalls per request (strace -c, another series): ${mm_calls[$loc]:-not counted}"
            say "  by object:"
            perf report -i "$dir/perf/$loc.data" --sort dso --stdio 2>/dev/null \
                | grep -E '^ +[0-9.]+%' | head -n 6 | sed -e 's/^ */    /' -e 's/ *$//'
            say "  top symbols:"
            perf report -i "$dir/perf/$loc.data" --sort dso,symbol --stdio 2>/dev/null \
                | grep -E '^ +[0-9.]+%' | head -n "$([ "$loc" = graph ] && echo 20 || echo 10)" \
                | sed -e 's/^ */    /' -e 's/[ -]*$//'
        elif [ "$do_strace" = 1 ]; then
            say "$loc: memory syscalls per request (strace -c): ${mm_calls[$loc]:-not counted}"
        fi
        say ""
    done
fi

# ---------------------------------------------------------------- plot

if have gnuplot; then
    set -- $buffers
    gnuplot -e "outfile='$dir/profile.png'; buf1='$1'; dat1='$dir/profile-$1.dat'; buf2='${2:-}'; dat2='$dir/profile-${2:-$1}.dat'; title_extra='$(date -u '+%Y-%m-%d'), $conns connections, $ncpu CPUs'" \
        "$root/bench/profile.gp" 2>"$dir/logs/gnuplot.log" \
        && say "plot: $dir/profile.png" || say "gnuplot failed: $dir/logs/gnuplot.log"
    if [ -n "${BENCH_PLOT:-}" ] && [ -f "$dir/profile.png" ]; then
        cp "$dir/profile.png" "$BENCH_PLOT" && say "plot copied to $BENCH_PLOT"
    fi
else
    say "no plot: gnuplot is missing (apt-get install gnuplot-nox)"
fi
say ""

total_err=0
for k in "${!errs[@]}"; do total_err=$((total_err + errs[$k])); done
[ "$total_err" = 0 ] || say "WARNING: $total_err wrk errors (non-2xx or socket); see $dir/wrk/ and $dir/logs/"
alerts=$(cat "$dir"/logs/*error.log 2>/dev/null | grep -cE '\[(alert|crit|emerg)\]' || true)
[ "$alerts" = 0 ] || say "WARNING: $alerts alert/crit lines in $dir/logs/*error.log"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

quit_nginx "$sink_pid"; sink_pid=
kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; redis_pid=

if [ "${BENCH_SESSIONS:-0}" = 1 ]; then
    say ""
    say "upload sessions: bench/sessions.sh with client_body_buffer_size ${BENCH_BODY_BUFFER:-4m}, ${BENCH_CONCURRENCY:-16} concurrent"
    # its own servroot: sessions.sh starts by emptying it
    BENCH_DIR="$dir/sessions" \
    BENCH_BODY_BUFFER=${BENCH_BODY_BUFFER:-4m} BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-16} \
        "$root/bench/sessions.sh" | tee "$dir/sessions.txt" | sed 's/^/  /'
    thr=$(awk -F'|' '$2 ~ /^ throughput / { print $5 }' "$dir/sessions.txt" | tr -d ' ')
    goal["sessions 35 MB throughput"]="$thr of plain (goal >= 0.80): $(awk -v r="$thr" 'BEGIN { print (r != "" && r >= 0.80) ? "yes" : "**no**" }')"
fi

say ""
say "Goals (issue 11), this run:"
for k in $(printf '%s\n' "${!goal[@]}" | sort | tr ' ' '~'); do
    say "  ${k//\~/ }: ${goal[${k//\~/ }]}"
done
say "logs, wrk output, perf data: $dir/"
