#!/bin/bash
# Installs the classroom box's daemon on Raspberry Pi OS (Debian bookworm;
# arm64, armhf or amd64): Node (>= 20.17), ffmpeg, espeak-ng and aplay (the
# spoken notice), the classcam system user
# (groups video, audio, gpio), the daemon in /opt/classcam, the box's
# configuration bundle in /etc/classcam, and the systemd unit, enabled.
# Run it again at any time: what is already right is left alone.
set -eu

usage() {
  cat <<'USAGE'
Usage: install-device.sh [--from CHECKOUT] [--bundle DIR] [--keep-bundle]

  --from CHECKOUT   a classcam checkout, installed and built on a machine of this
                    architecture (npm ci && npm run build); default: the one
                    holding this script
  --bundle DIR      the box's bundle (classcam-provision enrol): device.json and
                    ca.pem. Default: /boot/firmware/classcam or /boot/classcam if
                    there (it is then removed from the boot partition once
                    installed, unless --keep-bundle), else the bundle already in
                    /etc/classcam is kept.

Environment:
  CLASSCAM_NODE=/path/to/node   install this Node binary instead of downloading
                                the official build (needs no internet access)
  CLASSCAM_NODE_VERSION, CLASSCAM_NODE_SHA256   the official build to download

Example:
  sudo ./install-device.sh --from /home/pi/classcam --bundle /boot/firmware/classcam
USAGE
}

. "$(dirname "$0")/lib.sh"

FROM=""
BUNDLE=""
KEEP_BUNDLE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --from) FROM=${2:?--from needs a folder}; shift 2 ;;
    --bundle) BUNDLE=${2:?--bundle needs a folder}; shift 2 ;;
    --keep-bundle) KEEP_BUNDLE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'install-device.sh: unknown argument %s\n' "$1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$FROM" ] || FROM=$(checkout_of_script)
need_root

FROM_BOOT=0
if [ -z "$BUNDLE" ]; then
  for candidate in /boot/firmware/classcam /boot/classcam; do
    if [ -f "$candidate/device.json" ]; then
      BUNDLE=$candidate
      FROM_BOOT=1
      break
    fi
  done
fi
if [ -n "$BUNDLE" ] && [ ! -f "$BUNDLE/device.json" ]; then
  die "$BUNDLE has no device.json: is it a bundle from 'classcam-provision enrol'?"
fi

# 1. packages: ffmpeg records; socat carries the daemon's systemd notifications;
#    setpriv (util-linux) drops the capture's privileges; espeak-ng makes the
#    spoken notice and aplay (alsa-utils) plays it on the speaker
apt_install ffmpeg socat util-linux espeak-ng alsa-utils
install_node

# 2. the user the daemon runs as
system_user video audio gpio

# 3. the code
stage "$FROM" device

# 4. the bundle: the settings (secret inside: root:classcam 0640) and the school CA
ensure_dir /etc/classcam 0750 root:classcam
ensure_dir /var/lib/classcam 0750 classcam:classcam
if [ -n "$BUNDLE" ]; then
  /usr/bin/node /opt/classcam/device/bin/classcam-device.mjs check --settings "$BUNDLE/device.json" >/dev/null ||
    die "$BUNDLE/device.json is not a settings file this daemon accepts (see above)"
  place "$BUNDLE/device.json" /etc/classcam/device.json 0640 root:classcam
  if [ -f "$BUNDLE/ca.pem" ]; then
    place "$BUNDLE/ca.pem" /etc/classcam/ca.pem 0644 root:root
  elif [ -f /etc/classcam/ca.pem ]; then
    rm -f /etc/classcam/ca.pem
    CHANGED=1
  fi
  if [ "$FROM_BOOT" = 1 ] && [ "$KEEP_BUNDLE" = 0 ]; then
    # the secret must not stay on a card anyone can read in a laptop
    rm -rf "$BUNDLE"
    say "bundle installed and removed from $BUNDLE"
  fi
elif [ ! -f /etc/classcam/device.json ]; then
  say "no bundle yet: the daemon will not start until /etc/classcam/device.json exists"
  say "(classcam-provision enrol …, then run this again with --bundle DIR)"
fi

# 5. the unit
install_unit "$FROM" classcam-device.service
start_service classcam-device.service
