# shellcheck shell=bash
# ceph-local: the waits until the cluster, or one daemon, is ready.
# Sourced by scripts/ceph-local.sh, which sets the shell options and the constants (PROG, UP_TIMEOUT, PG_NUM).

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
  # rbd_support loads a moment after the mgr turns available; some builds cannot load it at all
  # (CEPH_LOCAL_RBD_SUPPORT=optional: Debian trixie's Reef).
  if [[ ${CEPH_LOCAL_RBD_SUPPORT:-required} == required ]]; then
    wait_until rbd_support_answers "'ceph rbd task list' (mgr rbd_support module) does not answer" mgr.x
  fi
  rbd_io_works || fail_up "rbd create/rm of a test image in pool $POOL failed (see $LOGD/setup.log)" "${osdlogs[@]}"
  step "mgr ready (rbd_support ${CEPH_LOCAL_RBD_SUPPORT:-required}), rbd create/rm works"
}

create_pool() {
  c_ceph osd pool create "$POOL" "$PG_NUM" "$PG_NUM" replicated >>"$LOGD/setup.log" 2>&1 ||
    fail_up "ceph osd pool create $POOL failed (see $LOGD/setup.log)" mon.a
  c_rbd pool init "$POOL" >>"$LOGD/setup.log" 2>&1 ||
    fail_up "rbd pool init $POOL failed (see $LOGD/setup.log)" osd.0 mon.a
}
