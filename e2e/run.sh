#!/usr/bin/env bash
# End-to-end test of ztguardd under a real systemd: boots systemd as PID 1 in a systemd-nspawn
# container of the host's Debian release, installs the Debian package there as an administrator would
# (`apt-get install ./ztguardd_….deb`, no Swift toolchain inside), checks what the package installed
# (files, conffile, disabled unit, man pages, completion, catalog), writes a configuration and the API
# token, serves a fake Cloudflare API (fake-cloudflare) on the host's loopback, which the container
# shares, and checks with systemctl and journalctl what an administrator would see; last, that
# `apt-get purge` leaves nothing of the package behind. Also runs `systemd-analyze verify` on both
# installed units and `systemd-analyze security` on the main one.
#
# Run it through `make e2e` (which builds the package and fake-cloudflare first). Needs root.
# Environment: DEB (the package, default .build-deb/ztguardd_*.deb), SCRATCH (swift build scratch
# path holding release/fake-cloudflare, default .build), E2E_DIR (cache and work folder, default
# .build-e2e; the debootstrap root is cached in $E2E_DIR/rootfs), E2E_KEEP=1 keeps the container
# root of a passing run for inspection.
#
# Booting systemd in a container on a host whose PID 1 is not systemd: systemd-nspawn with
# --register=no --keep-unit (no machined or system bus on such a host), started from a fresh child
# cgroup in each hierarchy; commands run inside through nsenter; the console getty is masked.
set -euo pipefail

cd "$(dirname "$0")/.."
SCRATCH=$(realpath -m "${SCRATCH:-.build}")
E2E_DIR=$(realpath -m "${E2E_DIR:-.build-e2e}")
DEB=$(realpath -m "${DEB:-$(ls .build-deb/ztguardd_*.deb 2>/dev/null | head -n 1)}")
FAKE_BIN=$SCRATCH/release/fake-cloudflare
ROOTFS=$E2E_DIR/rootfs          # cached, pristine debootstrap root
WORK=$E2E_DIR/run               # this run: container root, logs, token
ROOT=$WORK/root
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
# What a minimal Debian with systemd has, plus man and bash completion to check the package's pages
# and completion. The package's own dependencies (libcurl4, libsystemd0) are there already.
PACKAGES=systemd,systemd-sysv,dbus,libnss-systemd,procps,libcurl4,libstdc++6,man-db,bash-completion
ACCOUNT_ID=699d98642c564d2e855e9661899b7252   # fake-cloudflare's default account
UNIT=ztguardd.service
CGROUP_NAME=ztguardd-e2e-$$

START=$SECONDS
PASSED=0
FAILED=0
NSPAWN_PID=""
CONTAINER_PID=""
FAKE_PID=""
CGROUPS=()

log() { printf '[e2e %4ss] %s\n' "$((SECONDS - START))" "$*"; }
pass() { printf 'PASS  %s\n' "$*"; PASSED=$((PASSED + 1)); }
fail() { printf 'FAIL  %s\n' "$*"; FAILED=$((FAILED + 1)); }
# A failed prerequisite: nothing after it can be checked.
die() { fail "$*"; exit 1; }

# expect DESCRIPTION ACTUAL PATTERN: passes when ACTUAL matches the extended regex PATTERN.
expect() {
    if [[ $2 =~ $3 ]]; then pass "$1 ($2)"; else fail "$1: got '$2', expected /$3/"; fi
}

# wait_for SECONDS COMMAND…: polls COMMAND until it succeeds; fails after SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.25
    done
}

# inside COMMAND…: runs COMMAND in the container (all its namespaces), with a clean environment.
inside() {
    timeout 60 nsenter -t "$CONTAINER_PID" -a \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 LANG=C.UTF-8 "$@"
}
show() { inside systemctl show -p "$1" --value "$UNIT"; }
status_text() { show StatusText; }
status_matches() { [[ $(status_text) =~ $1 ]]; }
# journal MATCHES…: the unit's entries as JSON lines, one per record (what `journalctl -o json` gives).
journal() { inside journalctl --no-pager -o json "_SYSTEMD_UNIT=$UNIT" "$@"; }
journal_count() { journal "$@" | grep -c . || true; }
journal_has() { [[ $(journal_count "$@") -gt 0 ]]; }
# field NAME: the values of field NAME in the JSON lines on stdin.
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

