# Shared by install-device.sh and install-controller.sh (sourced, not run).
# Every step looks first and changes only what is not already right, so a
# second run changes nothing.

NODE_MIN_MAJOR=20
NODE_MIN_MINOR=17
# The official build installed when no suitable Node is present (override with
# CLASSCAM_NODE_VERSION). Its SHA-256 is checked against the release's
# SHASUMS256.txt; pin it with CLASSCAM_NODE_SHA256 to check against a value
# you obtained separately.
NODE_VERSION=${CLASSCAM_NODE_VERSION:-20.19.5}
NODE_HOME=/usr/local/lib/classcam-node
SYSTEM_UNITS=/etc/systemd/system
# set to 1 by any step that changed something (the service is restarted then)
CHANGED=0

say() { printf 'classcam: %s\n' "$*"; }
die() {
  printf 'classcam: %s\n' "$*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" = 0 ] || die "run this as root (sudo $0 …)"
}

# node_ok BINARY: true when BINARY runs and is Node >= 20.17
node_ok() {
  version=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  major=${version%%.*}
  rest=${version#*.}
  minor=${rest%%.*}
  [ "$major" -gt "$NODE_MIN_MAJOR" ] ||
    { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -ge "$NODE_MIN_MINOR" ]; }
}

# apt_install PACKAGE…: installs those not installed yet (apt-get update only then)
apt_install() {
  missing=""
  for package in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || missing="$missing $package"
  done
  [ -n "$missing" ] || return 0
  say "installing$missing with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# install_node: /usr/bin/node is Node >= 20.17 afterwards.
# - already there and new enough: nothing is done;
# - CLASSCAM_NODE=/path/to/node: that binary is installed (e.g. a machine
#   without internet access, or a build you checked yourself);
# - otherwise the official build for this architecture from nodejs.org, its
#   SHA-256 checked. (Debian bookworm's nodejs is 18: too old.)
install_node() {
  if [ -x /usr/bin/node ] && node_ok /usr/bin/node && [ -z "${CLASSCAM_NODE:-}" ]; then
    return 0
  fi
  if [ -n "${CLASSCAM_NODE:-}" ]; then
    node_ok "$CLASSCAM_NODE" || die "CLASSCAM_NODE=$CLASSCAM_NODE is not Node $NODE_MIN_MAJOR.$NODE_MIN_MINOR or newer"
    mkdir -p "$NODE_HOME/bin"
    if ! cmp -s "$CLASSCAM_NODE" "$NODE_HOME/bin/node"; then
      say "installing Node from $CLASSCAM_NODE"
      cp "$CLASSCAM_NODE" "$NODE_HOME/bin/node.new"
      chmod 0755 "$NODE_HOME/bin/node.new"
      mv "$NODE_HOME/bin/node.new" "$NODE_HOME/bin/node"
    fi
  else
    case "$(dpkg --print-architecture)" in
      arm64) arch=arm64 ;;
      armhf) arch=armv7l ;;
      amd64) arch=x64 ;;
      *) die "no official Node build for $(dpkg --print-architecture); set CLASSCAM_NODE=/path/to/node" ;;
    esac
    apt_install ca-certificates curl xz-utils
    name="node-v$NODE_VERSION-linux-$arch"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    say "downloading $name from nodejs.org"
    curl -fsSL --proto =https "https://nodejs.org/dist/v$NODE_VERSION/$name.tar.xz" -o "$work/$name.tar.xz" ||
      die "cannot download Node $NODE_VERSION; set CLASSCAM_NODE=/path/to/node instead"
    if [ -n "${CLASSCAM_NODE_SHA256:-}" ]; then
      expected=$CLASSCAM_NODE_SHA256
    else
      curl -fsSL --proto =https "https://nodejs.org/dist/v$NODE_VERSION/SHASUMS256.txt" -o "$work/SHASUMS256.txt" ||
        die "cannot download Node's checksums"
      expected=$(awk -v f="$name.tar.xz" '$2 == f { print $1 }' "$work/SHASUMS256.txt")
    fi
    actual=$(sha256sum "$work/$name.tar.xz" | awk '{ print $1 }')
    [ -n "$expected" ] && [ "$expected" = "$actual" ] || die "$name.tar.xz: checksum mismatch (expected $expected, got $actual)"
    rm -rf "$NODE_HOME.new"
    mkdir -p "$NODE_HOME.new"
    tar -xJf "$work/$name.tar.xz" -C "$NODE_HOME.new" --strip-components=1
    rm -rf "$NODE_HOME"
    mv "$NODE_HOME.new" "$NODE_HOME"
  fi
  if [ "$(readlink /usr/bin/node 2>/dev/null || true)" != "$NODE_HOME/bin/node" ]; then
    ln -sfn "$NODE_HOME/bin/node" /usr/bin/node
  fi
  node_ok /usr/bin/node || die "/usr/bin/node is not Node $NODE_MIN_MAJOR.$NODE_MIN_MINOR or newer"
}

