#!/usr/bin/env bash
# Installs the Debian packages that are missing for the named sets, and nothing else.
#   deps.sh [build] [runtime] [test]     (no argument: all three)
#   deps.sh --list SET...                print the packages of the sets, one per line
# Each set is listed once, below. Package scripts are kept from starting services: the
# project runs its own PostgreSQL, nginx and lighttpd. Works as root without sudo (CI,
# containers, chroots) and as a user with sudo.
set -euo pipefail

# Compiler, make and the -dev packages behind the Makefile's PKGS line.
PKGS_BUILD=(
    gcc make pkg-config libc6-dev
    libfcgi-dev libpq-dev librdkafka-dev libcurl4-openssl-dev libcjson-dev
    libpoppler-glib-dev libzip-dev libxml2-dev libmicrohttpd-dev libssl-dev libcmocka-dev
)

# What `make run` starts and calls: database, web servers (lighttpd with mod_magnet for
# request ids), the FastCGI spawner, and the tools of scripts/ (curl for readiness
# checks, python3 for JSON on the command line). poppler-data holds the CMaps that
# poppler needs for the text of CJK PDFs; libpoppler only recommends it, so
# --no-install-recommends would leave it out.
PKGS_RUNTIME=(
    postgresql-15 postgresql-client-15 nginx lighttpd lighttpd-modules-lua spawn-fcgi
    curl ca-certificates python3 procps poppler-data
)

# What `make test` needs on top: clang with its sanitizer and libFuzzer runtimes, the
# integration harness's Python modules, poppler-utils for inspecting PDFs in tests, and
# the Kafka client and PostgreSQL driver of tests/worker. wrk is the HTTP load generator
# of `make bench-api`.
PKGS_TEST=(
    clang libclang-rt-14-dev python3-yaml python3-jsonschema poppler-utils procps
    kcat python3-psycopg2 wrk
)

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

packages_of() {
    local set
    for set in "$@"; do
        case $set in
            build) printf '%s\n' "${PKGS_BUILD[@]}" ;;
            runtime) printf '%s\n' "${PKGS_RUNTIME[@]}" ;;
            test) printf '%s\n' "${PKGS_TEST[@]}" ;;
            *) die "unknown package set \"$set\" (expected build, runtime or test)" ;;
        esac
    done | sort -u
}

# Prints the packages of "$@" that dpkg does not list as installed.
missing_of() {
    local pkg status
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null) || status=
        case $status in ii*) ;; *) printf '%s\n' "$pkg" ;; esac
    done
}

# True when apt has an installable candidate version of every package named.
apt_knows_all() {
    local pkg candidate
    for pkg in "$@"; do
        candidate=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
            return 1
        fi
    done
}

POLICY_RC=/usr/sbin/policy-rc.d
created_policy_rc=0
SUDO=()

# invoke-rc.d runs policy-rc.d before a package script starts a service, and exit
# status 101 means "action forbidden". Only a file created here is removed again.
block_service_starts() {
    if [ ! -e "$POLICY_RC" ]; then
        printf '#!/bin/sh\n# Written by deps.sh while it installs packages; removed afterwards.\nexit 101\n' \
            | "${SUDO[@]}" tee "$POLICY_RC" > /dev/null
        "${SUDO[@]}" chmod 755 "$POLICY_RC"
        created_policy_rc=1
    fi
}

unblock_service_starts() {
    if [ "$created_policy_rc" = 1 ]; then
        "${SUDO[@]}" rm -f "$POLICY_RC"
        created_policy_rc=0
    fi
}

main() {
    local -a sets packages missing
    local start

    if [ "${1:-}" = --list ]; then
        shift
        packages_of "$@"
        return 0
    fi
    sets=("$@")
    [ ${#sets[@]} -gt 0 ] || sets=(build runtime test)
    mapfile -t packages < <(packages_of "${sets[@]}")
    mapfile -t missing < <(missing_of "${packages[@]}")
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi

    if [ "$(id -u)" != 0 ]; then
        command -v sudo > /dev/null || die "not root and no sudo: as root, run apt-get install ${missing[*]}"
        SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    start=$(date +%s)
    say "installing ${missing[*]}"

    # A fresh machine or chroot has empty package lists, and stale lists lack new versions.
    if ! apt_knows_all "${missing[@]}"; then
        say "running apt-get update"
        "${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
    fi

    trap unblock_service_starts EXIT
    block_service_starts
    if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        # A package list older than the mirror names files that are gone: refresh once.
        say "apt-get install failed; updating the package lists and trying again"
        "${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
        "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
            || die "apt-get install failed for: ${missing[*]}"
    fi
    unblock_service_starts
    trap - EXIT
    say "installed ${#missing[@]} packages in $(( $(date +%s) - start ))s"
}

main "$@"