cleanup() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    if [[ -n $CONTAINER_PID ]] && { ((status != 0)) || ((FAILED > 0)); }; then
        echo "---- diagnostics: systemctl status $UNIT"
        inside systemctl status --no-pager -n 0 "$UNIT" 2>&1 | head -20
        echo "---- diagnostics: journalctl -u $UNIT -p warning (last 15), then the last 15 entries"
        inside journalctl --no-pager -n 15 -p warning -u "$UNIT" 2>&1
        inside journalctl --no-pager -n 15 -u "$UNIT" 2>&1
        echo "---- diagnostics: failed units"
        inside systemctl --failed --no-pager 2>&1 | head -10
    fi
    if [[ -n $CONTAINER_PID ]]; then
        inside journalctl --no-pager -o verbose -u "$UNIT" >"$WORK/journal.txt" 2>&1
    fi
    if [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        log "powering the container off"
        kill -TERM "$NSPAWN_PID" 2>/dev/null
        local deadline=$((SECONDS + 30))
        while kill -0 "$NSPAWN_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            echo "container did not power off in 30 s; killing it"
            kill -KILL "$NSPAWN_PID" 2>/dev/null
            [[ -n $CONTAINER_PID ]] && kill -KILL "$CONTAINER_PID" 2>/dev/null
            sleep 1
        fi
        wait "$NSPAWN_PID" 2>/dev/null
        log "container off"
    fi
    if [[ -n $FAKE_PID ]]; then
        kill -TERM "$FAKE_PID" 2>/dev/null
        wait "$FAKE_PID" 2>/dev/null
    fi
    local cgroup tries
    for cgroup in "${CGROUPS[@]}"; do
        for tries in 1 2 3 4 5 6 7 8 9 10; do
            [[ -d $cgroup ]] || break
            find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
            [[ -d $cgroup ]] && sleep 0.5
        done
        [[ -d $cgroup ]] && echo "warning: could not remove cgroup $cgroup"
    done
    if ((status == 0 && FAILED == 0)); then
        [[ ${E2E_KEEP:-0} == 1 ]] || rm -rf "$ROOT"
        printf 'e2e: all %d checks passed in %ss\n' "$PASSED" "$((SECONDS - START))"
        exit 0
    fi
    printf 'e2e: FAILED (%d failed, %d passed) after %ss; logs and container root in %s\n' \
        "$FAILED" "$PASSED" "$((SECONDS - START))" "$WORK"
    exit 1
}
trap cleanup EXIT
trap 'fail "interrupted by a signal (make e2e allows 20 minutes in all)"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Prerequisites
[[ $(id -u) == 0 ]] || die "e2e needs root (systemd-nspawn, cgroups): run sudo make e2e"
[[ -f $DEB ]] || die "missing the package ($DEB): make e2e builds it with make deb"
[[ -x $FAKE_BIN ]] || die "missing $FAKE_BIN: make e2e builds it (the release flags of make print-release-flags, --scratch-path $SCRATCH)"
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
command -v nsenter >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    timeout 600 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v systemd-analyze >/dev/null || die "systemd-analyze is missing (package systemd)"

