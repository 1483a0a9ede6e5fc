#!/bin/bash
# graph-attach benchmark, upload sessions: large uploads through /graph/
# (createUploadSession, then PUTs of at most 4 MiB) against plain
# proxy_pass of the same multipart body (/plain/), N concurrent uploads,
# measured in the same run on the same front worker, all on 127.0.0.1.
# The sink is a second nginx that implements sessions in configuration
# alone (bench/sessions-sink.conf.in).  See bench/README.md.
#
# Usage: bench/sessions.sh       (after make)
# Environment:
#   BENCH_SIZE          file size in bytes (35000000: Exchange's 35 MB)
#   BENCH_CONCURRENCY   concurrent uploads (8), each a curl of its own
#   BENCH_ROUNDS        uploads per curl and series (4), over keepalive
#   BENCH_SERIES        series per location (3), alternated plain, graph,
#                       plain, graph ... so that drift hits both alike
#   BENCH_CHUNK         graph_attach_upload_chunk in bytes (4194304)
#   BENCH_BODY_BUFFER   client_body_buffer_size for both nginx (default 8k)
#   BENCH_TEMP          where both nginx keep request body temp files
#                       (BENCH_DIR/tmp, on disk; /dev/shm/... takes the
#                       disk out)
#   BENCH_PERF          1: perf record the front worker during the last
#                       series of each location, print its top symbols
#                       (needs perf)
#   BENCH_LOG_LEVEL     nginx error_log level (error)
#   BENCH_DIR           servroot (build/bench-sessions)
#   BENCH_PORT, BENCH_SINK_PORT, BENCH_REDIS_PORT  (18580, 18581, 16580)
#   NGINX               nginx binary (/usr/sbin/nginx)
#
# Installs nothing; needs redis-server, redis-cli and curl.

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/body.sh"
dir=${BENCH_DIR:-$root/build/bench-sessions}
module=$root/build/ngx_http_graph_attach_module.so
nginx=${NGINX:-/usr/sbin/nginx}
port=${BENCH_PORT:-18580}
sink_port=${BENCH_SINK_PORT:-18581}
redis_port=${BENCH_REDIS_PORT:-16580}
size=${BENCH_SIZE:-35000000}
conc=${BENCH_CONCURRENCY:-8}
rounds=${BENCH_ROUNDS:-4}
series=${BENCH_SERIES:-3}
chunk=${BENCH_CHUNK:-4194304}
log_level=${BENCH_LOG_LEVEL:-error}
boundary=----GraphAttachBench7MA4YWxkTrZu0gW
mailbox_path=users/bench@contoso.com/messages/AAMkBench=/attachments

say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks

for tool in redis-server redis-cli curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (apt-get install ${tool%-cli})"
done
[ "${BENCH_PERF:-0}" = 1 ] && { command -v perf >/dev/null 2>&1 || die "perf is missing"; }
[ -f "$module" ] || die "$module is missing: run make first"
[ -x "$nginx" ] || die "$nginx not found"
[ "$size" -ge 2162688 ] || die "BENCH_SIZE must be at least 2 MiB + 64 KiB (the session threshold)"

for p in "$port" "$sink_port" "$redis_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "127.0.0.1:$p is in use (set BENCH_PORT / BENCH_SINK_PORT / BENCH_REDIS_PORT)"
    fi
done

# ---------------------------------------------------------------- setup

rm -rf "$dir"
temp=${BENCH_TEMP:-$dir/tmp}
mkdir -p "$dir/conf" "$dir/logs" "$dir/tmp" "$dir/redis" "$dir/data" "$dir/curl" "$temp"

redis_pid=
nginx_pid=
sink_pid=

quit_nginx() {
    [ -n "$1" ] || return 0
    kill -QUIT "$1" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -TERM "$1" 2>/dev/null || true
}

