# shellcheck shell=bash
# ceph-local: the daemons' processes: find, start, stop, and give up with their logs.
# Sourced by scripts/ceph-local.sh, which sets the shell options and the constants (PROG, UP_TIMEOUT, PG_NUM).

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
    if (exec 9<>"/dev/tcp/$ADDR/$p") 2>/dev/null; then
      die "port $p on $ADDR is in use (another cluster?); pick another CEPH_LOCAL_PORT"
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