# ---------------------------------------------------------------------------------------------
# The container root: a cached debootstrap tree of the host's release (the binary links against
# the host's libraries), copied fresh for every run.
mkdir -p "$E2E_DIR"
stamp="$SUITE $PACKAGES console-getty-masked"
if [[ ! -f $ROOTFS/.e2e-stamp || $(cat "$ROOTFS/.e2e-stamp") != "$stamp" ]]; then
    mirror=$( (sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources
        sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' /etc/apt/sources.list
        ) 2>/dev/null | grep -v security | head -n 1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    log "debootstrap $SUITE from $mirror into $ROOTFS (once; about a minute)"
    rm -rf "$ROOTFS" "$ROOTFS.tmp"
    if ! timeout 900 debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS.tmp" "$mirror" \
        >"$E2E_DIR/debootstrap.log" 2>&1; then
        tail -n 20 "$E2E_DIR/debootstrap.log"
        die "debootstrap failed (log: $E2E_DIR/debootstrap.log)"
    fi
    # No login prompt on the console; no package cache.
    ln -sf /dev/null "$ROOTFS.tmp/etc/systemd/system/console-getty.service"
    rm -f "$ROOTFS.tmp"/var/cache/apt/archives/*.deb
    echo "$stamp" >"$ROOTFS.tmp/.e2e-stamp"
    mv "$ROOTFS.tmp" "$ROOTFS"
fi
rm -rf "$WORK"
mkdir -p "$WORK"
cp -a "$ROOTFS" "$ROOT"
log "container root ready in $ROOT"

# The package, where apt-get inside the container finds it.
install -D -m 0644 "$DEB" "$ROOT/root/$(basename "$DEB")"
# A careless host: every service would get a TLS key log and an http:// proxy (a dead port), which the
# unit must withhold from ztguardd (UnsetEnvironment=).
install -d "$ROOT/etc/systemd/system.conf.d"
printf '[Manager]\nDefaultEnvironment=SSLKEYLOGFILE=/tmp/tls-keys.log http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9\n' \
    >"$ROOT/etc/systemd/system.conf.d/careless.conf"

# ---------------------------------------------------------------------------------------------
# The fake Cloudflare API on the host's loopback; the container shares the host's network.
token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
install -m 0600 /dev/null "$WORK/token"
printf '%s\n' "$token" >"$WORK/token"
"$FAKE_BIN" --host 127.0.0.1 --port 0 --registrations 300 --seed 7 --token-file "$WORK/token" \
    --log "$WORK/requests.jsonl" >"$WORK/fake-cloudflare.out" 2>&1 &
FAKE_PID=$!
wait_for 30 grep -q 'listening on' "$WORK/fake-cloudflare.out" \
    || { cat "$WORK/fake-cloudflare.out"; die "fake-cloudflare did not start listening in 30 s"; }
api_base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/fake-cloudflare.out" | head -n 1)
log "fake Cloudflare API at $api_base (pid $FAKE_PID)"


# write_config FILE DRY_RUN [EXTRA RULES]: the configuration, acting on the fake account.
write_config() {
    cat >"$1" <<EOF
# ztguardd e2e configuration
dry_run = $2

[cloudflare]
account_id = "$ACCOUNT_ID"
api_base = "$api_base"
allow_custom_api_base = true   # the fake API on the host's loopback receives the token
per_page = 50                  # several pages: exercises pagination

[schedule]
interval = "1m"                # the shortest allowed
jitter = "0"

[limits]
requests_per_minute = 240
max_actions_per_run = 1000
max_fraction = 1.0
batch_size = 20

$3
[[rule]]
name = "e2e-stale"
action = "delete"
[rule.match]
last_seen_older_than = "90d"

[[rule]]
name = "e2e-outdated"
action = "revoke"
[rule.match]
client_version_below = "2024.6.415"
EOF
}

# ---------------------------------------------------------------------------------------------
# Boot systemd as PID 1, from a fresh child cgroup in each hierarchy (nspawn creates supervisor/
# and payload/ under its own cgroup).
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    CGROUPS=("/sys/fs/cgroup/$CGROUP_NAME")                 # unified hierarchy
else
    CGROUPS=("/sys/fs/cgroup/systemd/$CGROUP_NAME")         # hybrid (name=systemd + cgroup2)
    [[ -d /sys/fs/cgroup/unified ]] && CGROUPS+=("/sys/fs/cgroup/unified/$CGROUP_NAME")
fi
for cgroup in "${CGROUPS[@]}"; do mkdir "$cgroup"; done
(
    for cgroup in "${CGROUPS[@]}"; do echo "$BASHPID" >"$cgroup/cgroup.procs"; done
    exec systemd-nspawn -D "$ROOT" --register=no --keep-unit --console=read-only \
        --machine=ztguardd-e2e -b </dev/null
) >"$WORK/console.log" 2>&1 &
NSPAWN_PID=$!

container_pid() {
    local pid
    for pid in $(cat /proc/"$NSPAWN_PID"/task/*/children 2>/dev/null); do
        if [[ $(cat /proc/"$pid"/comm 2>/dev/null) == systemd ]]; then CONTAINER_PID=$pid; return 0; fi
    done
    return 1
}
wait_for 30 container_pid || { tail -n 20 "$WORK/console.log"; die "systemd did not start in the container in 30 s"; }
booted() { [[ $(inside systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]; }
wait_for 60 booted || { tail -n 20 "$WORK/console.log"; die "the container did not finish booting in 60 s"; }
system_state=$(inside systemctl is-system-running || true)
expect "systemd boots as PID 1 in the container (pid $CONTAINER_PID on the host)" "$system_state" '^running$'
[[ $system_state == running ]] || inside systemctl --failed --no-pager || true
# ---------------------------------------------------------------------------------------------
# Install the package as an administrator would.
deb_name=$(basename "$DEB")
log "apt-get install ./$deb_name"
if out=$(inside sh -c "cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y ./$deb_name" 2>&1); then
    pass "apt-get install ./$deb_name succeeds in a container with no Swift toolchain"
else
    printf '%s\n' "$out" | tail -n 20
    die "apt-get install ./$deb_name failed"
fi
expect "no Swift in the container" "$(inside sh -c 'command -v swift swiftc || echo none')" '^none$'
files=$(inside dpkg -L ztguardd)
printf '%s\n' "$files" >"$WORK/dpkg-L.txt"
for path in /usr/bin/ztguardd /lib/systemd/system/ztguardd.service /lib/systemd/system/ztguardd@.service \
    /usr/lib/systemd/catalog/ztguardd.catalog /etc/ztguardd/ztguardd.toml /usr/share/man/man8/ztguardd.8.gz \
    /usr/share/man/man5/ztguardd.toml.5.gz /usr/share/bash-completion/completions/ztguardd \
    /usr/share/zsh/vendor-completions/_ztguardd /usr/share/fish/vendor_completions.d/ztguardd.fish \
    /usr/share/doc/ztguardd/copyright; do
    grep -qx "$path" <<<"$files" || fail "dpkg -L ztguardd lacks $path"
done
pass "dpkg -L ztguardd lists the binary, both units, the catalog, the configuration, man pages, completions, copyright"
expect "the configuration is a conffile" "$(inside dpkg-query -W -f='${Conffiles}' ztguardd | awk '{print $1}' | paste -sd' ' -)" \
    '^/etc/ztguardd/ztguardd.toml$'
expect "the shipped configuration has dry_run = true" "$(grep -E '^dry_run *=' "$ROOT/etc/ztguardd/ztguardd.toml")" \
    '^dry_run = true'
expect "the configuration is readable by the service's dynamic user (mode, owner)" \
    "$(stat -c '%a %U:%G' "$ROOT/etc/ztguardd/ztguardd.toml")" '^644 root:root$'
expect "installing neither enables nor starts the service (is-enabled/is-active)" \
    "$(inside systemctl is-enabled "$UNIT" || true)/$(inside systemctl is-active "$UNIT" || true)" '^disabled/inactive$'
expect "the unit runs the packaged binary" "$(inside systemctl cat "$UNIT" | sed -n 's/^ExecStart=\([^ ]*\).*/\1/p')" \
    '^/usr/bin/ztguardd$'
expect "man ztguardd" "$(inside man -P cat ztguardd 2>&1 | grep -m 1 -A 1 '^NAME' | tail -n 1 | sed 's/^ *//')" '^ztguardd'
expect "man ztguardd.toml" "$(inside man -P cat ztguardd.toml 2>&1 | grep -m 1 -A 1 '^NAME' | tail -n 1 | sed 's/^ *//')" \
    '^ztguardd.toml'
completion=$(inside bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader ztguardd
    COMP_WORDS=(ztguardd pl); COMP_CWORD=1; COMP_LINE="ztguardd pl"; COMP_POINT=11; _ztguardd ztguardd pl ztguardd
    echo "${COMPREPLY[*]}"' 2>&1)
expect "bash completes 'ztguardd pl' to plan" "$completion" '(^| )plan( |$)'
expect "the journal catalog was updated on install (journalctl --list-catalog)" \
    "$(inside journalctl --list-catalog 8e016ace040a43e9a9acdf17254e556e 2>&1 | head -n 1)" '^8e016ace040a43e9a9acdf17254e556e '
log "installed $(inside dpkg-query -W -f='${Package} ${Version} (${Architecture})' ztguardd): $(grep -c . <<<"$files") paths"

# ---------------------------------------------------------------------------------------------
# systemd-analyze verify on the installed units, inside the container: it resolves ExecStart= and the
# units' dependencies, and runs man for each Documentation= page, all of which the package installed
# there. Silence is success: it exits 0 on most problems, so any output fails.
for unit in ztguardd.service ztguardd@.service; do
    out=$(inside systemd-analyze verify "/lib/systemd/system/$unit" 2>&1) || true
    if [[ -z $out ]]; then pass "systemd-analyze verify $unit prints nothing"; else
        fail "systemd-analyze verify $unit:"; printf '      %s\n' "$out"; fi
done
score=$(timeout 60 systemd-analyze security --offline=true --no-pager systemd/ztguardd.service 2>&1 \
    | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
expect "systemd-analyze security --offline exposure of ztguardd.service is at most 1.2" "${score:-none}" \
    '^(0\.[0-9]|1\.[0-2])$'

# The token as the README says: root-only file, handed over by LoadCredential=; then the configuration.
install -m 0600 "$WORK/token" "$ROOT/etc/ztguardd/token"
write_config "$ROOT/etc/ztguardd/ztguardd.toml" false ""

# ---------------------------------------------------------------------------------------------
# Start the service as an administrator would.
log "systemctl enable --now $UNIT"
inside systemctl enable --now "$UNIT" >/dev/null 2>&1 || fail "systemctl enable --now $UNIT failed"
first_run_or_failure() { status_matches '^Last run ' || [[ $(show ActiveState) =~ ^(failed|inactive)$ ]]; }
wait_for 60 first_run_or_failure && status_matches '^Last run ' \
    || die "no 'Last run …' STATUS within 60 s (status: '$(status_text)', state: $(show ActiveState)/$(show SubState))"
echo "      systemctl status $UNIT:"
inside systemctl status --no-pager -n 0 "$UNIT" | sed -n '1,/^ *CGroup:/p' | sed 's/^/      | /'
expect "the unit is active (running)" "$(show ActiveState)/$(show SubState)" '^active/running$'
status=$(status_text)
expect "STATUS= reports the last run's summary" "$status" \
    '^Last run [0-9T:.Z-]+: [0-9]+ listed, [1-9][0-9]* selected, [1-9][0-9]* done, 0 failed$'
main_pid=$(show MainPID)
# A figure, not a check: the daemon's memory after its first run, as the shipped unit runs it (the
# fleet here is small; BENCHMARKS.md has the 100,000-registration figures).
log "idle after its first run: $(inside grep -E '^(VmRSS|VmHWM|RssAnon|RssFile):' /proc/"$main_pid"/status \
    | awk '{printf "%s%s %.1f MB", sep, $1, $2 / 1024; sep = ", "}')"

# What the unit withholds from the process: core dumps, the key-log and http:// proxy variables.
expect "LimitCORE=0, in the unit and in the process's limits" \
    "$(show LimitCORE)/$(inside awk '/^Max core file size/ {print $5}' /proc/"$main_pid"/limits)" '^0/0$'
expect "the process's environment has no SSLKEYLOGFILE or http_proxy" \
    "$(inside cat /proc/"$main_pid"/environ | tr '\0' '\n' | grep -cE '^(SSLKEYLOGFILE|http_proxy|HTTP_PROXY)=' || true)" '^0$'
# A dynamic user, and the token from $CREDENTIALS_DIRECTORY.
expect "DynamicUser=yes" "$(show DynamicUser)" '^yes$'
expect "systemctl show -p User (the dynamic user's name)" "$(show User)" '^(ztguardd)?$'
# Dynamic users get a uid in 61184–65519.
user_uid=$(inside ps -o user=,uid= -p "$main_pid" | awk '{print $1 "/" ($2 >= 61184 && $2 <= 65519 ? "dynamic-uid-" : "uid-") $2}')
expect "the main process runs as the dynamic user ztguardd (ps: user/uid)" "$user_uid" '^ztguardd/dynamic-uid-[0-9]+$'
expect "getent passwd ztguardd resolves the dynamic user" "$(inside getent passwd ztguardd | cut -d: -f1,7)" \
    '^ztguardd:'
expect "the unit loads the token with LoadCredential=" "$(inside systemctl cat "$UNIT" | grep '^LoadCredential=')" \
    '^LoadCredential=cloudflare-api-token:/etc/ztguardd/token$'
environ=$(inside cat /proc/"$main_pid"/environ | tr '\0' '\n')
credentials_dir=$(sed -n 's/^CREDENTIALS_DIRECTORY=//p' <<<"$environ")
expect "the service's \$CREDENTIALS_DIRECTORY" "$credentials_dir" "^/run/credentials/$UNIT\$"
expect "\$CREDENTIALS_DIRECTORY/cloudflare-api-token is readable by its owner only" \
    "$(inside stat -c '%A' "$credentials_dir/cloudflare-api-token" 2>&1)" '^-r--------$'
if [[ $(inside cat "$credentials_dir/cloudflare-api-token") == "$token" ]]; then
    pass "\$CREDENTIALS_DIRECTORY/cloudflare-api-token holds the token"
else
    fail "\$CREDENTIALS_DIRECTORY/cloudflare-api-token does not hold the token"
fi
if grep -q '^CLOUDFLARE_API_TOKEN=' <<<"$environ" || grep -q 'token_file' "$ROOT/etc/ztguardd/ztguardd.toml"; then
    fail "the token has another source than the credential"
else
    pass "no CLOUDFLARE_API_TOKEN and no token_file: the accepted token came from \$CREDENTIALS_DIRECTORY"
fi
if inside sh -c "journalctl -o export; cat /proc/$main_pid/cmdline" | grep -qF "$token"; then
    fail "the token appears in the journal or the command line"
else
    pass "the token appears neither in the journal nor in the command line"
fi

# Its actions: in the fake API's request log and in the journal.
requests=$(grep -c . "$WORK/requests.jsonl" || true)
refused=$(grep -c '"status":4' "$WORK/requests.jsonl" || true)
deletes=$(grep -c '"method":"DELETE"' "$WORK/requests.jsonl" || true)
revokes=$(grep -c '"path":"[^"]*/registrations/revoke"' "$WORK/requests.jsonl" || true)
expect "the fake API served authenticated requests (requests/refused)" "$requests/$refused" '^[1-9][0-9]*/0$'
expect "the request log has bulk deletes and revokes (DELETE/revoke requests)" "$deletes/$revokes" '^[1-9][0-9]*/[1-9][0-9]*$'
wait_for 10 journal_has ZTG_EVENT=run-finished || true
done_deleted=$(journal ZTG_EVENT=action ZTG_ACTION=delete ZTG_OUTCOME=done | field ZTG_REGISTRATION_ID | sort -u)
done_revoked=$(journal ZTG_EVENT=action ZTG_ACTION=revoke ZTG_OUTCOME=done | field ZTG_REGISTRATION_ID | sort -u)
expect "journal: done delete and revoke actions under _SYSTEMD_UNIT=$UNIT (deleted/revoked)" \
    "$(grep -c . <<<"$done_deleted" || true)/$(grep -c . <<<"$done_revoked" || true)" '^[1-9][0-9]*/[1-9][0-9]*$'
# Every journalled deletion is in a DELETE request's ids, every revocation in a revoke request's.
ids_in() { grep "$1" "$WORK/requests.jsonl" | grep -o '"[0-9a-f-]\{36\}"' | tr -d '"' | sort -u; }
unmatched=$(comm -23 <(echo "$done_deleted") <(ids_in '"method":"DELETE"') | grep -c . || true)
unmatched=$((unmatched + $(comm -23 <(echo "$done_revoked") <(ids_in '/registrations/revoke"') | grep -c . || true)))
expect "every journalled action is in the request log (unmatched ids)" "$unmatched" '^0$'
first_run=$(journal ZTG_EVENT=run-finished | tail -n 1)
expect "journal: run-finished record (ZTG_DRY_RUN, ZTG_LISTED, ZTG_DONE, PRIORITY, SYSLOG_IDENTIFIER)" \
    "$(field ZTG_DRY_RUN <<<"$first_run") $(field ZTG_LISTED <<<"$first_run") $(field ZTG_DONE <<<"$first_run") $(field PRIORITY <<<"$first_run") $(field SYSLOG_IDENTIFIER <<<"$first_run")" \
    '^0 [1-9][0-9]* [1-9][0-9]* 6 ztguardd$'
action_example=$(journal -n 1 ZTG_EVENT=action ZTG_ACTION=delete)
for key in MESSAGE_ID ZTG_RUN_ID ZTG_RULE ZTG_REASON ZTG_DEVICE_ID ZTG_DEVICE_NAME ZTG_LAST_SEEN; do
    [[ -n $(field "$key" <<<"$action_example") ]] || fail "action record without $key: $action_example"
done
explained=$(inside journalctl --no-pager -x -n 1 "_SYSTEMD_UNIT=$UNIT" ZTG_EVENT=action | grep -c 'A deleted registration cannot be restored' || true)
expect "journalctl -x explains an action from the installed catalog" "$explained" '^[1-9]'

# ---------------------------------------------------------------------------------------------
# Reload: a good file is loaded, a broken one rejected while the daemon keeps the old rules.
log "systemctl reload with a good configuration (dry_run = true, one more rule)"
write_config "$ROOT/etc/ztguardd/ztguardd.toml" true '[[rule]]
name = "e2e-unrevoke"
action = "unrevoke"
[rule.match]
client_version_below = "2024.6.415"   # status = "revoked", the default of unrevoke rules
'
loaded_before=$(journal_count ZTG_EVENT=config-loaded)
inside systemctl reload "$UNIT" && pass "systemctl reload (good file) exits 0" || fail "systemctl reload (good file) failed"
wait_for 20 status_matches '^Configuration reloaded' || true
expect "STATUS= after the good reload" "$(status_text)" '^Configuration reloaded$'
wait_for 10 eval '[[ $(journal_count ZTG_EVENT=config-loaded) -gt $loaded_before ]]' || true
expect "journal: config-loaded records (before/after)" "$loaded_before/$(journal_count ZTG_EVENT=config-loaded)" \
    "^$loaded_before/$((loaded_before + 1))\$"

log "systemctl reload with a broken configuration"
cp "$ROOT/etc/ztguardd/ztguardd.toml" "$WORK/good.toml"
sed -i 's/last_seen_older_than = "90d"/last_seen_older_than = "90 days"/; s/^jitter = "0"/jitter = "0"\nbogus_key = 1/' \
    "$ROOT/etc/ztguardd/ztguardd.toml"
inside systemctl reload "$UNIT" && pass "systemctl reload (broken file) exits 0: the daemon answers, and keeps going" \
    || fail "systemctl reload (broken file) failed"
wait_for 20 status_matches '^Reload rejected' || true
status=$(status_text)
expect "STATUS= after the broken reload says it was rejected" "$status" '^Reload rejected, previous configuration in force: '
wait_for 10 journal_has ZTG_EVENT=config-rejected || true
rejected=$(journal ZTG_EVENT=config-rejected | tail -n 1)
expect "journal: config-rejected record (PRIORITY, error names the bad key)" \
    "$(field PRIORITY <<<"$rejected") $(grep -m 1 -o 'rule\[[0-9]*\]\.match\.last_seen_older_than' <<<"$rejected")" \
    '^4 rule\[[0-9]+\]\.match\.last_seen_older_than$'
expect "still active (running), same main process" "$(show ActiveState)/$(show SubState) pid $(show MainPID)" \
    "^active/running pid $main_pid\$"

# The next run (one interval after the first) uses the last good file: a dry run with e2e-unrevoke.
log "waiting for the next scheduled run (interval 1m) to show which rules are in force"
runs_before=$(journal_count ZTG_EVENT=run-finished)
wait_for 100 eval '[[ $(journal_count ZTG_EVENT=run-finished) -gt $runs_before ]]' \
    || fail "no run within 100 s after the reloads"
wait_for 10 status_matches '^Last ' || true
expect "STATUS= of the run after the rejected reload: a dry run of the good file's rules" "$(status_text)" \
    '^Last dry run [0-9T:.Z-]+: [0-9]+ listed, [1-9][0-9]* selected, 0 done, 0 failed$'
second_run=$(journal ZTG_EVENT=run-finished | tail -n 1 | field ZTG_RUN_ID)
planned=$(journal ZTG_EVENT=action "ZTG_RUN_ID=$second_run" | field ZTG_RULE | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ' -)
outcomes=$(journal ZTG_EVENT=action "ZTG_RUN_ID=$second_run" | field ZTG_OUTCOME | sort -u | paste -sd' ' -)
expect "journal: that run's actions come from the reloaded rule e2e-unrevoke, all planned" "$planned: $outcomes" \
    '^e2e-unrevoke=[1-9][0-9]*: planned$'
expect "the fake API saw no unrevoke request (dry run)" "$(grep -c '/registrations/unrevoke"' "$WORK/requests.jsonl" || true)" '^0$'

# ---------------------------------------------------------------------------------------------
# Stop.
log "systemctl stop $UNIT"
inside timeout 100 systemctl stop "$UNIT" && pass "systemctl stop exits 0" || fail "systemctl stop failed"
expect "after stop: ActiveState, Result, ExecMainStatus" \
    "$(show ActiveState) $(show Result) $(show ExecMainStatus)" '^inactive success 0$'
expect "no failed or aborted run in the journal" \
    "$(journal_count ZTG_EVENT=run-failed)/$(journal_count ZTG_EVENT=run-aborted)" '^0/0$'

# ---------------------------------------------------------------------------------------------
# ZTGUARDD_AUDIT=stderr: a run by hand, as root, with journald listening, writes its records on stderr
# as JSON lines and none to the journal; without it, to the journal and none on stderr.
log "ztguardd run --once --dry-run by hand, with and without ZTGUARDD_AUDIT=stderr"
write_config "$ROOT/root/ztguardd-by-hand.toml" true ''
sed -i 's|^\[cloudflare\]$|[cloudflare]\ntoken_file = "/etc/ztguardd/token"|' "$ROOT/root/ztguardd-by-hand.toml"
by_hand() {
    inside env "$@" STATE_DIRECTORY=/root/ztguardd-by-hand \
        ztguardd run --once --dry-run --config /root/ztguardd-by-hand.toml 2>&1 >/dev/null || true
}
to_stderr=$(by_hand ZTGUARDD_AUDIT=stderr)
stderr_run=$({ grep '"ZTG_EVENT":"run-finished"' <<<"$to_stderr" || true; } | field ZTG_RUN_ID | head -n 1)
[[ -n $stderr_run ]] || printf '%s\n' "$to_stderr" | tail -n 5
in_journal=$(inside journalctl --no-pager -o json "ZTG_RUN_ID=${stderr_run:-none}" | grep -c . || true)
expect "ZTGUARDD_AUDIT=stderr: run-finished on stderr, no record in the journal (run id/journal records)" \
    "${stderr_run:-none}/$in_journal" '^[0-9a-f-]{36}/0$'
to_journal=$(by_hand LANG=C.UTF-8)
journal_run=$({ inside journalctl --no-pager -o json -t ztguardd ZTG_EVENT=run-finished _UID=0 || true; } | tail -n 1 | field ZTG_RUN_ID)
[[ -n $journal_run ]] || printf '%s\n' "$to_journal" | tail -n 5
expect "without it, with journald listening: nothing on stderr, run-finished in the journal (stderr lines/run id)" \
    "$(grep -c '"ZTG_EVENT"' <<<"$to_journal" || true)/${journal_run:-none}" '^0/[0-9a-f-]{36}$'

# ---------------------------------------------------------------------------------------------
# Purge: nothing of the package stays behind; the administrator's token is theirs and stays.
log "apt-get purge ztguardd"
if out=$(inside sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y ztguardd' 2>&1); then
    pass "apt-get purge ztguardd exits 0"
else
    printf '%s\n' "$out" | tail -n 20
    fail "apt-get purge ztguardd failed"
fi
expect "dpkg no longer knows the package" "$(inside dpkg-query -W -f='${db:Status-Status}' ztguardd 2>&1 || true)" \
    '^(not-installed|dpkg-query: no packages found.*)$'
left=()
while read -r path; do
    # Directories the package shared with others (/usr/share/man/man8, …) rightly stay.
    if [[ -e $ROOT$path && ! -d $ROOT$path ]]; then left+=("$path"); fi
done <"$WORK/dpkg-L.txt"
for path in /var/lib/ztguardd /var/lib/private/ztguardd /etc/ztguardd/ztguardd.toml; do
    if [[ -e $ROOT$path || -L $ROOT$path ]]; then left+=("$path"); fi
done
expect "after purge: files of the package left behind" "${left[*]:-none}" '^none$'
expect "after purge: the unit is gone" "$(inside systemctl list-unit-files "$UNIT" --no-legend 2>&1 | grep -c . || true)" '^0$'
expect "after purge: the administrator's token is kept" "$([[ -f $ROOT/etc/ztguardd/token ]] && echo kept || echo gone)" '^kept$'