stop() {
    code=${1:-0}
    trap - INT TERM EXIT
    quit_nginx "$nginx_pid"
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

# the sink's map: "bytes START-END/TOTAL" -> END+1 for every range but
# the last of a SIZE-byte file
ranges=
n_ranges=0
for ((start = 0; start < size; start += chunk)); do
    n_ranges=$((n_ranges + 1))
    end=$((start + chunk - 1))
    [ "$end" -ge $((size - 1)) ] && break
    ranges="$ranges        \"bytes $start-$end/$size\" $((end + 1));\\n"
done

fill() {    # fill TEMPLATE OUTPUT
    sed -e "s|%%TEMP%%|$temp|g" -e "s|%%DIR%%|$dir|g" -e "s|%%MODULE%%|$module|g" \
        -e "s|%%PORT%%|$port|g" -e "s|%%SINK_PORT%%|$sink_port|g" \
        -e "s|%%REDIS_PORT%%|$redis_port|g" -e "s|%%USER%%|$user_line|g" \
        -e "s|%%LOG_LEVEL%%|$log_level|g" -e "s|%%BODY_BUFFER%%|$body_buffer|g" \
        -e "s|%%CHUNK%%|$chunk|g" -e "s|^%%RANGES%%\$|$ranges|" \
        "$1" >"$2"
}
fill "$root/bench/sessions-sink.conf.in" "$dir/conf/sink.conf"
fill "$root/bench/sessions.conf.in" "$dir/conf/nginx.conf"

"$nginx" -p "$dir/" -c "$dir/conf/sink.conf" -t -q
"$nginx" -p "$dir/" -c "$dir/conf/nginx.conf" -t -q
"$nginx" -p "$dir/" -c "$dir/conf/sink.conf" >"$dir/logs/sink.out" 2>&1 &
sink_pid=$!
"$nginx" -p "$dir/" -c "$dir/conf/nginx.conf" >"$dir/logs/nginx.out" 2>&1 &
nginx_pid=$!
wait_port "$sink_port" "nginx (sink)"
wait_port "$port" nginx

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
worker=$(worker_of "$nginx_pid")
sink_worker=$(worker_of "$sink_pid")

# VmHWM is reset to the current RSS by writing 5 to clear_refs (Linux >=
# 4.0, owner or root); without it VmHWM is the worker's peak since it
# started and the per-series peaks are cumulative.
can_reset=0
if echo 5 2>/dev/null >"/proc/$worker/clear_refs"; then
    can_reset=1
fi

status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$worker/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
reset_hwm() { [ "$can_reset" = 1 ] && echo 5 >"/proc/$worker/clear_refs" || true; }
now_ns() { date +%s%N; }
# the machine's idle and iowait jiffies (all CPUs), and all of them
cpu_all() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t }' /proc/stat; }

# ---------------------------------------------------------------- uploads

body=$dir/data/$size.body
write_body "$size" "$boundary" >"$body"
blen=$(stat -c %s "$body")
small=$dir/data/1024.body
write_body 1024 "$boundary" >"$small"

url_for() {   # url_for plain|graph
    printf 'http://127.0.0.1:%s/%s/%s' "$port" "$1" "$mailbox_path"
}

post_once() {   # post_once LOC FILE: prints the status
    curl -sS -o "$dir/logs/last-response" -w '%{http_code}' \
        -H "Content-Type: multipart/form-data; boundary=$boundary" \
        -H 'Expect:' --data-binary "@$2" "$(url_for "$1")"
}

check_201() {
    local code
    code=$(post_once "$1" "$2")
    [ "$code" = 201 ] || die "$1: $(basename "$2"): HTTP $code: $(cat "$dir/logs/last-response") (see $dir/logs/)"
}

# the sink's access log, flushed (buffer=256k flush=2s): reopened by USR1
sink_log_flush() { kill -USR1 "$sink_pid"; sleep 0.5; }

