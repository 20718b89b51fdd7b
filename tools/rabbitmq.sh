#!/usr/bin/env bash
# Run a throwaway RabbitMQ node for tests and development, by hand (no systemd).
#
#   tools/rabbitmq.sh start   DIR [PORT]   start a node whose state lives in DIR; print its URL
#   tools/rabbitmq.sh stop    DIR          stop the node (and epmd, if this script started it)
#   tools/rabbitmq.sh restart DIR          stop and start the node again (same port, users, queues)
#   tools/rabbitmq.sh url     DIR          print the URL of the node started in DIR
#
# The node listens on 127.0.0.1 only: AMQP on PORT (a free port when not given), Erlang
# distribution on another free port, and a private epmd on a third free port, all on loopback.
# Nothing outside DIR is written; /etc/rabbitmq is not read. The node gets a vhost "stratus" and a
# user "stratus" with a random password; the guest user is removed.
#
# Works on a fresh Debian 12 with `apt-get install rabbitmq-server`: the package's own service may
# have failed to start (no systemd) or be running — neither matters, this node is separate.
set -euo pipefail

RABBIT_BIN=${RABBIT_BIN:-/usr/lib/rabbitmq/bin}
START_TIMEOUT=${STRATUS_RABBIT_START_TIMEOUT:-90}
VHOST=stratus
USER_NAME=stratus

die() { echo "rabbitmq.sh: $*" >&2; exit 1; }

usage() { die "usage: $0 start|stop|restart|url DIR [PORT]"; }

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free port below Linux's ephemeral range (32768+), so no outgoing connection takes it before
# the node binds it. Ports given in $TAKEN are skipped.
free_port() {
    local port tries=0
    while (( tries++ < 200 )); do
        port=$(( 20000 + RANDOM % 12000 ))
        [[ " ${TAKEN:-} " == *" $port "* ]] && continue
        port_in_use "$port" || { echo "$port"; return 0; }
    done
    die "no free TCP port found on 127.0.0.1"
}

# A zombie (exited, not yet reaped by whatever init this machine runs) counts as gone.
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null \
        && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null
}

