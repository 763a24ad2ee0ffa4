#!/usr/bin/env bash
# kafka.sh runs a throwaway single-node Apache Kafka broker (KRaft, combined
# broker and controller) from the jars that scripts/deps.sh caches. Both
# listeners bind to 127.0.0.1 only.
#
#   kafka.sh start DIR PORT [CONTROLLER_PORT]  start in the background, write
#                                              DIR/kafka.pid, wait until ready
#   kafka.sh run DIR PORT [CONTROLLER_PORT]    same setup, then exec the broker
#                                              in the foreground (for callers
#                                              that own the process, such as
#                                              internal/testenv)
#   kafka.sh stop DIR                          stop the broker whose PID is in
#                                              DIR/kafka.pid
#   kafka.sh libs                              print the jar directory; exit 3
#                                              if the jars are not cached
#
# The broker keeps its config in DIR/server.properties, its data in DIR/data
# and its log in DIR/kafka.log. CONTROLLER_PORT defaults to a free port.
# Environment: JITGATE_KAFKA_VERSION, JITGATE_KAFKA_CACHE (see deps.sh),
# JITGATE_KAFKA_START_TIMEOUT (seconds, default 90), KAFKA_HEAP_OPTS
# (default -Xms128m -Xmx512m), KAFKA_JVM_OPTS (default
# -XX:TieredStopAtLevel=1 -XX:+UseSerialGC: fast start-up; set it to
# -XX:+UseG1GC for benchmarks).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

usage() {
	sed -n '5,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# libs prints the jar directory, or explains how to get it and exits 3.
libs() {
	local dir
	dir=$(kafka_libs_dir)
	if [[ ! -f "$dir/.complete" ]]; then
		log "Kafka $KAFKA_VERSION jars are not in $dir: run scripts/deps.sh (make deps)"
		exit 3
	fi
	printf '%s\n' "$dir"
}

# java_opts DIR sets JAVA_OPTS: heap, JVM flags and logging for DIR.
java_opts() {
	local dir=$1
	# shellcheck disable=SC2206
	local heap=(${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m})
	# C1 only and the serial collector: a test broker starts faster and
	# needs no peak throughput. Override for benchmarks.
	# shellcheck disable=SC2206
	local jvm=(${KAFKA_JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC})
	JAVA_OPTS=("${heap[@]}" "${jvm[@]}" -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties"
		-Dkafka.logs.dir="$dir/logs")
}

# setup DIR PORT CONTROLLER_PORT LIBS writes the config and formats the
# storage (once: a restart on the same DIR keeps its data).
setup() {
	local dir=$1 port=$2 cport=$3 libs=$4
	mkdir -p "$dir/data" "$dir/logs"
	cat >"$dir/log4j2.properties" <<PROPS
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
PROPS
	cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=16777216
# A transactional stage begins its next transaction as soon as EndTxn
# returns, often before the commit markers are written; the first produce
# of the new one then meets CONCURRENT_TRANSACTIONS in the broker's
# partition verification (KIP-890), which retries after this backoff
# (default 20 ms: 14 % of the decider's produces took 20-30 ms at 32
# clients; with 1 ms, 1 %).
add.partitions.to.txn.retry.backoff.ms=1
PROPS
	if [[ -f "$dir/data/meta.properties" ]]; then
		return
	fi
	# A cluster id is 16 random bytes in URL-safe base64 without padding.
	# One that starts with '-' reads as an option to the storage tool's
	# argument parser (Kafka's own Uuid.randomUuid skips those too).
	local cluster_id=-
	while [[ $cluster_id == -* ]]; do
		cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
	done
	java_opts "$dir"
	# In `run` mode the caller may kill this shell at any moment; the
	# formatting JVM then dies with it.
	local guard=()
	if command -v setpriv >/dev/null; then
		guard=(setpriv --pdeathsig KILL)
	fi
	if ! "${guard[@]}" java "${JAVA_OPTS[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
		--cluster-id "$cluster_id" --config "$dir/server.properties" --ignore-formatted \
		>"$dir/format.log" 2>&1; then
		cat "$dir/format.log" >&2
		die "formatting the Kafka storage in $dir/data failed"
	fi
}

# prepare parses DIR PORT [CONTROLLER_PORT] and sets dir, port, cport, libs.
prepare() {
	(($# == 2 || $# == 3)) || usage
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	port=$2
	# A restart on the same DIR keeps its controller port unless told.
	cport=${3:-}
	if [[ -z "$cport" && -f "$dir/controller.port" ]]; then
		cport=$(<"$dir/controller.port")
	fi
	cport=${cport:-$(free_port)}
	[[ "$port" =~ ^[0-9]+$ && "$cport" =~ ^[0-9]+$ ]] || die "ports must be numbers: $port $cport"
	[[ "$port" != "$cport" ]] || die "broker and controller ports must differ"
	libs=$(libs)
	command -v java >/dev/null || die "java not found: install Java 17"
	if pid_alive "$dir/kafka.pid" kafka.Kafka; then
		die "a broker already runs from $dir (pid $(<"$dir/kafka.pid")); run: $0 stop $dir"
	fi
	echo "$cport" >"$dir/controller.port"
	setup "$dir" "$port" "$cport" "$libs"
	java_opts "$dir"
}

cmd_run() {
	prepare "$@"
	echo $$ >"$dir/kafka.pid"
	exec java "${JAVA_OPTS[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties"
}

cmd_start() {
	prepare "$@"
	local timeout=${JITGATE_KAFKA_START_TIMEOUT:-90} start=$SECONDS pid
	: >"$dir/kafka.log"
	# setsid: the broker outlives this script and the terminal, and is
	# stopped only by `kafka.sh stop DIR`.
	setsid java "${JAVA_OPTS[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
		>>"$dir/kafka.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$dir/kafka.pid"
	# Ready means: the broker logged that it started and its port accepts.
	until grep -q 'Kafka Server started' "$dir/kafka.log" && port_open "$port"; do
		if ! running "$pid"; then
			tail -n 40 "$dir/kafka.log" >&2
			rm -f "$dir/kafka.pid"
			die "the Kafka broker exited during start-up (log: $dir/kafka.log)"
		fi
		if ((SECONDS - start >= timeout)); then
			tail -n 40 "$dir/kafka.log" >&2
			kill -KILL "$pid" 2>/dev/null || true
			rm -f "$dir/kafka.pid"
			die "the Kafka broker was not ready on 127.0.0.1:$port after ${timeout}s (log: $dir/kafka.log)"
		fi
		sleep 0.2
	done
	log "Kafka $KAFKA_VERSION ready on 127.0.0.1:$port (pid $pid, controller 127.0.0.1:$cport, $((SECONDS - start))s)"
}

cmd_stop() {
	(($# == 1)) || usage
	stop_pid "$1/kafka.pid" kafka.Kafka "Kafka broker"
}

(($# >= 1)) || usage
sub=$1
shift
case "$sub" in
start) cmd_start "$@" ;;
run) cmd_run "$@" ;;
stop) cmd_stop "$@" ;;
libs) (($# == 0)) || usage; libs ;;
*) usage ;;
esac
