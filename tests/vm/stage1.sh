#!/bin/sh
# Stage 1, the initramfs's /init (busybox): load the modules, put a tmpfs
# overlay on the host's root (9p, read-only), mount the shares run-in-vm
# asked for, and switch_root to stage 2 (vm_init.py, Debian's python3 from
# the host) which runs the command. Any failure powers off without a status
# file, which run-in-vm reports as a failed boot.
export PATH=/bin
/bin/busybox --install -s /bin

fail() {
  echo "vm stage 1: $*"
  poweroff -f
  sleep 10  # poweroff -f does not return; never fall through to a panic
}

mount -t devtmpfs devtmpfs /dev || fail 'no devtmpfs'
mount -t proc proc /proc
mount -t sysfs sysfs /sys

while read -r module; do
  modprobe "$module" || fail "modprobe $module failed"
done </modules.load

p9='trans=virtio,version=9p2000.L,msize=524288'
# The host's files do not change under a test's feet in ways it depends on:
# loose caching makes python's imports over 9p several times faster.
mount -t 9p -o "$p9,ro,cache=loose" hostroot /lower || fail 'cannot mount the host root'
mount -t 9p -o "$p9" ctl /ctl || fail 'cannot mount the control share'
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot ||
  fail 'cannot mount the overlay'

# The cached kernel's module tree, so that modprobe and the kernel's own
# requests find any module, not only those loaded above. Bound before /tmp is
# covered: the cache may live there.
release=$(uname -r)
mkdir -p "/newroot/lib/modules/$release"
mount -o bind "/newroot$(cat /ctl/modules)" "/newroot/lib/modules/$release" ||
  fail 'cannot bind the module tree'

mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
# /tmp stays the host's, under the overlay like everything else: a checkout
# or build directory under the host's /tmp (a CI clone) must be visible.
mkdir -p /newroot/run/l2tpbus-vm
mount --move /ctl /newroot/run/l2tpbus-vm

# Read-write shares of host folders (build directories), at their host paths.
while read -r tag path; do
  mkdir -p "/newroot$path"
  mount -t 9p -o "$p9" "$tag" "/newroot$path" || fail "cannot mount $path"
done </newroot/run/l2tpbus-vm/mounts

exec switch_root /newroot /usr/bin/python3 -I /run/l2tpbus-vm/vm_init.py
