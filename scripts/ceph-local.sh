#!/usr/bin/env bash
# A throwaway single-host Ceph cluster on 127.0.0.1 for tests: no systemd, no
# containers, every file under one directory. Needs the Debian Ceph packages
# (scripts/install-ceph.sh); tested as root (the daemons run as the caller).
#
# Usage:
#   scripts/ceph-local.sh up DIR        create (or start, if DIR holds a stopped
#                                       cluster) and wait until rbd I/O works
#   scripts/ceph-local.sh down DIR      stop every daemon of DIR, then rm -rf DIR
#   scripts/ceph-local.sh stop DIR      stop all daemons, keep the data
#   scripts/ceph-local.sh start DIR     start a stopped cluster, wait until ready
#   scripts/ceph-local.sh status DIR    daemon states and `ceph -s`
#   scripts/ceph-local.sh env DIR       print the CEPH_* lines (as `up` does)
#   scripts/ceph-local.sh stop-daemon DIR osd.N|mon.a|mgr.x [--kill]
#   scripts/ceph-local.sh start-daemon DIR osd.N|mon.a|mgr.x
#
# `up` and `env` print only KEY=value lines on stdout, for
#   eval "$(scripts/ceph-local.sh up /tmp/c)"; export CEPH_CONF
# Everything else goes to stderr; daemon output goes to DIR/log/.
# A restricted rbd user, client.xcp (keyring DIR/ceph.client.xcp.keyring), is
# created too: `rbd --id xcp ...` works with CEPH_CONF alone. Beware: Ceph
# itself reads a CEPH_KEYRING environment variable and it beats ceph.conf, so
# with CEPH_KEYRING exported as the admin keyring, `--id xcp` fails with
# "handle_auth_bad_method ... allowed_methods [2] but i only support [2]".
# CEPH_CLIENT_ID and CEPH_POOL are for our callers; Ceph ignores them.
#
# Knobs, read by `up` when it creates a cluster (later commands reuse the values
# saved in DIR/local.env):
#   CEPH_LOCAL_OSDS=1         number of OSDs; pool size is min(OSDS, 3)
#   CEPH_LOCAL_PORT=17000     mon v2 on PORT, v1 on PORT+1; mgr and OSDs bind in
#                             PORT+10..PORT+199, so clusters running side by
#                             side need ports at least 200 apart
#   CEPH_LOCAL_OSD_GB=20      bluestore: size of the sparse block file (it only
#                             grows, never shrinks); memstore: capacity
#   CEPH_LOCAL_POOL=rbd       rbd pool created and initialised by `up`
#   CEPH_LOCAL_STORE=bluestore|memstore  memstore keeps ~2 GiB RSS per GiB
#                             written: only for control-plane tests
#   CEPH_LOCAL_PAXOS=0.05     paxos propose interval in seconds (Ceph: 1). Each
#                             osdmap change (snapshot create/rm, blocklist,
#                             pool ops) waits for the next paxos round, so the
#                             default makes `rbd snap create`/`snap rm` ~1 s;
#                             0.05 brings them to ~0.1 s and `up` ~3 s faster.
set -euo pipefail
umask 077
# A caller's CEPH_ARGS (e.g. --id xcp) would turn our admin calls into
# restricted ones.
unset CEPH_ARGS

PROG=ceph-local
UP_TIMEOUT=120
PG_NUM=8

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

