#!/bin/busybox sh
# /init of the HIL guest (test/hil/rig.ts builds it into the initramfs).
#
# Loads the kernel's virtual drivers (vivid camera, ALSA loopback), mounts the
# host's root over 9p read-only with a tmpfs overlay on top so the guest can
# write anywhere without touching the host, then runs the command the rig put
# in /hil/command.sh, as root, chrooted into that overlay. Last it prints
#   @@classcam-hil exit=<status> nonce=<nonce>@@
# and powers off. The nonce comes with the command, so nothing the command
# prints can pass for the marker.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm

# NONCE, WORKDIR and OUTPUT_DIR (empty when the run shares no output directory)
. /hil/run.conf

finish() {
  sync
  echo "@@classcam-hil exit=$1 nonce=$NONCE@@"
  poweroff -f
  sleep 60
}

fail() {
  echo "classcam-hil: $*"
  finish 125
}

# one module a line: `required|optional <name> [parameters...]`
while read -r need name params; do
  [ -n "$name" ] || continue
  # shellcheck disable=SC2086 # the parameters are separate words
  if ! modprobe "$name" $params; then
    [ "$need" = required ] && fail "could not load the kernel module $name"
    echo "classcam-hil: the optional kernel module $name did not load"
  fi
done </etc/classcam-hil/modules

mkdir -p /host /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host ||
  fail "cannot mount the host's root over 9p (mount tag hostroot)"
mount -t tmpfs -o mode=0755 rw /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot ||
  fail "cannot mount the writable overlay on the host's root"

mount -t proc proc /newroot/proc
mount --rbind /sys /newroot/sys
mount --rbind /dev /newroot/dev
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
if [ -n "$OUTPUT_DIR" ]; then
  mkdir -p "/newroot$OUTPUT_DIR" &&
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none hilout "/newroot$OUTPUT_DIR" ||
    fail "cannot mount the output directory at $OUTPUT_DIR"
fi
mkdir -p /newroot/run/classcam-hil
cp /hil/command.sh /newroot/run/classcam-hil/command.sh

hostname classcam-hil
ip link set lo up || fail "cannot bring up the loopback interface"

echo "@@classcam-hil ready nonce=$NONCE@@"

# The command writes into a pipe rather than the console, so it sees no
# terminal (no colours, no progress bars). Whatever it leaves running is ended
# once it exits, so the pipe closes and its output is complete.
mkfifo /tmp/console
cat /tmp/console &
reader=$!
chroot /newroot /bin/sh /run/classcam-hil/command.sh </dev/null >/tmp/console 2>&1
status=$?
for pid in $(ls /proc); do
  case "$pid" in
    *[!0-9]* | 1 | "$reader") ;;
    *) kill -9 "$pid" 2>/dev/null ;;
  esac
done
wait "$reader"

[ -n "$OUTPUT_DIR" ] && umount "/newroot$OUTPUT_DIR"
finish "$status"
