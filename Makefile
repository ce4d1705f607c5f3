# ztguardd — build, test and install. Run `make help` for the targets.
SWIFT   ?= swift
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
UNITDIR ?= /etc/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
# What install-tree installs: the release binary, and the man pages `make man` writes.
RELEASE_BIN ?= .build/release/ztguardd
MAN_DIR := .build-man
# The version: the one `ztguardd --version` prints; debian/changelog must name the same.
VERSION := $(shell sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/ztguardd/Commands/ZTGuardCommand.swift)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB := .build-deb/ztguardd_$(VERSION)_$(DEB_ARCH).deb
DEB_BUILD_PACKAGES := debhelper fakeroot lintian scdoc
# apt-get needs root; use sudo only when we are not root already.
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libcurl4-openssl-dev libsystemd-dev pkg-config
STRICT  := -Xswiftc -warnings-as-errors
# Release builds link the Swift runtime and FoundationEssentials statically: the installed binary needs no
# Swift toolchain on the host (ldd lists no Swift library), and `--version` peaked at 21 MB of RSS
# instead of the 28 MB it took with the shared runtime (14 MB with the steps below). Then, when the toolchain has lld, two things
# shrink what the process keeps resident (linker/README.md has the figures):
#  - ORDER_FLAGS: the functions ztguardd executes (linker/ztguardd.order, `make order-file`) are laid
#    out together, our code compiled with a section per function so that the linker can move each;
#  - RELR=yes: relative relocations packed (DT_RELR), 35 KB read at start instead of 2 MB. The binary
#    then needs glibc 2.36 or newer; the default follows the build host's glibc, and
#    `make release RELR=` builds one for older hosts.
# And with any linker:
#  - the C++ runtime linked statically as well (STATIC_LIBSTDCXX, when the toolchain's clang finds
#    GCC's libstdc++.a): the runtime and TOMLKit's C++ take what they use of it, laid out with the rest,
#    instead of the whole shared libstdc++ (idle daemon -1.2 MB RSS);
#  - --no-export-dynamic: the toolchain's link arguments export every symbol of our code (7,500), and
#    the dynamic loader then searches that table first for every symbol any library binds (-0.6 MB);
#  - FOUNDATION_LIBS last: ztguardd links FoundationEssentials only, not Foundation, CoreFoundation and
#    ICU, which a symbol resolution order pulled in whole (below; 48 MB of binary, 1 MB of RSS).
ROOT    := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
ORDER_FILE := $(ROOT)/linker/ztguardd.order
RELEASE := -c release --static-swift-stdlib -Xlinker --no-export-dynamic
TOOLCHAIN_BIN := $(shell dir=$$($(SWIFT) -print-target-info 2>/dev/null | sed -n 's/.*"runtimeResourcePath": *"\(.*\)".*/\1/p'); \
	[ -n "$$dir" ] && cd "$$dir/../../bin" 2>/dev/null && pwd)
# The toolchain's own lld (next to the runtime it ships), else one on PATH.
LLD := $(or $(wildcard $(TOOLCHAIN_BIN)/ld.lld),$(shell command -v ld.lld))
# The Swift runtime's link arguments ask for -lstdc++; a folder that holds only GCC's libstdc++.a,
# searched first, makes that the static archive. `make release STATIC_LIBSTDCXX=` links it shared.
LIBSTDCXX_A := $(if $(TOOLCHAIN_BIN),$(filter /%,$(shell $(TOOLCHAIN_BIN)/clang -print-file-name=libstdc++.a 2>/dev/null)))
STATIC_LIBSTDCXX ?= $(if $(wildcard $(LIBSTDCXX_A)),yes)
LIBSTDCXX_DIR := $(ROOT)/.build-libstdcxx-static
ifeq ($(STATIC_LIBSTDCXX),yes)
RELEASE += -Xlinker -L$(LIBSTDCXX_DIR)
RELEASE_INPUTS := $(LIBSTDCXX_DIR)/libstdc++.a
endif
# Foundation, CoreFoundation and ICU are linked only when a symbol needs them (fake-cloudflare's do;
# ztguardd's none): TOMLKit's `import struct Foundation.Data` makes every object that imports it ask for
# them ahead of FoundationEssentials, and Foundation's archive holds copies of specialisations that
# FoundationEssentials defines itself; the linker took one from Foundation, which dragged in all of
# Foundation, CoreFoundation (whose constructor runs at every start) and ICU's data: 48 MB of binary
# and 1 MB of RSS. Listed after everything else instead, they are searched only for what is left.
FOUNDATION_LIBS := Foundation CoreFoundation _FoundationICU FoundationInternationalization
RELEASE += $(foreach lib,$(FOUNDATION_LIBS),-Xswiftc -Xfrontend -Xswiftc -disable-autolink-library -Xswiftc -Xfrontend -Xswiftc $(lib)) \
	$(foreach lib,$(FOUNDATION_LIBS),-Xlinker -l$(lib))