now() { printf '%s' "$EPOCHREALTIME"; }
# Progress line with the time since the command started.
step() { log "[$(elapsed "$T0")s] $*"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- paths/state

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
    esac
  done <"$STATE"
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
  [[ $OSDS =~ ^[1-9][0-9]?$ ]] || die "CEPH_LOCAL_OSDS must be 1..99, got '$OSDS'"
  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1024 || PORT > 65335)); then
    die "CEPH_LOCAL_PORT must be 1024..65335, got '$PORT'"
  fi
  [[ $OSD_GB =~ ^[1-9][0-9]*$ ]] || die "CEPH_LOCAL_OSD_GB must be a positive integer"
  [[ $POOL =~ ^[A-Za-z0-9_.-]+$ ]] || die "CEPH_LOCAL_POOL has odd characters: '$POOL'"
  [[ $STORE == bluestore || $STORE == memstore ]] ||
    die "CEPH_LOCAL_STORE must be bluestore or memstore, got '$STORE'"
  [[ $PAXOS =~ ^[0-9]*\.?[0-9]+$ ]] || die "CEPH_LOCAL_PAXOS must be a number of seconds"
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

# ---------------------------------------------------------------- ceph calls

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

# ---------------------------------------------------------------- processes

# True if PID is a live process started with our ceph.conf. Matching the exact
# argument keeps other clusters (other DIRs) and reused PIDs out.
is_ours() {
  local pid=$1 args
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  args=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $'\n'$args$'\n' == *$'\n'"$CONF"$'\n'* ]]
}

daemon_pid() {
  local f=$RUN/$1.pid pid
  [[ -s $f ]] || return 1
  pid=$(<"$f") 2>/dev/null || return 1
  is_ours "$pid" || return 1
  echo "$pid"
}

# Daemon processes of this cluster found by command line, pid file or not.
cluster_pids() {
  local p pid exe
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    IFS= read -r -d '' exe 2>/dev/null <"$p/cmdline" || continue
    case ${exe##*/} in
      ceph-mon | ceph-mgr | ceph-osd) is_ours "$pid" && echo "$pid" ;;
    esac
  done
  return 0
}

