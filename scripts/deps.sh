#!/usr/bin/env bash
# deps.sh installs what jitgate's tests and `make dev` need on a fresh
# Debian 12 machine, and does nothing that is already done (run it as often
# as you like):
#
#   - ClickHouse server and client from Debian's own archive (version 18.16);
#   - the Apache Kafka broker jars (org.apache.kafka:kafka_2.13 and their
#     runtime dependencies, plus an SLF4J -> Log4j 2 binding so the broker
#     logs) from Maven Central, into a cache directory that scripts/kafka.sh
#     and internal/testenv read.
#
# Nothing is downloaded from anywhere but apt and Maven Central. Java 17 and
# Maven come with the machine image.
#
# Environment:
#   JITGATE_KAFKA_VERSION  Kafka version to fetch (default 4.4.0)
#   JITGATE_KAFKA_CACHE    cache directory (default $HOME/.cache/jitgate/kafka);
#                          jars land in $JITGATE_KAFKA_CACHE/$VERSION/libs
#   JITGATE_SKIP_APT=1     do not touch apt (ClickHouse must then be installed)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

install_clickhouse() {
	if [[ "${JITGATE_SKIP_APT:-0}" == 1 ]]; then
		log "JITGATE_SKIP_APT=1: not installing ClickHouse"
		return
	fi
	local missing=()
	for pkg in clickhouse-server clickhouse-client; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
			missing+=("$pkg")
		fi
	done
	if ((${#missing[@]} == 0)); then
		log "ClickHouse already installed: $(dpkg-query -W -f='${Version}' clickhouse-server)"
		return
	fi
	local sudo=()
	if ((EUID != 0)); then
		command -v sudo >/dev/null || die "installing ${missing[*]} needs root (or sudo)"
		sudo=(sudo)
	fi
	log "installing ClickHouse from Debian (${missing[*]})…"
	# Update the package lists once, and only when an install is needed.
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
	log "ClickHouse installed: $(dpkg-query -W -f='${Version}' clickhouse-server)"
}

fetch_kafka() {
	local version=$KAFKA_VERSION
	local dest
	dest=$(kafka_libs_dir)
	if [[ -f "$dest/.complete" ]]; then
		log "Kafka $version jars already cached in $dest"
		return
	fi
	command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install -y maven)"
	command -v java >/dev/null || die "java not found: install Java 17 (apt-get install -y openjdk-17-jre-headless)"
	log "fetching Kafka $version jars from Maven Central into $dest…"
	local work
	work=$(mktemp -d)
	# The pom only lists what the broker needs at run time: the broker itself
	# (it pulls in kafka-server, raft, metadata, storage, coordinators, ...)
	# and an SLF4J 2 binding to Log4j 2, whose core kafka_2.13 already brings.
	cat >"$work/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.jitgate</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>2.0.17</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId>
      <version>2.25.5</version>
    </dependency>
  </dependencies>
</project>
POM
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	if ! (cd "$work" && mvn -B -q dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$dest.tmp" >"$work/mvn.log" 2>&1); then
		tail -n 40 "$work/mvn.log" >&2
		rm -rf "$work" "$dest.tmp"
		die "fetching Kafka $version from Maven Central failed (log above)"
	fi
	rm -rf "$work"
	[[ -f "$dest.tmp/kafka_2.13-$version.jar" ]] || die "kafka_2.13-$version.jar missing after the fetch"
	touch "$dest.tmp/.complete"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	log "Kafka $version: $(find "$dest" -name '*.jar' | wc -l) jars in $dest"
}

install_clickhouse
fetch_kafka
