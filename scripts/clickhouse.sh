#!/usr/bin/env bash
# clickhouse.sh runs a throwaway ClickHouse server (Debian's 18.16 or newer)
# with a self-contained config in DIR, listening on 127.0.0.1 only, without
# systemd and without touching /var/lib/clickhouse.
#
#   clickhouse.sh start DIR TCP_PORT HTTP_PORT  start in the background, write
#                                               DIR/clickhouse.pid, wait for
#                                               /ping
#   clickhouse.sh run DIR TCP_PORT HTTP_PORT    same setup, then exec the
#                                               server in the foreground (for
#                                               callers that own the process,
#                                               such as internal/testenv)
#   clickhouse.sh stop DIR                      stop the server whose PID is
#                                               in DIR/clickhouse.pid
#   clickhouse.sh bin                           print the server binary; exit 3
#                                               if it is not installed
#
# The config is DIR/config.xml (users, profiles and quotas inside it), data
# in DIR/data, logs in DIR/clickhouse-server.log and .err.log. The user is
# "default" with no password; the default profile sets
# allow_experimental_low_cardinality_type=1; the time zone is UTC.
# Environment: JITGATE_CLICKHOUSE_SERVER (binary, default: clickhouse-server
# on PATH, /usr/sbin, /usr/bin, or `clickhouse server`),
# JITGATE_CLICKHOUSE_START_TIMEOUT (seconds, default 30).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

usage() {
	sed -n '5,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# server_cmd sets SERVER to the command that runs the server, or exits 3.
server_cmd() {
	if [[ -n "${JITGATE_CLICKHOUSE_SERVER:-}" ]]; then
		if [[ ! -x "$JITGATE_CLICKHOUSE_SERVER" ]]; then
			log "JITGATE_CLICKHOUSE_SERVER=$JITGATE_CLICKHOUSE_SERVER is not an executable file"
			exit 3
		fi
		SERVER=("$JITGATE_CLICKHOUSE_SERVER")
		return
	fi
	local c
	for c in "$(command -v clickhouse-server || true)" /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
		if [[ -n "$c" && -x "$c" ]]; then
			SERVER=("$c")
			return
		fi
	done
	for c in "$(command -v clickhouse || true)" /usr/bin/clickhouse; do
		if [[ -n "$c" && -x "$c" ]]; then
			SERVER=("$c" server)
			return
		fi
	done
	log "clickhouse-server is not installed: run scripts/deps.sh (make deps)"
	exit 3
}

# setup DIR writes the config.
setup() {
	local dir=$1
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<!-- Written by scripts/clickhouse.sh: a throwaway server for tests and dev. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$dir/clickhouse-server.log</log>
        <errorlog>$dir/clickhouse-server.err.log</errorlog>
        <size>10M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <timezone>UTC</timezone>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
    <profiles>
        <default>
            <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
}

# prepare parses DIR TCP_PORT HTTP_PORT and sets dir, tcp, http, SERVER, ARGS.
prepare() {
	(($# == 3)) || usage
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	tcp=$2
	http=$3
	[[ "$tcp" =~ ^[0-9]+$ && "$http" =~ ^[0-9]+$ ]] || die "ports must be numbers: $tcp $http"
	[[ "$tcp" != "$http" ]] || die "TCP and HTTP ports must differ"
	server_cmd
	if pid_alive "$dir/clickhouse.pid" clickhouse; then
		die "a ClickHouse server already runs from $dir (pid $(<"$dir/clickhouse.pid")); run: $0 stop $dir"
	fi
	setup "$dir"
	# Settings after `--` override the config file (DESIGN §7).
	ARGS=(--config-file="$dir/config.xml" --
		--path="$dir/data/" --tmp_path="$dir/tmp/"
		--user_files_path="$dir/user_files/" --format_schema_path="$dir/format_schemas/"
		--tcp_port="$tcp" --http_port="$http")
}

ping_ok() {
	local body
	body=$(curl -fsS --max-time 1 "http://127.0.0.1:$1/ping" 2>/dev/null) && [[ "$body" == Ok.* ]]
}

cmd_run() {
	prepare "$@"
	echo $$ >"$dir/clickhouse.pid"
	exec "${SERVER[@]}" "${ARGS[@]}"
}

cmd_start() {
	prepare "$@"
	command -v curl >/dev/null || die "curl not found: apt-get install -y curl"
	local timeout=${JITGATE_CLICKHOUSE_START_TIMEOUT:-30} start=$SECONDS pid
	setsid "${SERVER[@]}" "${ARGS[@]}" >>"$dir/clickhouse.out" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/clickhouse.pid"
	until ping_ok "$http"; do
		if ! running "$pid"; then
			tail -n 30 "$dir/clickhouse.out" "$dir/clickhouse-server.err.log" >&2 2>/dev/null || true
			rm -f "$dir/clickhouse.pid"
			die "ClickHouse exited during start-up (logs in $dir)"
		fi
		if ((SECONDS - start >= timeout)); then
			tail -n 30 "$dir/clickhouse-server.err.log" >&2 2>/dev/null || true
			kill -KILL "$pid" 2>/dev/null || true
			rm -f "$dir/clickhouse.pid"
			die "ClickHouse did not answer http://127.0.0.1:$http/ping after ${timeout}s (logs in $dir)"
		fi
		sleep 0.1
	done
	log "ClickHouse ready on 127.0.0.1:$tcp (native), 127.0.0.1:$http (HTTP) (pid $pid, $((SECONDS - start))s)"
}

cmd_stop() {
	(($# == 1)) || usage
	stop_pid "$1/clickhouse.pid" clickhouse "ClickHouse server"
}

(($# >= 1)) || usage
sub=$1
shift
case "$sub" in
start) cmd_start "$@" ;;
run) cmd_run "$@" ;;
stop) cmd_stop "$@" ;;
bin)
	(($# == 0)) || usage
	server_cmd
	printf '%s\n' "${SERVER[*]}"
	;;
*) usage ;;
esac
