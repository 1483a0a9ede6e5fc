#!/bin/bash
# graph-attach demo: a local redis-server holding a demo token, the Graph
# stand-in (t/graph_standin.py) and nginx with the module on
# 127.0.0.1:8080.  Everything lives under build/demo/.  Prints a curl
# command that gets 201; Ctrl-C stops all three.
#
# Usage: tools/run-demo.sh            (make run does deps + build first)
# Environment: DEMO_DIR (build/demo), DEMO_PORT (8080), DEMO_REDIS_PORT (16399),
#              DEMO_GRAPH_PORT (18081), NGINX (/usr/sbin/nginx)

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
demo=${DEMO_DIR:-$root/build/demo}
module=$root/build/ngx_http_graph_attach_module.so
nginx=${NGINX:-/usr/sbin/nginx}
port=${DEMO_PORT:-8080}
redis_port=${DEMO_REDIS_PORT:-16399}
graph_port=${DEMO_GRAPH_PORT:-18081}
python=/usr/bin/python3
[ -x "$python" ] || python=python3
token=demo-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

if [ ! -f "$module" ]; then
    echo "run-demo: $module is missing: run make first" >&2
    exit 1
fi

for p in "$port" "$redis_port" "$graph_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        echo "run-demo: 127.0.0.1:$p is in use" >&2
        exit 1
    fi
done

rm -rf "$demo"
mkdir -p "$demo/conf" "$demo/logs" "$demo/redis" "$demo/tmp"

redis_pid=
graph_pid=
nginx_pid=

stop() {
    code=${1:-0}
    trap - INT TERM EXIT
    echo
    echo "run-demo: stopping"
    # Ctrl-C reaches the whole process group: nginx and redis-server may
    # be gone already, and a kill that fails must not end this (set -e)
    # before the stand-in, which ignores SIGINT as a background job, is
    # stopped.
    [ -z "$nginx_pid" ] || kill -QUIT "$nginx_pid" 2>/dev/null || true
    [ -z "$graph_pid" ] || kill "$graph_pid" 2>/dev/null || true
    [ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    exit "$code"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

# Polls until 127.0.0.1:$1 accepts connections (10 s at most).
wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "run-demo: $2 did not start (see $demo/logs/)" >&2
    return 1
}

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$demo/redis" --daemonize no \
    >"$demo/logs/redis.log" 2>&1 &
redis_pid=$!
wait_port "$redis_port" redis-server
redis-cli -p "$redis_port" SET graph:token:demo "$token" >/dev/null

"$python" "$root/t/graph_standin.py" "$graph_port" "$token" \
    >"$demo/logs/graph.log" 2>&1 &
graph_pid=$!
wait_port "$graph_port" "Graph stand-in"

# The configuration, from this template.
user_line=
[ "$(id -u)" = 0 ] && user_line='user root;'
sed -e "s|%%DEMO%%|$demo|g" -e "s|%%MODULE%%|$module|g" \
    -e "s|%%PORT%%|$port|g" -e "s|%%REDIS_PORT%%|$redis_port|g" \
    -e "s|%%GRAPH_PORT%%|$graph_port|g" -e "s|%%USER%%|$user_line|g" \
    >"$demo/conf/nginx.conf" <<'TEMPLATE'
# graph-attach demo configuration (written by tools/run-demo.sh)
load_module %%MODULE%%;
daemon off;
%%USER%%
worker_processes 2;
pid %%DEMO%%/logs/nginx.pid;
error_log %%DEMO%%/logs/error.log info;

events {
    worker_connections 256;
}

http {
    access_log %%DEMO%%/logs/access.log;
    client_body_temp_path %%DEMO%%/tmp/client_body;
    proxy_temp_path %%DEMO%%/tmp/proxy;
    fastcgi_temp_path %%DEMO%%/tmp/fastcgi;
    uwsgi_temp_path %%DEMO%%/tmp/uwsgi;
    scgi_temp_path %%DEMO%%/tmp/scgi;

    # Where the token broker writes Graph tokens.
    graph_attach_redis 127.0.0.1:%%REDIS_PORT%%;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /graph/ {
            graph_attach            on;
            graph_attach_token_key  graph:token:demo;
            graph_attach_max_size   150m;

            # files from 2 MiB go through an upload session; in
            # production the hosts are Graph's default list
            graph_attach_upload        /_graph_upload;
            graph_attach_upload_hosts  http://127.0.0.1:%%GRAPH_PORT%%;

            # In production: https://graph.microsoft.com$graph_attach_uri
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }

        location /_graph_upload {
            internal;
            proxy_pass $graph_attach_upload_url;
        }
    }
}
TEMPLATE

"$nginx" -p "$demo/" -c "$demo/conf/nginx.conf" -t -q
"$nginx" -p "$demo/" -c "$demo/conf/nginx.conf" \
    >"$demo/logs/nginx.out" 2>&1 &
nginx_pid=$!
wait_port "$port" nginx

printf 'Hello from the graph-attach demo.\n' >"$demo/hello.txt"
head -c 10485760 /dev/urandom >"$demo/big.bin"

cat <<EOF

graph-attach demo is running.
  nginx config : $demo/conf/nginx.conf
  logs         : $demo/logs/
  nginx        : http://127.0.0.1:$port  (module: $module)
  redis-server : 127.0.0.1:$redis_port, key graph:token:demo
  Graph stand-in: http://127.0.0.1:$graph_port  (what it received: /_records)

Try (expect HTTP 201 and the attachment as JSON):

  curl -F file=@$demo/hello.txt http://127.0.0.1:$port/graph/users/demo@contoso.com/messages/AAMkDemo=/attachments

A 10 MB file, through an upload session (same request, same 201):

  curl -F file=@$demo/big.bin http://127.0.0.1:$port/graph/users/demo@contoso.com/messages/AAMkDemo=/attachments

Ctrl-C stops nginx, the stand-in and redis-server.
EOF

# Wait for Ctrl-C, or for any of the three to die.
while kill -0 "$nginx_pid" 2>/dev/null && kill -0 "$graph_pid" 2>/dev/null \
      && kill -0 "$redis_pid" 2>/dev/null
do
    sleep 1
done
echo "run-demo: a process exited; see $demo/logs/" >&2
stop 1
