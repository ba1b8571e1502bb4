# shellcheck shell=bash
# ceph-local: ceph.conf and the keyrings of a new cluster.
# Sourced by scripts/ceph-local.sh, which sets the shell options and the constants (PROG, UP_TIMEOUT, PG_NUM).

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
mon host = [v2:$ADDR:$PORT,v1:$ADDR:$((PORT + 1))]
mon initial members = a
public addr = $ADDR
cluster addr = $ADDR
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
