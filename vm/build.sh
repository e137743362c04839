#!/bin/bash
# build.sh - the heavy, root-only part of the mplsrepl lab VM build (embedded in the mplsrepl
# binary, written to $MPLSREPL_VM_DIR/build.sh and run by `mplsrepl vm build`, one phase per call).
# Rust decides what is cached, times the phases and boots/warms the VM; this script only does:
#
#   build.sh host-deps PKG...   apt-get install the missing host packages (qemu backports pitfall)
#   build.sh debootstrap        debootstrap bookworm (minbase)           -> $B/rootfs, .stage1
#   build.sh install            chroot apt-get install kernel, frr, ...  -> .stage2 (= package list)
#   build.sh image              configure the guest, copy kernel/initrd, mkfs.ext4 -d -> $B/base.raw
#   build.sh frr-rootfs SUITE DIR   a lab image's root filesystem: debootstrap SUITE (minbase)
#                               into DIR, chroot apt-get install $IMG_PACKAGES, vtysh.conf, the
#                               FRR version in DIR/.frr-version, DIR/.stage2 (= suite + packages)
#
# Env (set by mplsrepl): VM_BUILD (build dir), VM_PACKAGES (chroot packages, kernel first),
#   VM_DISK (8G), IMG_PACKAGES (a lab image's packages), MPLSREPL_VM_MIRROR /
#   MPLSREPL_VM_SEC_MIRROR (default: this host's apt mirrors).
# Derived from the labvm.sh feasibility recipe.
set -euo pipefail
B=${VM_BUILD:?VM_BUILD not set}
RF=$B/rootfs
PKGS=${VM_PACKAGES:-linux-image-cloud-amd64 frr docker.io curl}

die() { echo "build.sh: ERROR: $*" >&2; exit 1; }

# Mirrors: the ones this host's apt already uses (deb822 or one-line sources), unless given.
host_mirror() { # $1: path suffix to match, e.g. /debian or /debian-security
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
    grep -oE '(https?|file)://[^ ]+' | sed 's#/*$##' | grep -E "$1\$" | head -n 1 || true
}
mirror() {
  MIRROR=${MPLSREPL_VM_MIRROR:-$(host_mirror /debian)}
  SEC_MIRROR=${MPLSREPL_VM_SEC_MIRROR:-$(host_mirror /debian-security)}
  [ -n "$MIRROR" ] || die "no Debian mirror in this host's apt sources: set MPLSREPL_VM_MIRROR"
  [ -n "$SEC_MIRROR" ] || SEC_MIRROR=${MIRROR%/debian}/debian-security
}

