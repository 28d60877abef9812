#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests (and CI), from the machine's
# PostgreSQL binaries (Debian's `postgresql` package: /usr/lib/postgresql/*/bin).
#
#   scripts/postgres-test-server.sh start DIR   initdb into DIR, start on a free 127.0.0.1 port,
#                                               create user and database `warden` (password
#                                               authentication), print the URL on stdout
#   scripts/postgres-test-server.sh stop DIR    stop it and remove DIR
#
# The tests read the URL from WARDEN_TEST_POSTGRES_URL. initdb refuses to run as root: as
# root, the server runs as the `postgres` user (or `nobody`), which owns DIR.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1
dir=$2

find_bin() {
    local name=$1 candidate
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
    for candidate in /usr/lib/postgresql/*/bin/"$name"; do
        [[ -x $candidate ]] && { echo "$candidate"; return; }
    done
    echo "postgres-test-server: $name not found; install PostgreSQL (apt-get install -y postgresql)" >&2
    exit 1
}

# Runs a command as the server's owner: ourselves, or an unprivileged user when we are root.
owner=""
if [[ $(id -u) -eq 0 ]]; then
    if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
fi
as_owner() {
    if [[ -n $owner ]]; then runuser -u "$owner" -- "$@"; else "$@"; fi
}

case $action in
start)
    initdb=$(find_bin initdb)
    pg_ctl=$(find_bin pg_ctl)
    mkdir -p "$dir"
    [[ -n $owner ]] && chown "$owner" "$dir"
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" >"$dir/pwfile"
    [[ -n $owner ]] && chown "$owner" "$dir/pwfile"
    chmod 600 "$dir/pwfile"
    # The superuser is `warden`, with a password; every connection over TCP must give it.
    as_owner "$initdb" -D "$dir/data" -U warden --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free loopback port: ask the kernel for one, then let the server bind it (retried on a race).
    for attempt in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
        if as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null; then
            started=1
            break
        fi
        started=0
    done
    if [[ ${started:-0} -ne 1 ]]; then
        echo "postgres-test-server: the server did not start; its log:" >&2
        cat "$dir/server.log" >&2
        exit 1
    fi
    # Bounded wait until it accepts connections over TCP (pg_ctl -w waited for the socket).
    for _ in $(seq 1 50); do
        if as_owner env PGPASSWORD="$password" psql -h 127.0.0.1 -p "$port" -U warden -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
            ready=1
            break
        fi
        sleep 0.2
    done
    [[ ${ready:-0} -eq 1 ]] || { echo "postgres-test-server: no connection on 127.0.0.1:$port after 10 s" >&2; cat "$dir/server.log" >&2; exit 1; }
    as_owner env PGPASSWORD="$password" psql -h 127.0.0.1 -p "$port" -U warden -d postgres -Atqc 'CREATE DATABASE warden' >/dev/null
    echo "postgres://warden:$password@127.0.0.1:$port/warden"
    ;;
stop)
    pg_ctl=$(find_bin pg_ctl)
    if [[ -d $dir/data ]]; then
        as_owner "$pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    usage
    ;;
esac