# system_user [GROUP…]: the classcam system user (no login, home /var/lib/classcam)
# in the given supplementary groups, each created as a system group if missing
# (gpio exists on Raspberry Pi OS, not on plain Debian).
system_user() {
  for group in "$@"; do
    getent group "$group" >/dev/null || groupadd --system "$group"
  done
  if ! getent passwd classcam >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/classcam --no-create-home \
      --shell /usr/sbin/nologin --comment "classcam" classcam
  fi
  for group in "$@"; do
    id -nG classcam | tr ' ' '\n' | grep -qx "$group" || usermod -a -G "$group" classcam
  done
}

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
  [ -d "$1" ] || mkdir -p "$1"
  [ "$(stat -c %a "$1")" = "${2#0}" ] || chmod "$2" "$1"
  [ "$(stat -c %U:%G "$1")" = "$3" ] || chown "$3" "$1"
}

# place SOURCE TARGET MODE OWNER:GROUP: copies when the contents differ (written aside, then renamed)
place() {
  if ! cmp -s "$1" "$2"; then
    cp "$1" "$2.classcam-new"
    chmod "$3" "$2.classcam-new"
    chown "$4" "$2.classcam-new"
    mv "$2.classcam-new" "$2"
    CHANGED=1
  fi
  [ "$(stat -c %a "$2")" = "${3#0}" ] || { chmod "$3" "$2"; CHANGED=1; }
  [ "$(stat -c %U:%G "$2")" = "$4" ] || { chown "$4" "$2"; CHANGED=1; }
}

# stage CHECKOUT WORKSPACES: the built code into /opt/classcam (stage.mjs)
stage() {
  [ -f "$1/package-lock.json" ] || die "$1 is not a classcam checkout (no package-lock.json)"
  staged=$(/usr/bin/node "$1/provisioning/install/stage.mjs" --from "$1" --to /opt/classcam --workspaces "$2") ||
    die "could not install the code from $1"
  say "$staged"
  case "$staged" in *"nothing to change"*) ;; *) CHANGED=1 ;; esac
}

# install_unit CHECKOUT NAME: the unit from the checkout, enabled as `systemctl enable`
# would (the symlink in its WantedBy target's .wants folder), without needing a
# running systemd (a chroot, an image being built).
install_unit() {
  source=$1/systemd/$2
  [ -f "$source" ] || die "$source is missing from the checkout"
  mkdir -p "$SYSTEM_UNITS"
  place "$source" "$SYSTEM_UNITS/$2" 0644 root:root
  for target in $(sed -n 's/^WantedBy=//p' "$source"); do
    mkdir -p "$SYSTEM_UNITS/$target.wants"
    if [ "$(readlink "$SYSTEM_UNITS/$target.wants/$2" 2>/dev/null || true)" != "$SYSTEM_UNITS/$2" ]; then
      ln -sfn "$SYSTEM_UNITS/$2" "$SYSTEM_UNITS/$target.wants/$2"
      CHANGED=1
    fi
  done
}

# start_service NAME: with a running systemd, (re)start it when anything changed
start_service() {
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if [ "$CHANGED" = 1 ] || ! systemctl is-active --quiet "$1"; then
      systemctl restart "$1"
      say "$1 (re)started"
    else
      say "$1 is running; nothing changed"
    fi
  elif [ "$CHANGED" = 1 ]; then
    say "$1 installed and enabled; it starts at the next boot (no running systemd here)"
  else
    say "nothing changed"
  fi
}

# the checkout holding this script (the default for --from)
checkout_of_script() {
  (cd "$(dirname "$0")/../.." && pwd)
}