# run_series LOC KEY: BENCH_CONCURRENCY curls started together, each
# posting the body BENCH_ROUNDS times over one keepalive connection
run_series() {
    local loc=$1 key=$2 i p t0 t1 c0 c1 s0 s1 i0 i1 a0 a1 out urls pids
    urls= pids=
    for ((i = 0; i < rounds; i++)); do urls="$urls -o /dev/null $(url_for "$loc")"; done
    sleep 1
    r_rss0=$(status_kb VmRSS)
    reset_hwm
    c0=$(cpu_ticks "$worker"); s0=$(cpu_ticks "$sink_worker"); read -r i0 a0 < <(cpu_all)
    t0=$(now_ns)
    for ((i = 0; i < conc; i++)); do
        # shellcheck disable=SC2086
        curl -sS -w '%{http_code} %{time_total}\n' \
            -H "Content-Type: multipart/form-data; boundary=$boundary" \
            -H 'Expect:' --data-binary "@$body" $urls \
            >"$dir/curl/$key.$i" 2>&1 &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p" || true; done
    t1=$(now_ns)
    c1=$(cpu_ticks "$worker"); s1=$(cpu_ticks "$sink_worker"); read -r i1 a1 < <(cpu_all)
    r_idle=$(awk -v i="$((i1 - i0))" -v a="$((a1 - a0))" 'BEGIN { printf "%.0f", a ? 100 * i / a : 0 }')
    out=$(cat "$dir/curl/$key".*)
    r_n=$(printf '%s\n' "$out" | grep -c '^201 ' || true)
    r_bad=$(printf '%s\n' "$out" | grep -vc '^201 ' || true)
    r_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    r_mbs=$(awk -v n="$r_n" -v s="$size" -v w="$r_wall" 'BEGIN { printf "%.1f", n * s / 1e6 / w }')
    r_p50=$(printf '%s\n' "$out" | awk '$1 == 201 { print $2 }' | sort -n \
            | awk '{ a[NR] = $1 } END { if (NR) printf "%.2f", a[int((NR + 1) / 2)]; else print "-" }')
    r_p99=$(printf '%s\n' "$out" | awk '$1 == 201 { print $2 }' | sort -n \
            | awk '{ a[NR] = $1 } END { if (NR) { i = int(0.99 * NR + 0.999); if (i < 1) i = 1; printf "%.2f", a[i] } else print "-" }')
    r_cpu=$(awk -v t="$((c1 - c0))" -v hz="$hz" -v n="$r_n" 'BEGIN { printf "%.0f", n ? 1e3 * (t / hz) / n : 0 }')
    r_busy=$(awk -v t="$((c1 - c0))" -v hz="$hz" -v w="$r_wall" 'BEGIN { printf "%.0f", 100 * (t / hz) / w }')
    r_scpu=$(awk -v t="$((s1 - s0))" -v hz="$hz" -v n="$r_n" 'BEGIN { printf "%.0f", n ? 1e3 * (t / hz) / n : 0 }')
    r_sbusy=$(awk -v t="$((s1 - s0))" -v hz="$hz" -v w="$r_wall" 'BEGIN { printf "%.0f", 100 * (t / hz) / w }')
    r_hwm=$(status_kb VmHWM)
    r_rss=$(status_kb VmRSS)
    r_grow=$((r_hwm - r_rss0))
}

perf_pid=