RELR ?= $(shell getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ split($$2, v, "."); print (v[1] > 2 || (v[1] == 2 && v[2] >= 36)) ? "yes" : "" }')
ifneq ($(LLD),)
ORDER_FLAGS ?= $(if $(wildcard $(ORDER_FILE)),-Xlinker --symbol-ordering-file=$(ORDER_FILE) -Xlinker --no-warn-symbol-ordering)
RELEASE += -Xswiftc -Xfrontend -Xswiftc -function-sections -Xswiftc -use-ld=lld $(ORDER_FLAGS)
ifeq ($(RELR),yes)
RELEASE += -Xlinker -z -Xlinker pack-relative-relocs
endif
endif
# SwiftPM does not see the order file as an input of the link: a binary older than it is removed, so
# that the next build links it again with the new order.
define relink_if_reordered
	@bin=$(1)/release/ztguardd; \
	if [ -e "$$bin" ] && [ -e "$(ORDER_FILE)" ] && [ "$(ORDER_FILE)" -nt "$$bin" ]; then rm -f "$$bin"; fi
endef
# make e2e: where the release products are built (another folder keeps a parallel debug build in
# .build undisturbed), and where the container root is cached (git-ignored).
SCRATCH ?= .build
E2E_DIR ?= .build-e2e

$(LIBSTDCXX_DIR)/libstdc++.a: $(LIBSTDCXX_A)
	@[ -n "$<" ] || { echo "STATIC_LIBSTDCXX=yes, but the toolchain's clang finds no libstdc++.a: install GCC's libstdc++ development package, or build with STATIC_LIBSTDCXX=" >&2; exit 1; }
	@mkdir -p $(@D) && ln -sf $< $@

.PHONY: help deps build test release demo man completions install install-tree deb e2e bench bench-rules bench-compare bench-deps order-file print-release-flags clean

help:
	@echo "make demo     install what is missing, build, run the built-in demo (no credentials, no network)"
	@echo "make test     install what is missing, build without warnings, run every test (process tests also against the release binary)"
	@echo "make release  optimized binary at .build/release/ztguardd"
	@echo "make install  install binary, units, catalog, man pages, completions, example config (PREFIX, DESTDIR)"
	@echo "make deb     the Debian package .build-deb/ztguardd_VERSION_ARCH.deb, checked by lintian"
	@echo "make e2e      end-to-end test under a real systemd in a container (root)"
	@echo "make bench    benchmarks (not part of make test): bench-rules, then bench-compare"
	@echo "make bench-rules    rule evaluation and page decoding micro-benchmarks (ordo-one/benchmark)"
	@echo "make bench-compare  ztguardd against the Python SDK script and curl, on a loopback fake (BENCHMARKS.md)"
	@echo "make order-file     re-profile the functions ztguardd executes (linker/ztguardd.order; needs valgrind)"

# Installs those of the Debian packages $(1) that are missing, with apt-get (as root, or through sudo).
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

# Installs the C libraries' development packages when they are missing (Debian/Ubuntu).
deps:
	$(call install_missing,$(APT_PACKAGES))

build: deps
	$(SWIFT) build $(STRICT)

