# ztguardd — build, test and install. Run `make help` for the targets.
SWIFT   ?= swift
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
UNITDIR ?= /etc/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog
SYSCONFDIR ?= /etc
# apt-get needs root; use sudo only when we are not root already.
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libcurl4-openssl-dev libsystemd-dev pkg-config
STRICT  := -Xswiftc -warnings-as-errors

.PHONY: help deps build test release demo install e2e bench clean

help:
	@echo "make demo     install what is missing, build, run the built-in demo (no credentials, no network)"
	@echo "make test     install what is missing, build without warnings, run every test"
	@echo "make release  optimized binary at .build/release/ztguardd"
	@echo "make install  install binary, units, catalog and example config (PREFIX, DESTDIR honoured)"
	@echo "make e2e      end-to-end test under a real systemd in a container (root)"
	@echo "make bench    benchmarks (not part of make test)"

# Installs the C libraries' development packages when they are missing (Debian/Ubuntu).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(STRICT)

test: deps
	$(SWIFT) build --build-tests $(STRICT)
	$(SWIFT) test --skip-build

release: deps
	$(SWIFT) build -c release --product ztguardd $(STRICT)

demo: deps
	$(SWIFT) build --product ztguardd
	.build/debug/ztguardd demo

install: release
	install -D -m 0755 .build/release/ztguardd $(DESTDIR)$(BINDIR)/ztguardd
	install -D -m 0644 systemd/ztguardd.service $(DESTDIR)$(UNITDIR)/ztguardd.service
	install -D -m 0644 systemd/ztguardd@.service $(DESTDIR)$(UNITDIR)/ztguardd@.service
	install -D -m 0644 systemd/ztguardd.catalog $(DESTDIR)$(CATALOGDIR)/ztguardd.catalog
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/ztguardd/ztguardd.toml ]; then \
	  echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/ztguardd/ztguardd.toml"; \
	else \
	  install -D -m 0640 etc/ztguardd/ztguardd.toml $(DESTDIR)$(SYSCONFDIR)/ztguardd/ztguardd.toml; \
	fi
	@if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# ZTGUARDD_BENCHMARKS=1 adds the benchmark package and target to Package.swift. Release build (the plugin builds it) and run of Benchmarks/RulesBenchmarks. Its own scratch path, so
# that it neither waits for nor invalidates the debug build in .build. Not part of `make test`.
bench: deps
	ZTGUARDD_BENCHMARKS=1 $(SWIFT) package --scratch-path .build-bench benchmark --target RulesBenchmarks

clean:
	rm -rf .build