ratio() {   # ratio A B: A/B with 2 decimals, "-" when B is 0
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# ---------------------------------------------------------------- run

say "graph-attach sessions bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
say "nginx $("$nginx" -v 2>&1 | sed 's|.*/||'), front worker pid $worker, sink worker pid $sink_worker"
say "file $size bytes (body $blen bytes), $conc concurrent curls x $rounds uploads per series, $series series per location"
say "ranges per upload: $n_ranges of at most $chunk bytes; client_body_buffer_size: ${BENCH_BODY_BUFFER:-default (8k)}; VmHWM reset per series: $([ "$can_reset" = 1 ] && echo yes || echo no)"
say ""

# warm-up: the token fetched and cached, both paths once at full size
for loc in plain graph; do
    for _ in 1 2 3; do check_201 "$loc" "$small"; done
done
sink_log_flush
: >"$dir/logs/sink.log"
kill -USR1 "$sink_pid"; sleep 0.3

# the check: one upload of each, and what the sink received for it
for loc in plain graph; do
    check_201 "$loc" "$body"
    [ "$loc" = graph ] && cp "$dir/logs/last-response" "$dir/logs/graph-answer.json"
done
sink_log_flush
say "check: one upload through each location, HTTP 201; the sink received:"
sed -e 's/"Bearer [^"]*"/"Bearer ..."/' -e 's/^/  /' "$dir/logs/sink.log"
say "  (method, path, status, request length, Content-Range, Authorization)"
say "  /graph/ answered: $(cat "$dir/logs/graph-answer.json")"
puts=$(grep -c '^PUT /_upload/' "$dir/logs/sink.log" || true)
creates=$(grep -c '^POST .*/createUploadSession ' "$dir/logs/sink.log" || true)
[ "$puts" = "$n_ranges" ] && [ "$creates" = 1 ] \
    || die "expected 1 createUploadSession and $n_ranges PUTs at the sink, got $creates and $puts"
grep -q '^PUT /_upload/.* 201 ' "$dir/logs/sink.log" || die "no 201 for the last range"
grep -q '"Bearer ' <(grep '^PUT ' "$dir/logs/sink.log") && die "a PUT carried Authorization"
grep -q '^POST .*/createUploadSession .*"Bearer ' "$dir/logs/sink.log" || die "createUploadSession without the token"
grep -q 'AAMkAGI1BenchSink=' "$dir/logs/graph-answer.json" || die "/graph/ did not answer the sink's attachment id"
: >"$dir/logs/sink.log"
kill -USR1 "$sink_pid"; sleep 0.3
say ""

base_rss=$(status_kb VmRSS)
say "front worker after warm-up and the check: VmRSS ${base_rss} kB"
say ""

declare -A n bad wall mbs p50 p99 cpu busy scpu sbusy hwm rss idle grow
for ((k = 1; k <= series; k++)); do
    for loc in plain graph; do
        key=$loc.$k
        if [ "${BENCH_PERF:-0}" = 1 ] && [ "$k" = "$series" ]; then
            perf record -F 499 -p "$worker" -o "$dir/perf-$loc.data" >"$dir/logs/perf-$loc.log" 2>&1 &
            perf_pid=$!
            sleep 0.5
        fi
        load_before=$(cut -d' ' -f1 /proc/loadavg)
        run_series "$loc" "$key"
        if [ -n "$perf_pid" ]; then
            kill -INT "$perf_pid" 2>/dev/null || true
            wait "$perf_pid" 2>/dev/null || true
            perf_pid=
        fi
        n[$key]=$r_n; bad[$key]=$r_bad; wall[$key]=$r_wall; mbs[$key]=$r_mbs
        p50[$key]=$r_p50; p99[$key]=$r_p99; cpu[$key]=$r_cpu; busy[$key]=$r_busy
        scpu[$key]=$r_scpu; sbusy[$key]=$r_sbusy; hwm[$key]=$r_hwm; rss[$key]=$r_rss
        idle[$key]=$r_idle; grow[$key]=$r_grow
        say "  $(printf 'series %d %-5s %3d x 201 (%d other) in %7ss: %7s MB/s  p50 %6ss  p99 %6ss  front CPU %5s ms/upload (busy %3s%%)  sink CPU %5s ms/upload (busy %3s%%)  VmHWM %7s kB (+%5s)  VmRSS %7s kB  machine idle %2s%%  load %s' \
            "$k" "$loc" "$r_n" "$r_bad" "$r_wall" "$r_mbs" "$r_p50" "$r_p99" "$r_cpu" "$r_busy" "$r_scpu" "$r_sbusy" "$r_hwm" "$r_grow" "$r_rss" "$r_idle" "$load_before")"
    done
done
say ""

# what the sink received during the series
sink_log_flush
say "sink received during the series:"
awk '$1 == "POST" && $2 ~ /^\/plain\// { k = "plain POST" }
     $1 == "POST" && $2 ~ /createUploadSession$/ { k = "graph createUploadSession" }
     $1 == "PUT" { k = "graph PUT " $3 }
     $1 == "POST" && $2 !~ /^\/plain\// && $2 !~ /createUploadSession$/ { k = "other POST" }
     { c[k]++; s[k] += $4 }
     END { for (k in c) printf "  %-28s %5d requests, mean %10.0f bytes (headers included)\n", k, c[k], s[k] / c[k] }' \
    "$dir/logs/sink.log" | sort
say ""

# ---------------------------------------------------------------- table

vals() {    # vals ARRAY LOC: the series' values
    local -n a=$1
    local k out=
    for ((k = 1; k <= series; k++)); do out="$out ${a[$2.$k]}"; done
    printf '%s' "$out"
}
maxof() { tr ' ' '\n' | grep . | sort -n | tail -n1; }

declare -A m_mbs m_p50 m_p99 m_cpu m_busy m_scpu m_sbusy m_hwm m_idle m_grow
for loc in plain graph; do
    m_mbs[$loc]=$(vals mbs $loc | median)
    m_p50[$loc]=$(vals p50 $loc | median)
    m_p99[$loc]=$(vals p99 $loc | median)
    m_cpu[$loc]=$(vals cpu $loc | median)
    m_busy[$loc]=$(vals busy $loc | median)
    m_scpu[$loc]=$(vals scpu $loc | median)
    m_sbusy[$loc]=$(vals sbusy $loc | median)
    m_hwm[$loc]=$(vals hwm $loc | maxof)
    m_idle[$loc]=$(vals idle $loc | median)
    m_grow[$loc]=$(vals grow $loc | maxof)
done

say "Medians over $series series ($conc concurrent x $rounds uploads of $size bytes each;"
say "MB/s = 10^6 bytes of file payload per second of wall time; VmHWM = the"
say "highest of the series' peaks, reset before each; ratio = graph / plain)"
say ""
say "| | plain | graph | ratio |"
say "|---|---|---|---|"
say "| throughput | ${m_mbs[plain]} MB/s | ${m_mbs[graph]} MB/s | $(ratio "${m_mbs[graph]}" "${m_mbs[plain]}") |"
say "| upload time p50 | ${m_p50[plain]} s | ${m_p50[graph]} s | $(ratio "${m_p50[graph]}" "${m_p50[plain]}") |"
say "| upload time p99 | ${m_p99[plain]} s | ${m_p99[graph]} s | $(ratio "${m_p99[graph]}" "${m_p99[plain]}") |"
say "| front worker CPU per upload | ${m_cpu[plain]} ms | ${m_cpu[graph]} ms | $(ratio "${m_cpu[graph]}" "${m_cpu[plain]}") |"
say "| front worker busy | ${m_busy[plain]}% | ${m_busy[graph]}% | |"
say "| sink worker CPU per upload | ${m_scpu[plain]} ms | ${m_scpu[graph]} ms | $(ratio "${m_scpu[graph]}" "${m_scpu[plain]}") |"
say "| sink worker busy | ${m_sbusy[plain]}% | ${m_sbusy[graph]}% | |"
say "| machine idle + iowait | ${m_idle[plain]}% | ${m_idle[graph]}% | |"
say "| front worker VmHWM, first series | ${hwm[plain.1]} kB | ${hwm[graph.1]} kB | $(ratio "${hwm[graph.1]}" "${hwm[plain.1]}") |"
say "| front worker VmHWM, highest | ${m_hwm[plain]} kB | ${m_hwm[graph]} kB | $(ratio "${m_hwm[graph]}" "${m_hwm[plain]}") |"
say "| front worker peak growth, highest | ${m_grow[plain]} kB | ${m_grow[graph]} kB | |"
say ""
say "(VmRSS after warm-up: $base_rss kB.  Plain runs first, so its first series is"
say "on a worker that has not yet kept what /graph/'s requests allocated; later"
say "plain series start from the RSS graph's left (malloc keeps it), hence the"
say "\"highest\" row.  Peak growth = VmHWM of a series - VmRSS just before it.)"
say ""

diff_kb=$((m_grow[graph] - m_grow[plain]))
diff1_kb=$((hwm[graph.1] - hwm[plain.1]))
thr=$(ratio "${m_mbs[graph]}" "${m_mbs[plain]}")
say "Goals:"
say "  peak RSS: graph - plain = $diff1_kb kB in the first series, $diff_kb kB highest peak growth against highest (goal <= 8192 kB): $([ "$diff1_kb" -le 8192 ] && [ "$diff_kb" -le 8192 ] && echo met || echo NOT met)"
say "  throughput: graph / plain = $thr (goal >= 0.60): $(awk -v r="$thr" 'BEGIN { print (r >= 0.60) ? "met" : "NOT met" }')"
say ""

if [ "${BENCH_PERF:-0}" = 1 ]; then
    for loc in plain graph; do
        [ -f "$dir/perf-$loc.data" ] || continue
        say "perf, front worker, last $loc series: self time by object, then the top 20 symbols:"
        perf report -i "$dir/perf-$loc.data" --sort dso --stdio 2>/dev/null \
            | grep -E '^ +[0-9.]+%' | head -n 8 | sed -e 's/^/  /' -e 's/ *$//'
        say ""
        perf report -i "$dir/perf-$loc.data" --sort dso,symbol --stdio 2>/dev/null \
            | grep -E '^ +[0-9.]+%' | head -n 20 | sed -e 's/^/  /' -e 's/[ -]*$//'
        say ""
    done
fi

total_bad=0
for k in "${!bad[@]}"; do total_bad=$((total_bad + bad[$k])); done
[ "$total_bad" = 0 ] || say "WARNING: $total_bad uploads did not get 201; see $dir/curl/ and $dir/logs/"
alerts=$(cat "$dir/logs/error.log" "$dir/logs/sink-error.log" | grep -cE '\[(alert|crit|emerg)\]' || true)
[ "$alerts" = 0 ] || say "WARNING: $alerts alert/crit lines in $dir/logs/*error.log"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "logs and curl output: $dir/"