# The suites about the process itself (a crash and its core, proxies, TLS, a gzip bomb, terminal output)
# run a second time against the release binary, the one users install: the optimiser, the static link
# and the order file change the process those suites judge. They need openssl, gzip and curl.
PROCESS_SUITES := HostileAnswerIntegrationTests|ProcessHardeningIntegrationTests
TEST_PACKAGES := openssl gzip curl

test: deps
	$(call install_missing,$(TEST_PACKAGES))
	$(SWIFT) build --build-tests $(STRICT)
	$(SWIFT) test --skip-build
	$(MAKE) release
	ZTGUARDD_BINARY=$(ROOT)/$(RELEASE_BIN) $(SWIFT) test --skip-build --filter '$(PROCESS_SUITES)'

release: deps $(RELEASE_INPUTS)
	$(call relink_if_reordered,.build)
	@echo "release link: $(if $(LLD),lld ($(LLD)), the default linker: lld not found)$(if $(filter yes,$(RELR)), with DT_RELR)$(if $(filter yes,$(STATIC_LIBSTDCXX)), libstdc++ static)"
	$(SWIFT) build $(RELEASE) --product ztguardd $(STRICT)

demo: deps
	$(SWIFT) build --product ztguardd
	.build/debug/ztguardd demo

# Man pages ztguardd(8) and ztguardd.toml(5), from their one source in doc/ (scdoc).
man: $(MAN_DIR)/ztguardd.8 $(MAN_DIR)/ztguardd.toml.5

$(MAN_DIR)/%: doc/%.scd
	$(call install_missing,scdoc)
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@

# Shell completions, written by the binary itself (swift-argument-parser). A completion is sourced, not
# run: the bash one loses its #! line (lintian: bash-completion-with-hashbang).
completions: release
	@mkdir -p $(MAN_DIR)/completions
	$(RELEASE_BIN) --generate-completion-script bash | sed '1{/^#!/d}' > $(MAN_DIR)/completions/ztguardd.bash
	$(RELEASE_BIN) --generate-completion-script zsh > $(MAN_DIR)/completions/_ztguardd
	$(RELEASE_BIN) --generate-completion-script fish > $(MAN_DIR)/completions/ztguardd.fish

# Copies what `release man completions` built into DESTDIR, at the paths PREFIX and the *DIR variables
# name; builds nothing (the Debian package's rules call it). ExecStart= follows BINDIR. The
# configuration holds no secret (the token is a file of its own), so it is 0644: the service's
# dynamic user must read it. An existing configuration is kept.
install-tree:
	install -D -m 0755 $(RELEASE_BIN) $(DESTDIR)$(BINDIR)/ztguardd
	for unit in ztguardd.service ztguardd@.service; do \
	  sed 's|^ExecStart=/usr/bin/ztguardd|ExecStart=$(BINDIR)/ztguardd|' systemd/$$unit > $(MAN_DIR)/$$unit.tmp && \
	  install -D -m 0644 $(MAN_DIR)/$$unit.tmp $(DESTDIR)$(UNITDIR)/$$unit && rm -f $(MAN_DIR)/$$unit.tmp; \
	done
	install -D -m 0644 systemd/ztguardd.catalog $(DESTDIR)$(CATALOGDIR)/ztguardd.catalog
	install -D -m 0644 $(MAN_DIR)/ztguardd.8 $(DESTDIR)$(MANDIR)/man8/ztguardd.8
	install -D -m 0644 $(MAN_DIR)/ztguardd.toml.5 $(DESTDIR)$(MANDIR)/man5/ztguardd.toml.5
	install -D -m 0644 $(MAN_DIR)/completions/ztguardd.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/ztguardd
	install -D -m 0644 $(MAN_DIR)/completions/_ztguardd $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_ztguardd
	install -D -m 0644 $(MAN_DIR)/completions/ztguardd.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/ztguardd.fish
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/ztguardd/ztguardd.toml ]; then \
	  echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/ztguardd/ztguardd.toml"; \
	else \
	  install -D -m 0644 etc/ztguardd/ztguardd.toml $(DESTDIR)$(SYSCONFDIR)/ztguardd/ztguardd.toml; \
	fi

