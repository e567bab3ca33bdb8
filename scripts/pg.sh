#!/usr/bin/env bash
# PostgreSQL 15 in a data folder of the project's.
#   pg.sh start    initdb on first use, start on a free port, create role and database
#   pg.sh stop     fast shutdown
#   pg.sh status   exit 0 when running
# Skipped entirely when DB_HOST is set in the environment: that database is the user's.
source "$(dirname "$0")/lib.sh"

PG_USER_DB=cv_evaluator

# The server runs as postgres when we are root, and the postgres user must be able to
# reach its data folder; checkouts under /root are not, so those use /var/lib instead.
pg_data_dir() {
    local dir=${PG_DATA_DIR:-$(state_get PG_DATA_DIR "$VAR_DIR/pg/data")}
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")" 2>/dev/null; then
        mkdir -p "$(dirname "$dir")"
        if ! runuser -u postgres -- test -x "$(dirname "$dir")" 2>/dev/null; then
            dir=/var/lib/cv-evaluator/$(printf '%s' "$VAR_DIR" | sha256sum | cut -c1-12)/data
        fi
    fi
    printf '%s\n' "$dir"
}

# Unix sockets paths are limited to 107 bytes; deep checkouts use a short folder.
pg_socket_dir() {
    local dir=$VAR_DIR/run/pg
    if [ ${#dir} -gt 80 ]; then
        dir=/tmp/cv-pg-$(printf '%s' "$VAR_DIR" | sha256sum | cut -c1-12)
    fi
    printf '%s\n' "$dir"
}

pg_superuser() {
    if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

psql_admin() {
    as_pg_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$(pg_socket_dir)" -p "$(state_get DB_PORT)" -U "$(pg_superuser)" -d postgres "$@"
}

pg_start() {
    local data sock port password_file password owner
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN (run scripts/deps.sh)"
    data=$(pg_data_dir)
    sock=$(pg_socket_dir)
    state_set PG_DATA_DIR "$data"
    mkdir -p "$data" "$sock" "$VAR_DIR/log" "$VAR_DIR/secrets"
    chmod 700 "$data"
    owner=$(pg_superuser)
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$data" "$sock"
        touch "$VAR_DIR/log/postgres.log"
        chown postgres:postgres "$VAR_DIR/log/postgres.log"
    fi

    if [ ! -s "$data/PG_VERSION" ]; then
        say "initialising PostgreSQL in $data"
        as_pg_owner "$PG_BIN/initdb" -D "$data" -U "$owner" --encoding=UTF8 --locale=C.UTF-8 \
            --auth-local=peer --auth-host=scram-sha-256 > "$VAR_DIR/log/initdb.log" 2>&1 \
            || die "initdb failed; see $VAR_DIR/log/initdb.log"
    fi

    port=$(port_for DB_PORT)
    if ! as_pg_owner "$PG_BIN/pg_ctl" -D "$data" status > /dev/null 2>&1; then
        as_pg_owner "$PG_BIN/pg_ctl" -D "$data" -l "$VAR_DIR/log/postgres.log" -w -t 60 \
            -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$sock" \
            start > /dev/null || die "PostgreSQL did not start; see $VAR_DIR/log/postgres.log"
    fi

    # A random password per data folder, read by the services through DB_PASSWORD_FILE.
    password_file=$VAR_DIR/secrets/db_password
    if [ ! -s "$password_file" ]; then
        (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$password_file")
    fi
    password=$(cat "$password_file")
    psql_admin <<SQL
SELECT format('CREATE ROLE %I LOGIN', '$PG_USER_DB')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER_DB') \gexec
ALTER ROLE $PG_USER_DB PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_USER_DB', '$PG_USER_DB')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_USER_DB') \gexec
SQL
    say "PostgreSQL listening on 127.0.0.1:$port"
}

pg_stop() {
    local data
    data=$(state_get PG_DATA_DIR)
    [ -n "$data" ] && [ -s "$data/PG_VERSION" ] || return 0
    if as_pg_owner "$PG_BIN/pg_ctl" -D "$data" status > /dev/null 2>&1; then
        as_pg_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop > /dev/null
        say "PostgreSQL stopped"
    fi
}

pg_status() {
    local data
    data=$(state_get PG_DATA_DIR)
    [ -n "$data" ] && as_pg_owner "$PG_BIN/pg_ctl" -D "$data" status > /dev/null 2>&1
}

if [ -n "${DB_HOST:-}" ]; then
    say "DB_HOST is set: using that database, not starting one"
    exit 0
fi
case ${1:-} in
    start) pg_start ;;
    stop) pg_stop ;;
    status) pg_status ;;
    *) die "usage: pg.sh start|stop|status" ;;
esac
