# Two entry points: `make demo` (local cluster + operators + samples) and `make test`.
# Both install what they need: Node 24 (from npm), npm packages, Debian packages, and the
# Go-built control plane binaries (cached in ~/.cache/tugboat, built once).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
NODE_DIR := $(shell scripts/node.sh)
export PATH := $(CURDIR)/node_modules/.bin:$(NODE_DIR):$(PATH)
export TUGBOAT_CACHE ?= $(HOME)/.cache/tugboat

.PHONY: deps npm apt binaries build lint typecheck test test-unit demo clean bench
deps: npm apt binaries

npm: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json $(wildcard */*/package.json)
	npm ci --no-audit --no-fund
	@touch $@

apt:
	scripts/apt.sh

binaries:
	tools/build.sh etcd kwok k8s registry weed

typecheck: npm
	tsc -b

lint: npm
	eslint .

test: deps lint typecheck
	scripts/test.sh

demo: deps
	scripts/demo.sh

bench: deps
	scripts/bench.sh

# tugboat-lb-agent as one executable (Node SEA) for the agent image: operators/loadbalancer/dist/.
.PHONY: agent
agent: npm
	operators/loadbalancer/scripts/build-agent.sh

clean:
	rm -rf node_modules */*/dist .tools