install: release man completions
	$(MAKE) install-tree
	@if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# The Debian package, from the release binary: debhelper's own sequence (debian/rules binary) packages
# what `release man completions` built, and lintian checks the result (debian/ztguardd.lintian-overrides
# says why each remaining tag is expected). No Swift toolchain is needed where it is installed.
deb: release man completions
	$(call install_missing,$(DEB_BUILD_PACKAGES))
	@[ "$$(dpkg-parsechangelog -S Version)" = "$(VERSION)" ] || { \
	  echo "debian/changelog names version $$(dpkg-parsechangelog -S Version), ztguardd --version $(VERSION): add a changelog entry" >&2; exit 1; }
	rm -rf .build-deb && mkdir -p .build-deb
	DEB_RULES_REQUIRES_ROOT=no fakeroot debian/rules binary
	fakeroot debian/rules clean
	lintian --fail-on error --info $(DEB) | tee .build-deb/lintian.txt
	@echo "built $(DEB)"

# End-to-end under a real systemd: boots systemd as PID 1 in a systemd-nspawn container (root
# cached in $(E2E_DIR)/rootfs), installs the Debian package with apt-get, serves the fake Cloudflare
# API on loopback, checks systemctl/journalctl, and purges the package; also systemd-analyze
# verify/security. Root only (through sudo otherwise); every wait is bounded; at most 20 minutes.
e2e: deb $(RELEASE_INPUTS)
	$(SWIFT) build $(RELEASE) --scratch-path $(SCRATCH) --product fake-cloudflare $(STRICT)
	$(SUDO) env DEB=$(DEB) SCRATCH=$(SCRATCH) E2E_DIR=$(E2E_DIR) timeout -k 60 1200 e2e/run.sh

# ZTGUARDD_BENCHMARKS=1 adds the benchmark package and target to Package.swift. Release build (the plugin builds it) and run of Benchmarks/RulesBenchmarks. Its own scratch path, so
# that it neither waits for nor invalidates the debug build in .build. Not part of `make test`.
bench:
	$(MAKE) bench-rules
	$(MAKE) bench-compare

bench-rules: deps
	ZTGUARDD_BENCHMARKS=1 $(SWIFT) package --scratch-path .build-bench benchmark --target RulesBenchmarks

# The side-by-side comparison (bench/compare.py): release ztguardd and fake-cloudflare built into
# .build-benchrun, the official Python SDK (pinned) in the git-ignored bench/.venv, GNU time for peak RSS.
# BENCH_COMPARE_ARGS passes options, e.g. BENCH_COMPARE_ARGS="--repeats 1 --sizes 10000".
PYTHON ?= python3
BENCH_VENV := bench/.venv
CLOUDFLARE_SDK_VERSION := 5.9.0
BENCH_COMPARE_ARGS ?=

$(BENCH_VENV)/.cloudflare-$(CLOUDFLARE_SDK_VERSION):
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check cloudflare==$(CLOUDFLARE_SDK_VERSION)
	touch $@

bench-deps: deps $(BENCH_VENV)/.cloudflare-$(CLOUDFLARE_SDK_VERSION)
	@[ -x /usr/bin/time ] && command -v curl >/dev/null || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq time curl; }

bench-compare: bench-deps
	$(PYTHON) bench/compare.py $(BENCH_COMPARE_ARGS)

# The release build's flags, one per line, for the scripts that build it themselves (bench/compare.py,
# linker/profile_hot_functions.py, which profiles without the order: `make print-release-flags ORDER_FLAGS=`).
print-release-flags: $(RELEASE_INPUTS)
	@for flag in $(RELEASE); do echo "$$flag"; done

# Re-profiles which functions ztguardd executes (callgrind, against a loopback fake) and rewrites
# linker/ztguardd.order. Not part of any other target: run it after large changes, commit the file.
order-file: deps
	@command -v valgrind >/dev/null || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind; }
	SWIFT=$(SWIFT) $(PYTHON) linker/profile_hot_functions.py

clean:
	rm -rf .build .build-man .build-deb
