# shellcheck shell=bash
# ceph-local: the subcommands (cmd_*) the dispatcher calls.
# Sourced by scripts/ceph-local.sh, which sets the shell options and the constants (PROG, UP_TIMEOUT, PG_NUM).

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
  echo "cluster $FSID in $DIR: mon $ADDR:$PORT, $OSDS $STORE OSD(s), pool $POOL"
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
