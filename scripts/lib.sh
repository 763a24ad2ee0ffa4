# shellcheck shell=bash
# lib.sh holds what deps.sh, kafka.sh and clickhouse.sh share. Source it;
# it defines functions and a few defaults and runs nothing.

KAFKA_VERSION=${JITGATE_KAFKA_VERSION:-4.4.0}
KAFKA_CACHE=${JITGATE_KAFKA_CACHE:-${HOME:-/root}/.cache/jitgate/kafka}

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# kafka_libs_dir prints the directory that holds (or will hold) the jars.
kafka_libs_dir() { printf '%s/%s/libs\n' "$KAFKA_CACHE" "$KAFKA_VERSION"; }

# free_port prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# port_open PORT succeeds when something accepts TCP connections on
# 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# running PID succeeds when PID is a live process (not a zombie waiting for
# its parent to reap it).
running() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ -n "$stat" && "${stat%% *}" != Z ]]
}

# pid_alive PIDFILE PATTERN succeeds when the PID in PIDFILE is running and
# its command line contains PATTERN (so a recycled PID is never mistaken for
# ours).
pid_alive() {
	local pid
	[[ -f "$1" ]] || return 1
	pid=$(<"$1")
	[[ "$pid" =~ ^[0-9]+$ ]] && running "$pid" || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

# stop_pid PIDFILE PATTERN NAME stops the process in PIDFILE: SIGTERM, then
# SIGKILL after 20 s. A missing or stale PID file is not an error.
stop_pid() {
	local pidfile=$1 pattern=$2 name=$3 pid
	if ! pid_alive "$pidfile" "$pattern"; then
		rm -f "$pidfile"
		log "$name is not running"
		return 0
	fi
	pid=$(<"$pidfile")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 200); do
		running "$pid" || break
		sleep 0.1
	done
	if running "$pid"; then
		log "$name (pid $pid) did not stop in 20 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		while running "$pid"; do sleep 0.1; done
	fi
	rm -f "$pidfile"
	log "$name (pid $pid) stopped"
}
