#!/usr/bin/env bash
# The Kafka-protocol broker.
#   broker.sh start   KAFKA_BROKERS set: record it and use it (Redpanda in production).
#                     Otherwise start the development broker (cvctl dev-broker, built on
#                     librdkafka's mock cluster) on loopback and record its address.
#   broker.sh stop    stop the development broker if this checkout started one
source "$(dirname "$0")/lib.sh"

PARTITIONS=${KAFKA_PARTITIONS:-6}

broker_start() {
    local pidfile=$VAR_DIR/run/broker.pid bootfile=$VAR_DIR/run/kafka.bootstrap i
    if [ -n "${KAFKA_BROKERS:-}" ]; then
        state_set KAFKA_BROKERS "$KAFKA_BROKERS"
        say "using the broker at $KAFKA_BROKERS"
        return 0
    fi
    mkdir -p "$VAR_DIR/run" "$VAR_DIR/log"
    if ! pid_alive "$pidfile"; then
        rm -f "$bootfile"
        # setsid: the broker must outlive the shell that started it.
        setsid "$BUILD/cvctl" dev-broker --partitions "$PARTITIONS" --bootstrap-file "$bootfile" \
            >> "$VAR_DIR/log/broker.log" 2>&1 < /dev/null &
        echo $! > "$pidfile"
        for ((i = 0; i < 100; i++)); do
            [ -s "$bootfile" ] && break
            pid_alive "$pidfile" || die "development broker exited; see $VAR_DIR/log/broker.log"
            sleep 0.1
        done
        [ -s "$bootfile" ] || die "development broker did not start; see $VAR_DIR/log/broker.log"
    fi
    state_set KAFKA_BROKERS "$(cat "$bootfile")"
    say "development broker listening on $(cat "$bootfile") ($PARTITIONS partitions)"
}

case ${1:-} in
    start) broker_start ;;
    stop) stop_pidfile "$VAR_DIR/run/broker.pid" 10 ;;
    *) die "usage: broker.sh start|stop" ;;
esac
