#!/usr/bin/env bash
# The Kafka-protocol broker.
#   broker.sh start   KAFKA_BROKERS set: record it and use it (Redpanda in production).
#                     Otherwise start the development broker (cvctl dev-broker, built on
#                     librdkafka's mock cluster) on loopback and record its address.
#   broker.sh stop    stop the development broker if this checkout started one
# The development broker listens on DEV_BROKER_PORT: the environment, else the port of
# the last start (state.env), else a free port. A broker restarted on its old port is
# found again by the running API and worker, which reconnect by themselves. When that
# port is taken it moves to a free one and updates state.env and cv.env, and the API
# and worker must be restarted to read the new address.
source "$(dirname "$0")/lib.sh"

PARTITIONS=${KAFKA_PARTITIONS:-6}
PIDFILE=$VAR_DIR/run/broker.pid
BOOTFILE=$VAR_DIR/run/kafka.bootstrap
LOG=$VAR_DIR/log/broker.log

# Starts the development broker on port $1 and waits for its bootstrap file. Returns 3
# when the port is in use (cvctl dev-broker's exit status), and dies on other failures.
spawn_broker() {
    local port=$1 pid status i
    rm -f "$BOOTFILE"
    # setsid: the broker must outlive the shell that started it.
    setsid "$BUILD/cvctl" dev-broker --partitions "$PARTITIONS" --port "$port" \
        --bootstrap-file "$BOOTFILE" >> "$LOG" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$PIDFILE"
    for ((i = 0; i < 100; i++)); do
        [ -s "$BOOTFILE" ] && return 0
        if ! proc_running "$pid"; then
            status=0
            wait "$pid" || status=$?
            rm -f "$PIDFILE"
            [ "$status" != 3 ] || return 3
            log_tail "$LOG"
            die "development broker exited with status $status; see $LOG"
        fi
        sleep 0.1
    done
    die "development broker did not start within 10 s; see $LOG"
}

# Replaces the KAFKA_BROKERS line of cv.env, if stack.sh wrote one, with address $1.
update_cv_env() {
    [ -f "$CV_ENV" ] || return 0
    sed "s|^KAFKA_BROKERS=.*|KAFKA_BROKERS=$1|" "$CV_ENV" > "$CV_ENV.tmp"
    mv "$CV_ENV.tmp" "$CV_ENV"
}

broker_start() {
    local port old_port status
    if [ -n "${KAFKA_BROKERS:-}" ]; then
        state_set KAFKA_BROKERS "$KAFKA_BROKERS"
        say "using the broker at $KAFKA_BROKERS"
        return 0
    fi
    mkdir -p "$VAR_DIR/run" "$VAR_DIR/log"
    if pid_alive "$PIDFILE"; then
        [ -s "$BOOTFILE" ] || die "the development broker runs but $BOOTFILE is missing; run broker.sh stop"
        state_set KAFKA_BROKERS "$(cat "$BOOTFILE")"
        say "development broker already running on $(cat "$BOOTFILE")"
        return 0
    fi

    port=$(port_for DEV_BROKER_PORT)
    status=0
    spawn_broker "$port" || status=$?
    if [ "$status" = 3 ]; then
        old_port=$port
        port=$(free_port)
        [ -n "$port" ] || die "could not choose a free port for the development broker"
        spawn_broker "$port" || die "development broker could not start on port $port either; see $LOG"
        state_set DEV_BROKER_PORT "$port"
        update_cv_env "$(cat "$BOOTFILE")"
        say "WARNING: port $old_port of the development broker is in use, so it listens on $port now."
        say "WARNING: state.env and cv.env have the new address, but a running API and worker"
        say "WARNING: still use the old one: restart them (scripts/api.sh stop; scripts/api.sh start;"
        say "WARNING: scripts/worker.sh stop; scripts/worker.sh start), or the whole stack."
    fi
    state_set KAFKA_BROKERS "$(cat "$BOOTFILE")"
    say "development broker listening on $(cat "$BOOTFILE") ($PARTITIONS partitions)"
}

case ${1:-} in
    start) broker_start ;;
    stop) stop_pidfile "$PIDFILE" 10 ;;
    *) die "usage: broker.sh start|stop" ;;
esac
