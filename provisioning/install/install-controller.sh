#!/bin/bash
# Installs the school server (the classcam controller) on Debian bookworm
# (arm64 or amd64): Node (>= 20.17), the classcam system user, the controller
# in /opt/classcam, its settings and TLS files in /etc/classcam, and the
# systemd unit, enabled. Run it again at any time: what is already right is
# left alone, and an existing /etc/classcam/controller.json is never replaced
# unless --config is given.
set -eu

usage() {
  cat <<'USAGE'
Usage: install-controller.sh [--from CHECKOUT] [--config FILE] [--tls DIR]

  --from CHECKOUT   a classcam checkout, installed and built on a machine of this
                    architecture (npm ci && npm run build); default: the one
                    holding this script
  --config FILE     the controller's settings, installed as /etc/classcam/controller.json
                    (default: kept if there, else a starting one is written)
  --tls DIR         the folder from 'classcam-provision tls init' (or tls import):
                    controller.pem, controller.key and ca.pem go to /etc/classcam/tls,
                    the key readable by the classcam user only; a starting settings
                    file then serves MQTT over TLS (8883) and HTTPS (8443)

Environment:
  CLASSCAM_NODE=/path/to/node   install this Node binary instead of downloading
                                the official build (needs no internet access)

Example:
  sudo ./install-controller.sh --from /srv/classcam --tls /root/school-tls
USAGE
}

. "$(dirname "$0")/lib.sh"

FROM=""
CONFIG=""
TLS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from) FROM=${2:?--from needs a folder}; shift 2 ;;
    --config) CONFIG=${2:?--config needs a file}; shift 2 ;;
    --tls) TLS=${2:?--tls needs a folder}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'install-controller.sh: unknown argument %s\n' "$1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$FROM" ] || FROM=$(checkout_of_script)
need_root
[ -z "$CONFIG" ] || [ -f "$CONFIG" ] || die "--config $CONFIG: no such file"
if [ -n "$TLS" ]; then
  for file in controller.pem controller.key ca.pem; do
    [ -f "$TLS/$file" ] || die "--tls $TLS has no $file (make it with classcam-provision tls init)"
  done
fi

apt_install ca-certificates
install_node
system_user
stage "$FROM" controller

ensure_dir /etc/classcam 0750 root:classcam
ensure_dir /var/lib/classcam 0750 classcam:classcam
if [ -n "$TLS" ]; then
  ensure_dir /etc/classcam/tls 0750 root:classcam
  place "$TLS/controller.pem" /etc/classcam/tls/controller.pem 0644 root:root
  place "$TLS/ca.pem" /etc/classcam/tls/ca.pem 0644 root:root
  place "$TLS/controller.key" /etc/classcam/tls/controller.key 0640 root:classcam
fi
if [ -n "$CONFIG" ]; then
  place "$CONFIG" /etc/classcam/controller.json 0640 root:classcam
elif [ ! -f /etc/classcam/controller.json ]; then
  starting=$(mktemp)
  if [ -n "$TLS" ]; then
    cat >"$starting" <<'JSON'
{
  "dataDir": "/var/lib/classcam",
  "http": {
    "host": "0.0.0.0",
    "port": 8443,
    "tls": { "certFile": "/etc/classcam/tls/controller.pem", "keyFile": "/etc/classcam/tls/controller.key" }
  },
  "mqtt": {
    "host": "0.0.0.0",
    "port": 1883,
    "tls": { "port": 8883, "certFile": "/etc/classcam/tls/controller.pem", "keyFile": "/etc/classcam/tls/controller.key" }
  }
}
JSON
  else
    cat >"$starting" <<'JSON'
{
  "dataDir": "/var/lib/classcam",
  "http": { "host": "0.0.0.0", "port": 8080 },
  "mqtt": { "host": "0.0.0.0", "port": 1883 }
}
JSON
  fi
  place "$starting" /etc/classcam/controller.json 0640 root:classcam
  rm -f "$starting"
  say "wrote a starting /etc/classcam/controller.json (edit it, then: systemctl restart classcam-controller)"
fi

install_unit "$FROM" classcam-controller.service
start_service classcam-controller.service
