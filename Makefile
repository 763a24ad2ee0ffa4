# jitgate — two commands set up everything on a fresh machine:
#   make dev    runs the gateway (every role in one process)
#   make test   installs what the tests need and runs them
.PHONY: all build dev test soak deps vet fmt bench bench-load bench-quick bench-micro generate clean

GO      ?= go
BIN     := bin/jitgate
DEV_DIR ?= $(HOME)/.local/state/jitgate/dev
DEV_CH_PORT ?= 19000
DEV_CH_HTTP_PORT ?= 18123

all: build

build:
	$(GO) build -o $(BIN) ./cmd/jitgate

# deps installs ClickHouse (Debian) and the Kafka broker jars (Maven Central).
deps:
	bash scripts/deps.sh

# dev starts a local ClickHouse for the recorder when clickhouse-server is
# installed (make deps), then runs every role on an embedded broker.
dev: build
	@if scripts/clickhouse.sh bin >/dev/null 2>&1; then \
		scripts/clickhouse.sh start "$(DEV_DIR)/clickhouse" $(DEV_CH_PORT) $(DEV_CH_HTTP_PORT) && \
		trap 'scripts/clickhouse.sh stop "$(DEV_DIR)/clickhouse"' EXIT INT TERM && \
		JITGATE_CLICKHOUSE=127.0.0.1:$(DEV_CH_PORT) $(BIN) dev --data-dir "$(DEV_DIR)" --policy policies/dev.yaml; \
	else \
		echo "clickhouse-server not installed (make deps): the recorder stays off"; \
		$(BIN) dev --data-dir "$(DEV_DIR)" --policy policies/dev.yaml; \
	fi

test: deps
	bash scripts/test.sh

# soak moves a 1 GiB S3 object up and down through jitgate dev and checks
# the gateway's peak RSS stays under 256 MiB (make test runs 256 MiB), then
# runs the long fault test (internal/faulttest TestSoak: every role killed
# three times, the broker restarted, ClickHouse stopped, under load; about
# six minutes) and the outages with a second broker restart (TestOutages;
# make test restarts the broker once). make test runs the overload run
# (TestOverload, ten times the sustainable rate for 30 s) already. The
# fault tests start a broker of their own, which they restart:
# JITGATE_TEST_KAFKA is unset for them.
soak: deps
	JITGATE_BULK_BYTES=1073741824 $(GO) test -count=1 -timeout 20m -run TestBulkBodiesBoundedMemory -v ./cmd/jitgate/
	env -u JITGATE_TEST_KAFKA JITGATE_SOAK=1 JITGATE_REQUIRE_SERVERS=1 $(GO) test -count=1 -timeout 20m -run 'TestSoak|TestOutages' -v ./internal/faulttest/

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# bench measures the whole path (jitbench: the canned upstream, a plain
# reverse proxy, jitgate dev and the roles on a real Kafka broker, about
# six minutes; results in bench/results/<time>/, see docs/performance.md)
# and then every microbenchmark.
bench: bench-load bench-micro

BENCH_OUT ?= bench/results

bench-load: build
	$(GO) run ./cmd/jitbench -jitgate $(BIN) -out $(BENCH_OUT)

# bench-quick is the bounded run CI can afford (about 15 seconds): the
# upstream, the floor and jitgate dev at 1 and 8 clients, results in /tmp.
bench-quick: build
	$(GO) run ./cmd/jitbench -quick -jitgate $(BIN) -out $${TMPDIR:-/tmp}/jitbench

bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# generate rebuilds the AWS operation index and endpoint table from the
# machine's botocore models.
generate:
	$(GO) generate ./internal/awsmodel/...

clean:
	rm -rf bin
