# shellcheck shell=bash
# ceph-local: creation of a new cluster: mon mkfs, OSD registration and mkfs, first start.
# Sourced by scripts/ceph-local.sh, which sets the shell options and the constants (PROG, UP_TIMEOUT, PG_NUM).

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
  log "creating cluster in $DIR: $OSDS $STORE OSD(s) of ${OSD_GB}G, mon on $ADDR:$PORT, pool $POOL"
  check_mon_ports
  mkdir -p "$DIR" "$RUN" "$LOGD" "$DIR/crash" "$DIR/mon/a" "$DIR/mgr/x" "$DIR/osd"
  chmod 0755 "$DIR"
  # The marker first, so that `down` can clean up after a failed `up`.
  printf 'FSID=%s\nPORT=%s\nOSDS=%s\nPOOL=%s\nSTORE=%s\nOSD_GB=%s\nPAXOS=%s\nADDR=%s\n' \
    "$FSID" "$PORT" "$OSDS" "$POOL" "$STORE" "$OSD_GB" "$PAXOS" "$ADDR" >"$STATE"
  write_conf
  make_keys

  monmaptool --create --enable-all-features --fsid "$FSID" \
    --addv a "[v2:$ADDR:$PORT,v1:$ADDR:$((PORT + 1))]" "$DIR/monmap" >>"$LOGD/setup.log" 2>&1 ||
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