# Everything the rabbitmq scripts, erl and rabbitmqctl need to find this node and nothing else.
node_env() {
    export HOME="$DIR/home"
    export RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf"
    export RABBITMQ_CONFIG_FILE="$DIR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/advanced.config"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
    export RABBITMQ_MNESIA_BASE="$DIR/mnesia"
    export RABBITMQ_LOG_BASE="$DIR/log"
    export RABBITMQ_PID_FILE="$DIR/rabbit.pid"
    export RABBITMQ_PLUGINS_EXPAND_DIR="$DIR/plugins-expand"
    export RABBITMQ_NODENAME="stratus-test-$PORT@localhost"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$PORT"
    export RABBITMQ_DIST_PORT="$DIST_PORT"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export ERL_EPMD_PORT="$EPMD_PORT"
    # Erlang distribution (node and rabbitmqctl's own short-lived node) on loopback only.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

ctl() { "$RABBIT_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" -q "$@"; }

load_state() {
    [[ -f "$DIR/state" ]] || die "no node was started in $DIR (missing $DIR/state)"
    # shellcheck disable=SC1091
    . "$DIR/state"
    node_env
}

write_config() {
    mkdir -p "$DIR/home" "$DIR/mnesia" "$DIR/log"
    chmod 700 "$DIR/home"
    if [[ ! -f "$DIR/home/.erlang.cookie" ]]; then
        (umask 077; head -c 30 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' \
            > "$DIR/home/.erlang.cookie")
        chmod 400 "$DIR/home/.erlang.cookie"
    fi
    : > "$DIR/rabbitmq-env.conf"
    echo "[]." > "$DIR/enabled_plugins"   # no management plugin, no other plugins
    cat > "$DIR/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$PORT
log.console = false
log.file.level = info
EOF
}

start_epmd() {
    if pid_alive "${EPMD_PID:-}"; then
        return 0
    fi
    setsid epmd -address 127.0.0.1 -port "$EPMD_PORT" </dev/null >>"$DIR/log/epmd.log" 2>&1 &
    EPMD_PID=$!
    local i
    for i in $(seq 50); do
        port_in_use "$EPMD_PORT" && return 0
        pid_alive "$EPMD_PID" || break
        sleep 0.1
    done
    die "epmd did not start on 127.0.0.1:$EPMD_PORT (see $DIR/log/epmd.log)"
}

save_state() {
    cat > "$DIR/state" <<EOF
PORT=$PORT
DIST_PORT=$DIST_PORT
EPMD_PORT=$EPMD_PORT
EPMD_PID=${EPMD_PID:-}
NODE_PID=${NODE_PID:-}
PASSWORD=${PASSWORD:-}
EOF
}

start_node() {
    port_in_use "$PORT" && die "port $PORT on 127.0.0.1 is already in use"
    setsid "$RABBIT_BIN/rabbitmq-server" </dev/null >>"$DIR/log/server.out" 2>&1 &
    NODE_PID=$!
    save_state
    local deadline=$(( SECONDS + START_TIMEOUT ))
    until port_in_use "$PORT"; do
        if ! pid_alive "$NODE_PID"; then
            tail -n 30 "$DIR/log/server.out" >&2 || true
            die "rabbitmq-server exited during start-up (logs in $DIR/log)"
        fi
        (( SECONDS < deadline )) || die "rabbitmq-server did not open port $PORT in ${START_TIMEOUT}s"
        sleep 0.2
    done
    ctl await_startup --timeout "$START_TIMEOUT" >/dev/null \
        || die "rabbitmq node did not finish booting (logs in $DIR/log)"
}

create_user() {
    PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    ctl add_vhost "$VHOST" >/dev/null
    ctl add_user "$USER_NAME" "$PASSWORD" >/dev/null
    ctl set_permissions -p "$VHOST" "$USER_NAME" '.*' '.*' '.*' >/dev/null
    ctl delete_user guest >/dev/null 2>&1 || true
    save_state
}

print_url() { echo "rabbit://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$VHOST"; }

stop_node() {
    pid_alive "${NODE_PID:-}" || return 0
    ctl shutdown >/dev/null 2>&1 || true
    local i
    for i in $(seq 100); do
        pid_alive "$NODE_PID" || return 0
        sleep 0.1
    done
    # NOTE: the node runs in its own session (setsid), so its process group is exactly the
    # processes this script started for it: the wrapper shell, beam.smp and its helpers.
    kill -TERM -- "-$NODE_PID" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$NODE_PID" 2>/dev/null || true
}

cmd_start() {
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    if [[ -f "$DIR/state" ]]; then
        load_state
        pid_alive "${NODE_PID:-}" && die "a node is already running from $DIR (pid $NODE_PID)"
    fi
    command -v epmd >/dev/null || die "epmd not found: apt-get install rabbitmq-server"
    [[ -x "$RABBIT_BIN/rabbitmq-server" ]] || die "$RABBIT_BIN/rabbitmq-server not found"
    PORT=${ARG_PORT:-$(free_port)}
    DIST_PORT=$(TAKEN="$PORT" free_port)
    EPMD_PORT=$(TAKEN="$PORT $DIST_PORT" free_port)
    EPMD_PID=
    node_env
    write_config
    start_epmd
    save_state
    start_node
    create_user
    print_url
}

cmd_stop() {
    load_state
    stop_node
    NODE_PID=
    if pid_alive "${EPMD_PID:-}"; then
        kill -TERM "$EPMD_PID" 2>/dev/null || true
    fi
    EPMD_PID=
    save_state
}

cmd_restart() {
    load_state
    stop_node
    start_epmd
    start_node
    print_url
}

[[ $# -ge 2 ]] || usage
ACTION=$1
DIR=$2
ARG_PORT=${3:-}
case "$ACTION" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    url) load_state; print_url ;;
    *) usage ;;
esac
