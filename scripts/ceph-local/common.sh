# shellcheck shell=bash
# ceph-local: logging, the cluster's paths, knobs and saved state, and bounded ceph/rbd calls.
# Sourced by scripts/ceph-local.sh, which sets the shell options and the constants (PROG, UP_TIMEOUT, PG_NUM).

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

now() { printf '%s' "$EPOCHREALTIME"; }
# Progress line with the time since the command started.
step() { log "[$(elapsed "$T0")s] $*"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

init_paths() {
  [[ -n ${1:-} ]] || usage
  DIR=$(realpath -m -- "$1")
  # ceph.conf has no quoting, and expands $words: keep DIR to safe characters.
  [[ $DIR =~ ^/[A-Za-z0-9._/+@,=-]+$ && $DIR != / ]] ||
    die "DIR must be a path of [A-Za-z0-9._/+@,=-] characters: $1"
  CONF=$DIR/ceph.conf
  STATE=$DIR/local.env
  RUN=$DIR/run
  LOGD=$DIR/log
  ADMIN_KEYRING=$DIR/ceph.client.admin.keyring
  XCP_KEYRING=$DIR/ceph.client.xcp.keyring
}

load_state() {
  [[ -f $STATE ]] || die "$DIR holds no ceph-local cluster (no $STATE)"
  local k v
  while IFS='=' read -r k v; do
    case $k in
      FSID) FSID=$v ;;
      PORT) PORT=$v ;;
      OSDS) OSDS=$v ;;
      POOL) POOL=$v ;;
      STORE) STORE=$v ;;
      OSD_GB) OSD_GB=$v ;;
      PAXOS) PAXOS=$v ;;
      ADDR) ADDR=$v ;;
    esac
  done <"$STATE"
  # A cluster made before the address was a knob listens on loopback.
  ADDR=${ADDR:-127.0.0.1}
  [[ -n ${FSID:-} && -n ${PORT:-} && -n ${OSDS:-} && -n ${POOL:-} && -n ${STORE:-} ]] ||
    die "$STATE is incomplete"
  [[ $OSDS =~ ^[0-9]+$ ]] || die "bad OSDS in $STATE"
}

read_knobs() {
  OSDS=${CEPH_LOCAL_OSDS:-1}
  PORT=${CEPH_LOCAL_PORT:-17000}
  OSD_GB=${CEPH_LOCAL_OSD_GB:-20}
  POOL=${CEPH_LOCAL_POOL:-rbd}
  STORE=${CEPH_LOCAL_STORE:-bluestore}
  PAXOS=${CEPH_LOCAL_PAXOS:-0.05}
  ADDR=${CEPH_LOCAL_ADDR:-127.0.0.1}
  [[ $OSDS =~ ^[1-9][0-9]?$ ]] || die "CEPH_LOCAL_OSDS must be 1..99, got '$OSDS'"
  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1024 || PORT > 65335)); then
    die "CEPH_LOCAL_PORT must be 1024..65335, got '$PORT'"
  fi
  [[ $OSD_GB =~ ^[1-9][0-9]*$ ]] || die "CEPH_LOCAL_OSD_GB must be a positive integer"
  [[ $POOL =~ ^[A-Za-z0-9_.-]+$ ]] || die "CEPH_LOCAL_POOL has odd characters: '$POOL'"
  [[ $STORE == bluestore || $STORE == memstore ]] ||
    die "CEPH_LOCAL_STORE must be bluestore or memstore, got '$STORE'"
  [[ $PAXOS =~ ^[0-9]*\.?[0-9]+$ ]] || die "CEPH_LOCAL_PAXOS must be a number of seconds"
  [[ $ADDR =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "CEPH_LOCAL_ADDR must be an IPv4 address, got '$ADDR'"
}

daemon_names() {
  local i
  echo mon.a
  echo mgr.x
  for ((i = 0; i < OSDS; i++)); do echo "osd.$i"; done
}

valid_daemon() {
  local n
  for n in $(daemon_names); do [[ $n == "$1" ]] && return 0; done
  die "unknown daemon '$1' (this cluster has: $(daemon_names | tr '\n' ' '))"
}

print_env() {
  # %q keeps the lines safe for eval whatever the path.
  printf 'CEPH_CONF=%q\n' "$CONF"
  printf 'CEPH_CLIENT_ID=admin\n'
  printf 'CEPH_KEYRING=%q\n' "$ADMIN_KEYRING"
  printf 'CEPH_POOL=%q\n' "$POOL"
  printf 'CEPH_FSID=%q\n' "$FSID"
}

# Seconds a single call may take: at most 20, and never past the `up` deadline
# when one is running, so a stuck mon cannot stretch `up` beyond its bound.
call_timeout() {
  local t=20
  if [[ -n ${DEADLINE:-} ]]; then
    t=$((DEADLINE - SECONDS))
    ((t > 20)) && t=20
    ((t < 2)) && t=2
  fi
  echo "$t"
}

# `ceph` waits for ever on a dead mon without --connect-timeout, and ops on
# inactive PGs never time out: every call is bounded twice.
c_ceph() {
  local t
  t=$(call_timeout)
  timeout -k 3 "$t" ceph -c "$CONF" --connect-timeout "$t" "$@"
}

c_rbd() {
  local t
  t=$(call_timeout)
  timeout -k 3 "$t" rbd -c "$CONF" --client-mount-timeout "$t" "$@"
}
