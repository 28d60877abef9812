#!/usr/bin/env bash
# An S3-compatible server for the tests: moto_server (moto[server], PyPI) on a free loopback port.
#
#   scripts/s3-test-server.sh start PIDFILE   starts it, waits (at most 30 s) until it answers,
#                                             prints its endpoint (http://127.0.0.1:PORT) on stdout
#   scripts/s3-test-server.sh stop PIDFILE    stops the server started with that pid file
#
# Only tests and CI use it: Warden itself never needs Python. moto keeps everything in memory
# and accepts any credentials, so the tests set dummy AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
set -euo pipefail

usage() { echo "usage: $0 start|stop PIDFILE" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1 pidfile=$2

case $action in
start)
    command -v moto_server >/dev/null || { echo "s3-test-server: moto_server not found; pip install 'moto[server]'" >&2; exit 1; }
    # A free port: bind port 0 on loopback, read the number, release it for moto.
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    log=${pidfile%.pid}.log
    moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    echo $! >"$pidfile"
    endpoint="http://127.0.0.1:$port"
    for _ in $(seq 1 150); do  # 150 x 0.2 s: bounded
        if curl -s -o /dev/null --max-time 1 "$endpoint/"; then
            echo "$endpoint"
            exit 0
        fi
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            echo "s3-test-server: moto_server exited at start; its log ($log):" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "s3-test-server: moto_server did not answer at $endpoint within 30 s; log: $log" >&2
    kill "$(cat "$pidfile")" 2>/dev/null || true
    exit 1
    ;;
stop)
    [[ -f $pidfile ]] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do  # at most 5 s, then SIGKILL
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    ;;
*)
    usage
    ;;
esac