start_daemon() {
  local name=$1 type=${1%%.*} id=${1#*.}
  daemon_pid "$name" >/dev/null && return 0
  rm -f "$RUN/$name.pid" # stale: a daemon killed hard leaves it behind
  # The daemon forks once initialised; its start-up chatter goes to a log so
  # that stdout stays machine-readable. It must not inherit fd 3 (our real
  # stdout): a daemon holding it open would hang `$(ceph-local.sh up DIR)`.
  timeout -k 3 60 "ceph-$type" -c "$CONF" -i "$id" </dev/null >>"$LOGD/$name.start.log" 2>&1 3>&-
}

# The mon retries a busy port for 10 s before giving up: fail fast instead.
check_mon_ports() {
  local p
  daemon_pid mon.a >/dev/null && return 0
  for p in "$PORT" "$((PORT + 1))"; do
    # A successful connect means someone else listens there.
    if (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      die "port $p on 127.0.0.1 is in use (another cluster?); pick another CEPH_LOCAL_PORT"
    fi
  done
}

# Wait until none of the PIDs is ours any more; false if some are left after
# $1 seconds.
wait_gone() {
  local bound=$1 pid left
  shift
  local end=$((SECONDS + bound))
  while :; do
    left=0
    for pid; do is_ours "$pid" && left=1; done
    ((left == 0)) && return 0
    ((SECONDS >= end)) && return 1
    sleep 0.1
  done
}

# SIGTERM the named daemons, SIGKILL whatever is left after the bound.
stop_daemons() {
  local sig=TERM bound=30 name pid pids=()
  if [[ ${1:-} == --kill ]]; then
    sig=KILL bound=5
    shift
  fi
  for name; do
    if pid=$(daemon_pid "$name"); then
      kill "-$sig" "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  if ((${#pids[@]})) && ! wait_gone "$bound" "${pids[@]}"; then
    log "some of $* did not exit within ${bound}s of SIG$sig; sending SIGKILL"
    for pid in "${pids[@]}"; do
      if is_ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    wait_gone 10 "${pids[@]}" || die "could not kill: ${pids[*]}"
  fi
  # mgr and OSDs leave their pid files and admin sockets behind.
  for name; do rm -f "$RUN/$name.pid" "$RUN/ceph-$name.asok"; done
}

stop_all() {
  local osds=() i
  for ((i = 0; i < OSDS; i++)); do osds+=("osd.$i"); done
  # OSDs first, while the mon is still there to be told: without the mon each
  # OSD waits osd_mon_shutdown_timeout (5 s) before exiting.
  stop_daemons "${osds[@]}" mgr.x
  stop_daemons mon.a
}

tail_logs() {
  local name f
  for name; do
    f=$LOGD/$name.start.log
    if [[ -s $f ]]; then
      printf '==> %s <==\n' "$f" >&2
      grep -v '^$' "$f" | tail -n 15 >&2 || true
    fi
    # Only timestamped lines, no command audit: the mon log is full of
    # multi-line rocksdb stats and of our own polling.
    f=$LOGD/$name.log
    if [[ -s $f ]]; then
      printf '==> %s <==\n' "$f" >&2
      grep -E '^[0-9]{4}-[0-9]{2}-' "$f" | grep -Ev 'audit|handle_command' |
        tail -n 20 >&2 || true
    fi
  done
}

# Called when a wait gives up: say why and show the relevant logs. When `up`
# or `start` brought the daemons up (FAIL_STOPS_ALL=1) it leaves none behind;
# the data and logs stay for inspection.
FAIL_STOPS_ALL=0
fail_up() {
  local msg=$1
  shift
  log "ERROR: $msg (after $((SECONDS - START_SECONDS))s)"
  tail_logs "$@"
  if ((FAIL_STOPS_ALL)); then
    log "stopping the daemons of $DIR; logs are in $LOGD; remove it all with: $0 down $DIR"
    stop_all || true
  fi
  exit 1
}

# ---------------------------------------------------------------- readiness

# Poll CHECK (a function) every 0.2 s until it succeeds or the deadline
# passes; on timeout fail with MSG and the logs of DAEMONS.
wait_until() {
  local check=$1 msg=$2
  shift 2
  until "$check"; do
    ((SECONDS < DEADLINE)) || fail_up "$msg" "$@"
    sleep 0.2
  done
}

osds_up_in() {
  local out
  out=$(c_ceph osd stat -f json 2>/dev/null) || return 1
  [[ $out =~ \"num_up_osds\":([0-9]+) ]] && ((BASH_REMATCH[1] == OSDS)) || return 1
  [[ $out =~ \"num_in_osds\":([0-9]+) ]] && ((BASH_REMATCH[1] == OSDS))
}

mgr_available() {
  local out
  out=$(c_ceph mgr stat -f json 2>/dev/null) || return 1
  [[ $out == *'"available":true'* || $out == *'"available": true'* ]]
}

# `ceph health` says HEALTH_OK while PGs are still unknown, so readiness is
# judged on the PG states themselves: all active+clean, and at least our pool's.
pgs_clean() {
  local out
  out=$(c_ceph pg stat -f json 2>/dev/null) || return 1
  [[ $out =~ \"num_pg_by_state\":\[\{\"name\":\"active\+clean\",\"num\":([0-9]+)\}\],\"num_pgs\":([0-9]+) ]] || return 1
  ((BASH_REMATCH[1] == BASH_REMATCH[2] && BASH_REMATCH[2] >= PG_NUM))
}

rbd_support_answers() {
  c_ceph rbd task list >/dev/null 2>&1
}

osd_is_up() {
  local out
  out=$(c_ceph osd dump 2>/dev/null) || return 1
  [[ $out =~ (^|$'\n')"$WAIT_OSD up " ]]
}

mon_answers() {
  c_ceph mon stat >/dev/null 2>&1
}

# A real write through librbd: create and remove an image.
rbd_io_works() {
  local img=ceph-local-probe-$$
  c_rbd create --size 4M "$POOL/$img" 2>>"$LOGD/setup.log" &&
    c_rbd rm --no-progress "$POOL/$img" 2>>"$LOGD/setup.log"
}

wait_ready() {
  local osdlogs=() i
  for ((i = 0; i < OSDS; i++)); do osdlogs+=("osd.$i"); done
  wait_until osds_up_in "not all $OSDS OSDs are up and in" "${osdlogs[@]}" mon.a
  step "$OSDS OSD(s) up and in"
  if [[ ${1:-} == --create-pool ]]; then
    create_pool
    step "pool $POOL created and initialised"
  fi
  wait_until mgr_available "the mgr is not available" mgr.x
  wait_until pgs_clean "PGs are not all active+clean" "${osdlogs[@]}" mgr.x
  step "mgr available, PGs active+clean"
  # rbd_support loads a moment after the mgr turns available.
  wait_until rbd_support_answers "'ceph rbd task list' (mgr rbd_support module) does not answer" mgr.x
  rbd_io_works || fail_up "rbd create/rm of a test image in pool $POOL failed (see $LOGD/setup.log)" "${osdlogs[@]}"
  step "mgr rbd_support answers, rbd create/rm works"
}

create_pool() {
  c_ceph osd pool create "$POOL" "$PG_NUM" "$PG_NUM" replicated >>"$LOGD/setup.log" 2>&1 ||
    fail_up "ceph osd pool create $POOL failed (see $LOGD/setup.log)" mon.a
  c_rbd pool init "$POOL" >>"$LOGD/setup.log" 2>&1 ||
    fail_up "rbd pool init $POOL failed (see $LOGD/setup.log)" osd.0 mon.a
}

# ---------------------------------------------------------------- creation

write_conf() {
  local size=$((OSDS < 3 ? OSDS : 3)) store_opts
  if [[ $STORE == bluestore ]]; then
    store_opts="bluestore block size = $((OSD_GB * 1024 * 1024 * 1024))
# mkfs-time fsck of an empty store only costs start-up time.
bluestore fsck on mkfs = false"
  else
    store_opts="memstore device bytes = $((OSD_GB * 1024 * 1024 * 1024))
# memstore saves its data to osd data only on a slow, clean shutdown; with the
# default fast shutdown a restart comes back empty and client ops hang.
osd fast shutdown = false"
  fi
  cat >"$CONF" <<EOF
# Written by scripts/ceph-local.sh: a throwaway cluster, everything in $DIR.
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$PORT,v1:127.0.0.1:$((PORT + 1))]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
# mgr (2 ports) and each OSD (8 ports) bind here; keeps clusters apart.
ms bind port min = $((PORT + 10))
ms bind port max = $((PORT + 199))
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
run dir = $RUN
crash dir = $DIR/crash
# Default mon_data_avail_warn is 30% free: a dev disk trips it (HEALTH_WARN),
# and below 5% (crit) the mon shuts itself down.
mon data avail warn = 2
mon data avail crit = 1
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
# The default CRUSH rule is built at mon mkfs: replicate across OSDs, not hosts.
osd crush chooseleaf type = 0
osd pool default size = $size
osd pool default pg num = $PG_NUM
osd pool default pgp num = $PG_NUM
# The autoscaler would split and merge PGs in the middle of tests.
osd pool default pg autoscale mode = off
# Only iostat: the default list has restful, which would listen on every
# address. rbd_support is always on regardless.
mgr initial modules = iostat
# New PGs show as creating+peering for up to the stats period (default 5 s).
mgr stats period = 1
# See CEPH_LOCAL_PAXOS in scripts/ceph-local.sh.
paxos propose interval = $PAXOS

[mon]
mon data = $DIR/mon/\$id
keyring = $DIR/mon/\$id/keyring
log file = $LOGD/\$name.log
mon cluster log file = $LOGD/cluster.log
pid file = $RUN/\$name.pid

[mgr]
mgr data = $DIR/mgr/\$id
keyring = $DIR/mgr/\$id/keyring
log file = $LOGD/\$name.log
pid file = $RUN/\$name.pid

[osd]
osd data = $DIR/osd/\$id
keyring = $DIR/osd/\$id/keyring
log file = $LOGD/\$name.log
pid file = $RUN/\$name.pid
osd objectstore = $STORE
$store_opts
# Files and RAM report rotational=1, so the HDD throttles apply: a 5 s snap
# trim sleep returns deleted snapshots' space minutes late (a bluestore file
# once filled up and the OSD aborted on ENOSPC).
osd snap trim sleep hdd = 0
osd snap trim sleep ssd = 0
osd snap trim sleep hybrid = 0
osd delete sleep hdd = 0
osd delete sleep ssd = 0
osd delete sleep hybrid = 0
osd recovery sleep hdd = 0
osd recovery sleep ssd = 0
osd recovery sleep hybrid = 0

[client]
keyring = $ADMIN_KEYRING
# Clone from unprotected snapshots; 'auto' picks v1 on a fresh cluster.
rbd default clone format = 2
# Clients otherwise wait 300 s for a dead mon, and for ever for a dead OSD.
client mount timeout = 30
rados osd op timeout = 30
rados mon op timeout = 30

[client.xcp]
keyring = $XCP_KEYRING
EOF
  chmod 0644 "$CONF"
}

make_keys() {
  local monkr=$DIR/mon.keyring
  ceph-authtool --create-keyring "$monkr" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$ADMIN_KEYRING" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DIR/mgr/x/keyring" --gen-key -n mgr.x \
    --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool --create-keyring "$XCP_KEYRING" --gen-key -n client.xcp \
    --cap mon 'profile rbd' --cap osd "profile rbd pool=$POOL" \
    --cap mgr "profile rbd pool=$POOL" >/dev/null
  # Known to the mon from mkfs on: no `ceph auth` round trips later.
  local kr
  for kr in "$ADMIN_KEYRING" "$DIR/mgr/x/keyring" "$XCP_KEYRING"; do
    ceph-authtool "$monkr" --import-keyring "$kr" >/dev/null
  done
  chmod 0600 "$monkr" "$ADMIN_KEYRING" "$XCP_KEYRING" "$DIR/mgr/x/keyring"
}

# Register, mkfs and start one OSD. Registration goes through the mon one at a
# time (the caller serialises it); mkfs and start may run in parallel.
register_osd() {
  local id=$1 uuid secret
  uuid=$(</proc/sys/kernel/random/uuid)
  secret=$(ceph-authtool --gen-print-key)
  mkdir -p "$DIR/osd/$id"
  printf '[osd.%s]\n\tkey = %s\n' "$id" "$secret" >"$DIR/osd/$id/keyring"
  echo "$uuid" >"$DIR/osd/$id/uuid.txt"
  # `osd new` makes the osdmap entry and the key with the standard OSD caps.
  printf '{"cephx_secret": "%s"}' "$secret" |
    c_ceph osd new "$uuid" "$id" -i - >>"$LOGD/setup.log" 2>&1
}

mkfs_start_osd() {
  local id=$1
  timeout -k 3 90 ceph-osd -c "$CONF" -i "$id" --mkfs --osd-uuid "$(<"$DIR/osd/$id/uuid.txt")" \
    >>"$LOGD/osd.$id.start.log" 2>&1 || return 1
  start_daemon "osd.$id"
}

create_cluster() {
  read_knobs
  FSID=$(</proc/sys/kernel/random/uuid)
  log "creating cluster in $DIR: $OSDS $STORE OSD(s) of ${OSD_GB}G, mon on 127.0.0.1:$PORT, pool $POOL"
  check_mon_ports
  mkdir -p "$DIR" "$RUN" "$LOGD" "$DIR/crash" "$DIR/mon/a" "$DIR/mgr/x" "$DIR/osd"
  chmod 0755 "$DIR"
  # The marker first, so that `down` can clean up after a failed `up`.
  printf 'FSID=%s\nPORT=%s\nOSDS=%s\nPOOL=%s\nSTORE=%s\nOSD_GB=%s\nPAXOS=%s\n' \
    "$FSID" "$PORT" "$OSDS" "$POOL" "$STORE" "$OSD_GB" "$PAXOS" >"$STATE"
  write_conf
  make_keys

  monmaptool --create --enable-all-features --fsid "$FSID" \
    --addv a "[v2:127.0.0.1:$PORT,v1:127.0.0.1:$((PORT + 1))]" "$DIR/monmap" >>"$LOGD/setup.log" 2>&1 ||
    fail_up "monmaptool failed (see $LOGD/setup.log)"
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring" \
    >>"$LOGD/mon.a.start.log" 2>&1 || fail_up "ceph-mon --mkfs failed" mon.a
  rm -f "$DIR/monmap" "$DIR/mon.keyring"

  start_daemon mon.a || fail_up "ceph-mon did not start (port $PORT or $((PORT + 1)) in use?)" mon.a
  start_daemon mgr.x || fail_up "ceph-mgr did not start" mgr.x
  wait_until mon_answers "the mon does not answer" mon.a
  step "mon and mgr running"
  # Makes the clone format 'auto' resolve to v2 as well, for clients that do
  # not read our [client] section.
  c_ceph osd set-require-min-compat-client mimic >>"$LOGD/setup.log" 2>&1 ||
    fail_up "ceph osd set-require-min-compat-client mimic failed" mon.a

  local i pids=() failed=0
  for ((i = 0; i < OSDS; i++)); do
    register_osd "$i" || fail_up "ceph osd new for osd.$i failed (see $LOGD/setup.log)" mon.a
  done
  for ((i = 0; i < OSDS; i++)); do
    mkfs_start_osd "$i" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || {
      log "osd.$i failed to mkfs or start"
      failed=1
    }
  done
  # shellcheck disable=SC2046 # one argument per daemon name
  ((failed == 0)) || fail_up "OSD creation failed" $(daemon_names)
  step "$OSDS OSD(s) created and started"
  wait_ready --create-pool
}

# ---------------------------------------------------------------- commands

cmd_up() {
  START_SECONDS=$SECONDS
  DEADLINE=$((SECONDS + UP_TIMEOUT))
  T0=$(now)
  if [[ -f $STATE ]]; then
    load_state
    local n all=1
    for n in $(daemon_names); do daemon_pid "$n" >/dev/null || all=0; done
    if ((all)); then
      log "$DIR already holds a running cluster"
    else
      log "$DIR holds a cluster with stopped daemons; starting them"
      FAIL_STOPS_ALL=1
    fi
    start_cluster
  else
    if [[ -e $DIR ]] && [[ -n $(ls -A "$DIR" 2>/dev/null) ]]; then
      die "$DIR exists, is not empty and holds no ceph-local cluster"
    fi
    FAIL_STOPS_ALL=1
    create_cluster
  fi
  print_env >&3
  log "cluster up in $(elapsed "$T0")s (fsid $FSID)"
}

start_cluster() {
  local i pids=() failed=0
  check_mon_ports
  start_daemon mon.a || fail_up "ceph-mon did not start" mon.a
  start_daemon mgr.x || fail_up "ceph-mgr did not start" mgr.x
  for ((i = 0; i < OSDS; i++)); do
    start_daemon "osd.$i" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=1; done
  # shellcheck disable=SC2046 # one argument per daemon name
  ((failed == 0)) || fail_up "an OSD did not start" $(daemon_names)
  wait_ready
}

cmd_start() {
  START_SECONDS=$SECONDS
  DEADLINE=$((SECONDS + UP_TIMEOUT))
  T0=$(now)
  load_state
  FAIL_STOPS_ALL=1
  start_cluster
  log "cluster started in $(elapsed "$T0")s"
}

cmd_stop() {
  T0=$(now)
  load_state
  stop_all
  log "cluster stopped in $(elapsed "$T0")s"
}

cmd_down() {
  local pids
  T0=$(now)
  if [[ ! -e $DIR ]]; then
    log "$DIR does not exist; nothing to do"
    return 0
  fi
  [[ -f $STATE ]] || die "$DIR holds no ceph-local cluster (no $STATE); not removing it"
  load_state
  stop_all
  # Daemons whose pid file was lost (e.g. started by hand with our conf).
  pids=$(cluster_pids)
  if [[ -n $pids ]]; then
    log "killing stray daemons of this cluster: $(echo "$pids" | tr '\n' ' ')"
    # shellcheck disable=SC2086 # word splitting of the pid list is intended
    kill -KILL $pids 2>/dev/null || true
    # shellcheck disable=SC2086
    wait_gone 10 $pids || die "could not kill: $pids"
  fi
  rm -rf -- "$DIR"
  log "cluster in $DIR stopped and removed in $(elapsed "$T0")s"
}

cmd_status() {
  load_state
  local n pid running=0
  echo "cluster $FSID in $DIR: mon 127.0.0.1:$PORT, $OSDS $STORE OSD(s), pool $POOL"
  for n in $(daemon_names); do
    if pid=$(daemon_pid "$n"); then
      echo "  $n running (pid $pid)"
      [[ $n == mon.a ]] && running=1
    else
      echo "  $n stopped"
    fi
  done
  if ((running)); then
    c_ceph -s || echo "  (ceph -s failed: rc $?)"
  fi
}

cmd_stop_daemon() {
  local name=$1 mode=${2:-}
  load_state
  valid_daemon "$name"
  [[ -z $mode || $mode == --kill ]] || die "unknown option '$mode'"
  if ! daemon_pid "$name" >/dev/null; then
    log "$name is not running"
    return 0
  fi
  if [[ $mode == --kill ]]; then
    stop_daemons --kill "$name"
    # The mon learns of a SIGKILLed OSD only from peers' heartbeats (20 s) or,
    # with a single OSD, after mon_osd_report_timeout (900 s): tell it now.
    if [[ $name == osd.* ]] && daemon_pid mon.a >/dev/null; then
      c_ceph osd down "${name#osd.}" >>"$LOGD/setup.log" 2>&1 || true
    fi
  else
    stop_daemons "$name"
  fi
  log "$name stopped"
}

cmd_start_daemon() {
  local name=$1
  load_state
  valid_daemon "$name"
  START_SECONDS=$SECONDS
  DEADLINE=$((SECONDS + 60))
  start_daemon "$name" || fail_up "$name did not start" "$name"
  case $name in
    mon.*) wait_until mon_answers "$name does not answer" "$name" ;;
    mgr.*)
      # The mgrmap still says "available" for a while after the old mgr died;
      # a command served by the mgr proves the new one is there.
      wait_until mgr_available "$name is not available" "$name"
      wait_until rbd_support_answers "$name does not answer 'ceph rbd task list'" "$name"
      ;;
    osd.*)
      WAIT_OSD=$name
      wait_until osd_is_up "$name is not up in the osdmap" "$name"
      ;;
  esac
  log "$name started"
}

main() {
  local cmd=${1:-}
  [[ $# -ge 2 ]] || usage
  init_paths "$2"
  # Only the KEY=value lines may reach stdout: route everything else to stderr.
  exec 3>&1 1>&2
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    stop) cmd_stop ;;
    start) cmd_start ;;
    status) cmd_status >&3 ;;
    env)
      load_state
      print_env >&3
      ;;
    stop-daemon)
      [[ $# -ge 3 ]] || usage
      cmd_stop_daemon "$3" "${4:-}"
      ;;
    start-daemon)
      [[ $# -ge 3 ]] || usage
      cmd_start_daemon "$3"
      ;;
    *) usage ;;
  esac
}

main "$@"