# ---------------------------------------------------------------- host packages
host_deps() { # $@: Debian packages to install
  [ $# -gt 0 ] || return 0
  mirror
  # Pitfall: a host whose qemu-utils is a bookworm-backports version (1:10.x) must take
  # qemu-system-* from backports too: bookworm's qemu-system-x86 (7.2) would make apt REMOVE
  # qemu-utils (it Breaks qemu-system-common << 8). And never let apt remove anything.
  local qv; qv=$(dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null || true)
  if [[ " $* " == *" qemu-system-x86 "* && $qv == *bpo* ]]; then
    local A=$B/../apt-bpo
    mkdir -p "$A/lists/partial"
    # (sources.list.d still applies; bookworm main is repeated here for hosts that use sources.list)
    printf 'deb %s bookworm main\ndeb %s bookworm-backports main\n' "$MIRROR" "$MIRROR" > "$A/sources.list"
    local O=(-o "Dir::Etc::sourcelist=$A/sources.list" -o "Dir::State::lists=$A/lists")
    apt-get "${O[@]}" update -qq
    local rest=() p
    for p in "$@"; do [ "$p" = qemu-system-x86 ] || rest+=("$p"); done
    DEBIAN_FRONTEND=noninteractive apt-get "${O[@]}" install -y -qq --no-install-recommends --no-remove \
      qemu-system-x86/bookworm-backports qemu-system-common/bookworm-backports \
      qemu-system-data/bookworm-backports seabios/bookworm-backports "${rest[@]}"
  else
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove "$@"
  fi
}

# ---------------------------------------------------------------- rootfs
do_debootstrap() {
  mirror
  rm -rf "$RF"
  mkdir -p "$B"
  debootstrap --variant=minbase \
    --include=systemd-sysv,udev,kmod,iproute2,iputils-ping,tcpdump,procps,ca-certificates,iptables \
    bookworm "$RF" "$MIRROR"
  touch "$RF/.stage1"
}

do_install() ( # subshell: the EXIT trap unmounts even on failure
  mirror
  cat > "$RF/etc/apt/sources.list" <<EOS
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SEC_MIRROR bookworm-security main
EOS
  printf '#!/bin/sh\nexit 101\n' > "$RF/usr/sbin/policy-rc.d"; chmod +x "$RF/usr/sbin/policy-rc.d"
  # small initramfs: only what is needed to mount the virtio root (ext4 is built into -cloud)
  mkdir -p "$RF/etc/initramfs-tools/conf.d"
  echo 'MODULES=list' > "$RF/etc/initramfs-tools/conf.d/lab.conf"
  printf 'virtio_pci\nvirtio_blk\next4\n' > "$RF/etc/initramfs-tools/modules"
  trap 'umount "$RF/dev/pts" "$RF/dev" "$RF/sys" "$RF/proc" 2>/dev/null' EXIT
  mount -t proc proc "$RF/proc"
  mount -t sysfs sys "$RF/sys"
  mount --bind /dev "$RF/dev"
  mount --bind /dev/pts "$RF/dev/pts"
  chroot "$RF" apt-get update
  # shellcheck disable=SC2086 # PKGS is a word list
  DEBIAN_FRONTEND=noninteractive chroot "$RF" apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confold $PKGS
  chroot "$RF" apt-get clean
  rm -f "$RF/usr/sbin/policy-rc.d"
  echo "$PKGS" > "$RF/.stage2"
)

# ---------------------------------------------------------------- guest config + disk image
# (mplsrepl hashes the text of this function: changing it rebuilds base.raw and warm.qcow2)
configure_guest() {
  echo labvm > "$RF/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 labvm\n' > "$RF/etc/hosts"
  echo '/dev/vda / ext4 defaults,noatime 0 1' > "$RF/etc/fstab"
  chroot "$RF" passwd -d root >/dev/null
  # sch_netem: link impairment (tc netem) in the routers' namespaces, which cannot load modules
  printf 'mpls_router\nmpls_iptunnel\nvrf\nsch_netem\n' > "$RF/etc/modules-load.d/lab.conf"
  # static address for qemu user networking (slirp): guest 10.0.2.15/24, gw 10.0.2.2
  mkdir -p "$RF/usr/local/sbin"
  cat > "$RF/usr/local/sbin/lab-net" <<'EOS'
#!/bin/sh
# wait for virtio-net (udev loads the module asynchronously)
for i in $(seq 1 200); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
ip link set eth0 up
ip addr replace 10.0.2.15/24 dev eth0
ip route replace default via 10.0.2.2
EOS
  chmod +x "$RF/usr/local/sbin/lab-net"
  cat > "$RF/etc/systemd/system/lab-net.service" <<'EOS'
[Unit]
Description=lab static network (qemu slirp)
After=systemd-udevd.service systemd-udev-trigger.service
Before=network-online.target docker.service
Wants=network-online.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lab-net
[Install]
WantedBy=multi-user.target
EOS
  ln -sf /etc/systemd/system/lab-net.service "$RF/etc/systemd/system/multi-user.target.wants/lab-net.service"
  # dockerd: socket-activated unix socket + plain TCP 2375 (reached from the host via hostfwd)
  mkdir -p "$RF/etc/systemd/system/docker.service.d" "$RF/etc/docker"
  cat > "$RF/etc/systemd/system/docker.service.d/lab.conf" <<'EOS'
[Unit]
After=lab-net.service
[Service]
ExecStart=
# --tls=false: explicit opt-out, otherwise dockerd 20.10 sleeps 15s at startup to show a warning
ExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:2375 --tls=false --containerd=/run/containerd/containerd.sock
EOS
  echo '{ "storage-driver": "overlay2" }' > "$RF/etc/docker/daemon.json"
  # marker on the serial console when dockerd answers (boot timing)
  cat > "$RF/etc/systemd/system/lab-ready.service" <<'EOS'
[Unit]
After=docker.service
Requires=docker.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for i in $(seq 100); do curl -sf --unix-socket /run/docker.sock http://d/_ping >/dev/null && break; sleep 0.2; done; echo "LABVM_DOCKER_READY uptime=$(cut -d" " -f1 /proc/uptime)" > /dev/ttyS0'
[Install]
WantedBy=multi-user.target
EOS
  ln -sf /etc/systemd/system/lab-ready.service "$RF/etc/systemd/system/multi-user.target.wants/lab-ready.service"
  # root shell on the 2nd serial port (host side: unix socket run/ttyS1.sock) for `vm sh` and `vm down`
  mkdir -p "$RF/etc/systemd/system/serial-getty@ttyS1.service.d" "$RF/etc/systemd/system/getty.target.wants"
  cat > "$RF/etc/systemd/system/serial-getty@ttyS1.service.d/autologin.conf" <<'EOS'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200 %I linux
EOS
  ln -sf /lib/systemd/system/serial-getty@.service "$RF/etc/systemd/system/getty.target.wants/serial-getty@ttyS1.service"
  grep -q '^NAutoVTs=0' "$RF/etc/systemd/logind.conf" || echo 'NAutoVTs=0' >> "$RF/etc/systemd/logind.conf"
  # no timers that want the network
  chroot "$RF" systemctl mask getty@tty1.service getty-static.service apt-daily.timer apt-daily-upgrade.timer \
    dpkg-db-backup.timer e2scrub_all.timer fstrim.timer logrotate.timer e2scrub_reap.service \
    systemd-timesyncd.service >/dev/null 2>&1 || true
  rm -f "$RF/usr/sbin/policy-rc.d"
  rm -rf "$RF"/var/lib/apt/lists/* "$RF"/var/cache/apt/*.bin
}

# ---------------------------------------------------------------- lab images (labfrr:8, labfrr:10)
# Each its own small root filesystem: the routers need FRR, iproute2 (ip, tc), tcpdump, ping
# and ps, not the VM's kernel and dockerd. The packages go in after debootstrap: trixie's
# systemd pre-depends make `debootstrap --include` of them fail.
do_frr_rootfs() ( # subshell: the EXIT trap unmounts even on failure
  local suite=${1:?suite} d=${2:?dir}
  [ -n "${IMG_PACKAGES:-}" ] || die "IMG_PACKAGES not set"
  mirror
  rm -rf "$d"
  mkdir -p "$d"
  debootstrap --variant=minbase "$suite" "$d" "$MIRROR"
  cat > "$d/etc/apt/sources.list" <<EOS
deb $MIRROR $suite main
deb $MIRROR $suite-updates main
deb $SEC_MIRROR $suite-security main
EOS
  rm -f "$d/etc/apt/sources.list.d/debian.sources"
  printf '#!/bin/sh\nexit 101\n' > "$d/usr/sbin/policy-rc.d"; chmod +x "$d/usr/sbin/policy-rc.d"
  trap 'umount "$d/dev/pts" "$d/dev" "$d/sys" "$d/proc" 2>/dev/null' EXIT
  mount -t proc proc "$d/proc"
  mount -t sysfs sys "$d/sys"
  mount --bind /dev "$d/dev"
  mount --bind /dev/pts "$d/dev/pts"
  chroot "$d" apt-get update
  # shellcheck disable=SC2086 # IMG_PACKAGES is a word list
  DEBIAN_FRONTEND=noninteractive chroot "$d" apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confold $IMG_PACKAGES
  chroot "$d" dpkg-query -W -f='${Version}' frr > "$d/.frr-version"
  chroot "$d" apt-get clean
  rm -f "$d/usr/sbin/policy-rc.d"
  echo 'service integrated-vtysh-config' > "$d/etc/frr/vtysh.conf"
  rm -rf "$d"/var/lib/apt/lists/* "$d"/var/cache/apt/*.bin "$d"/var/log/*.log \
    "$d"/usr/share/doc "$d"/usr/share/man "$d"/usr/share/info "$d"/usr/share/locale
  echo "$suite $IMG_PACKAGES" > "$d/.stage2"
)

do_image() {
  configure_guest
  local k i
  k=$(ls "$RF"/boot/vmlinuz-* | sort -V | tail -n 1)
  i=$(ls "$RF"/boot/initrd.img-* | sort -V | tail -n 1)
  cp "$k" "$B/vmlinuz.new"; cp "$i" "$B/initrd.img.new"
  mv -f "$B/vmlinuz.new" "$B/vmlinuz"; mv -f "$B/initrd.img.new" "$B/initrd.img"
  rm -f "$B/base.raw" "$B/base.raw.new"
  truncate -s "${VM_DISK:-8G}" "$B/base.raw.new"
  mkfs.ext4 -q -F -L labroot -d "$RF" "$B/base.raw.new" # no loop mount needed
  mv -f "$B/base.raw.new" "$B/base.raw"
}

case ${1:-} in
  host-deps) shift; host_deps "$@" ;;
  debootstrap) do_debootstrap ;;
  install) do_install ;;
  image) do_image ;;
  frr-rootfs) shift; do_frr_rootfs "$@" ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
