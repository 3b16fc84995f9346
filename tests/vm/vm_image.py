#!/usr/bin/python3
"""The kernel and initramfs that tests/vm/run-in-vm boots, kept in a cache.

The machines this project is developed and tested on run a kernel without
L2TP and PPP, so the data plane is tested under Debian's own kernel in a VM.
This module fetches that kernel once with `apt-get download` (the package
linux-image-amd64 depends on), unpacks it with `dpkg -x`, runs `depmod -b`,
and builds an uncompressed initramfs (busybox-static, the stage-1 init, the
modules the tests need and their dependencies). Everything lives outside the
source tree, in

    ${L2TPBUS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/l2tpbus-vm}

and is rebuilt only when an input changes. Concurrent runs (several build
directories on one machine) serialize on a lock file in the cache.

Run it directly to prepare the cache ahead of time; it prints the paths.
"""

import dataclasses
import fcntl
import hashlib
import io
import lzma
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zlib

HERE = pathlib.Path(__file__).resolve().parent
STAGE1 = HERE / 'stage1.sh'
BUSYBOX = pathlib.Path('/bin/busybox')
META_PACKAGE = 'linux-image-amd64'

# Loaded at boot, in this order (modprobe pulls in what modules.dep lists).
# The first four let stage 1 mount the host's root; the rest are what the
# tests exercise. Anything else is still loadable on demand inside the VM:
# the whole module tree of the cached kernel is mounted there.
BOOT_MODULES = ('virtio_pci', '9pnet_virtio', '9p', 'overlay')
TEST_MODULES = ('l2tp_core', 'l2tp_netlink', 'l2tp_eth', 'l2tp_ppp', 'l2tp_ip', 'l2tp_ip6',
                'ppp_generic', 'pppox', 'slhc', 'ppp_mppe', 'veth')
# L2TP/IPsec (tests/vm/ipsec_peers.py): charon's kernel interface (xfrm_user)
# and ESP, and the kernel crypto that strongSwan's default ESP proposals
# (AES-CBC with HMAC-SHA2-256/384/512, HMAC-SHA1 or AES-XCBC), AES-GCM and
# 3DES name. Loaded at boot, not left to the kernel's on-demand requests (a
# usermode modprobe per algorithm while charon installs an SA), so that a
# missing one fails the boot, not an SA. Built into Debian's kernel, so not
# listed: cbc, hmac, sha1, sha256, aes, md5, crypto_null.
IPSEC_MODULES = ('xfrm_user', 'xfrm_algo', 'esp4', 'esp6', 'authenc', 'echainiv', 'seqiv',
                 'sha512_generic', 'xcbc', 'des_generic', 'libdes', 'gcm', 'ctr',
                 'ghash_generic')
MODULES = BOOT_MODULES + TEST_MODULES + IPSEC_MODULES

UNUSED_IMAGE_SECONDS = 24 * 3600

# Bumped when the initramfs layout changes in a way the inputs don't show.
FORMAT = '1'


@dataclasses.dataclass
class Image:
    version: str             # kernel release, e.g. 6.1.0-56-amd64
    kernel: pathlib.Path     # vmlinux (ELF, PVH entry), or vmlinuz
    initramfs: pathlib.Path  # uncompressed newc cpio
    modules: pathlib.Path    # lib/modules/<version> of the unpacked package


def cache_dir() -> pathlib.Path:
    explicit = os.environ.get('L2TPBUS_VM_CACHE')
    if explicit:
        return pathlib.Path(explicit)
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return pathlib.Path(base) / 'l2tpbus-vm'


def log(message):
    print(f'vm-image: {message}', file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# the kernel package


def _apt_cache(*args) -> str:
    result = subprocess.run(['apt-cache', *args], capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else ''


APT_LISTS = pathlib.Path('/var/lib/apt/lists')


def wanted_package(cache: pathlib.Path):
    """(name, version) of the kernel image linux-image-amd64 depends on, or None
    when apt knows no such package (no package lists).

    Asking apt-cache costs about 2 s, once per boot; the answer is kept until
    apt-get update rewrites the package lists."""
    remembered = cache / 'apt-answer'
    try:
        stamp = str(APT_LISTS.stat().st_mtime_ns)
    except OSError:
        stamp = None
    if stamp and remembered.exists():
        words = remembered.read_text().split()
        if len(words) == 3 and words[0] == stamp:
            return words[1], words[2]
    answer = _ask_apt()
    if answer and stamp:
        remembered.write_text(f'{stamp} {answer[0]} {answer[1]}\n')
    return answer


def _ask_apt():
    for line in _apt_cache('depends', '--important', META_PACKAGE).splitlines():
        match = re.match(r'\s*Depends:\s*(linux-image-[0-9][^\s:]*-amd64)\s*$', line)
        if match:
            name = match.group(1)
            shown = _apt_cache('show', '--no-all-versions', name)
            version = re.search(r'^Version:\s*(\S+)', shown, re.M)
            return name, version.group(1) if version else 'unknown'
    return None


def _unpacked(directory: pathlib.Path):
    """(release, kernel to boot) of a completely unpacked kernel directory, or None."""
    if not (directory / '.complete').exists():
        return None
    kernels = sorted((directory / 'boot').glob('vmlinuz-*'))
    if not kernels:
        return None
    release = kernels[0].name[len('vmlinuz-'):]
    elf = directory / 'boot' / f'vmlinux-{release}'
    return release, elf if elf.exists() else kernels[0]


def _extract_elf(vmlinuz: pathlib.Path, target: pathlib.Path):
    """The uncompressed kernel inside a bzImage, when it can be found.

    Under TCG the kernel's own xz decompressor takes about 3 s of every boot;
    qemu boots the ELF directly (PVH entry, CONFIG_PVH) with no such cost.
    """
    data = vmlinuz.read_bytes()
    for magic, make in ((b'\xfd7zXZ\x00', lzma.LZMADecompressor),
                        (b'\x1f\x8b\x08', lambda: zlib.decompressobj(31))):
        start = data.find(magic)
        if start < 0:
            continue
        try:
            elf = make().decompress(data[start:])
        except (lzma.LZMAError, zlib.error):
            continue
        if elf[:4] == b'\x7fELF' and b'Xen\x00' in elf:  # the PVH note's owner
            partial = target.parent / (target.name + '.partial')
            partial.write_bytes(elf)
            partial.rename(target)
            return
    log(f'no PVH-capable ELF inside {vmlinuz.name}: booting the bzImage (slower)')
    (target.parent / '.no-elf').touch()


def _download(cache: pathlib.Path, name: str, version: str, target: pathlib.Path):
    with tempfile.TemporaryDirectory(dir=cache, prefix='.download-') as scratch:
        command = ['apt-get', 'download', '-q', f'{name}={version}' if version != 'unknown'
                   else name]
        log(f'downloading {name} {version}')
        result = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
        if result.returncode != 0 and os.geteuid() == 0:
            # stale package lists on a long-lived machine: refresh once
            log('apt-get download failed; running apt-get update and retrying')
            subprocess.run(['apt-get', 'update', '-qq'], check=False)
            result = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f'{" ".join(command)} failed:\n{result.stdout}{result.stderr}')
        debs = list(pathlib.Path(scratch).glob('*.deb'))
        if len(debs) != 1:
            raise RuntimeError(f'apt-get download left {debs}, not one .deb')
        unpack = pathlib.Path(scratch) / 'root'
        subprocess.run(['dpkg', '-x', str(debs[0]), str(unpack)], check=True)
        releases = [p.name for p in (unpack / 'lib' / 'modules').iterdir()]
        if len(releases) != 1:
            raise RuntimeError(f'{debs[0].name} holds module trees {releases}, not one')
        subprocess.run(['depmod', '-b', str(unpack), releases[0]], check=True)
        (unpack / '.complete').write_text(f'{name} {version}\n')
        if target.exists():
            shutil.rmtree(target)
        unpack.rename(target)


def ensure_kernel(cache: pathlib.Path):
    """(release, vmlinuz, unpacked directory) of the kernel to boot."""
    wanted = wanted_package(cache)
    if wanted:
        name, version = wanted
        target = cache / f'{name}_{version}'
        if not _unpacked(target):
            _download(cache, name, version, target)
        # older kernels are dead weight once the new one is in place
        for other in cache.glob('linux-image-*'):
            if other != target and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
    else:
        # apt knows no kernel package here: use what an earlier run fetched
        candidates = sorted(p for p in cache.glob('linux-image-*') if _unpacked(p))
        if not candidates:
            raise RuntimeError(f'apt-cache knows no {META_PACKAGE} and {cache} holds no '
                               'kernel: run apt-get update (tools/setup.sh) first')
        target = candidates[-1]
    release, kernel = _unpacked(target)
    if kernel.name.startswith('vmlinuz-') and not (target / 'boot' / '.no-elf').exists():
        _extract_elf(kernel, target / 'boot' / f'vmlinux-{release}')
        release, kernel = _unpacked(target)
    return release, kernel, target


# --------------------------------------------------------------------------
# the initramfs


def module_closure(modules_dir: pathlib.Path, names) -> list[str]:
    """Relative paths of the named modules and everything they depend on."""
    deps = {}
    by_name = {}
    for line in (modules_dir / 'modules.dep').read_text().splitlines():
        path, _, rest = line.partition(':')
        deps[path] = rest.split()
        stem = pathlib.Path(path).name.split('.ko')[0]
        by_name[stem.replace('-', '_')] = path
    builtin = set()
    builtin_file = modules_dir / 'modules.builtin'
    if builtin_file.exists():
        for line in builtin_file.read_text().splitlines():
            builtin.add(pathlib.Path(line).name.split('.ko')[0].replace('-', '_'))
    wanted = []
    for name in names:
        key = name.replace('-', '_')
        if key in builtin:
            continue
        if key not in by_name:
            raise RuntimeError(f'module {name} is neither in modules.dep nor built in')
        for path in [by_name[key], *deps[by_name[key]]]:
            if path not in wanted:
                wanted.append(path)
    return wanted


class Cpio:
    """An uncompressed newc archive, written without root (device nodes too)
    and reproducibly (every mtime 0, owner root)."""

    def __init__(self):
        self.out = io.BytesIO()
        self.inode = 1

    def _entry(self, name, mode, data=b'', rdev=(0, 0)):
        fields = [self.inode, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name.encode()) + 1, 0]
        self.inode += 1
        self.out.write(b'070701' + b''.join(b'%08X' % f for f in fields))
        self.out.write(name.encode() + b'\0')
        self.out.write(b'\0' * (-self.out.tell() % 4))
        self.out.write(data)
        self.out.write(b'\0' * (-self.out.tell() % 4))

    def directory(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data: bytes, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, name, major, minor, mode=0o600):
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry('TRAILER!!!', 0)
        self.out.write(b'\0' * (-self.out.tell() % 512))
        return self.out.getvalue()


def build_initramfs(release: str, modules_dir: pathlib.Path, relative_modules) -> bytes:
    archive = Cpio()
    for directory in ('bin', 'dev', 'proc', 'sys', 'lower', 'upper', 'newroot', 'ctl', 'lib',
                      'lib/modules', f'lib/modules/{release}'):
        archive.directory(directory)
    # the kernel opens /dev/console for init's stdio before anything can mount devtmpfs
    archive.char_device('dev/console', 5, 1)
    archive.file('bin/busybox', BUSYBOX.read_bytes(), 0o755)
    archive.symlink('bin/sh', 'busybox')
    archive.file('init', STAGE1.read_bytes(), 0o755)
    made = {f'lib/modules/{release}'}
    for relative in relative_modules:
        parent = pathlib.PurePosixPath(f'lib/modules/{release}') / relative
        for ancestor in reversed(parent.parents):
            if str(ancestor) not in made and str(ancestor).startswith('lib/modules/'):
                archive.directory(str(ancestor))
                made.add(str(ancestor))
        archive.file(str(parent), (modules_dir / relative).read_bytes())
    # busybox modprobe reads modules.dep; only the packed modules are listed
    dep_lines = []
    for line in (modules_dir / 'modules.dep').read_text().splitlines():
        if line.partition(':')[0] in relative_modules:
            dep_lines.append(line)
    archive.file(f'lib/modules/{release}/modules.dep', ('\n'.join(dep_lines) + '\n').encode())
    archive.file('modules.load', ('\n'.join(MODULES) + '\n').encode())
    return archive.finish()


def _digest(*parts) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode())
        hasher.update(b'\0')
    return hasher.hexdigest()[:16]


def ensure_initramfs(cache: pathlib.Path, release: str, unpacked: pathlib.Path) -> pathlib.Path:
    modules_dir = unpacked / 'lib' / 'modules' / release
    relative = module_closure(modules_dir, MODULES)
    key = _digest(FORMAT, release, (unpacked / '.complete').read_text(), STAGE1.read_bytes(),
                  hashlib.sha256(BUSYBOX.read_bytes()).hexdigest(), *MODULES, *relative)
    target = cache / f'initramfs-{key}.cpio'
    if not target.exists():
        log(f'building {target.name} ({len(relative)} modules)')
        data = build_initramfs(release, modules_dir, relative)
        scratch = target.with_suffix('.partial')
        scratch.write_bytes(data)
        scratch.rename(target)
    # Worktrees of branches with other module lists share this cache: an
    # image is dropped only once no run has used it for a day, never under a
    # VM about to boot it.
    os.utime(target)
    for other in cache.glob('initramfs-*.cpio'):
        try:
            if other != target and time.time() - other.stat().st_mtime > UNUSED_IMAGE_SECONDS:
                other.unlink()
        except FileNotFoundError:
            pass
    return target


def prepare() -> Image:
    """The kernel and initramfs, fetched and built as needed; safe to call from
    several processes at once."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / 'lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        release, vmlinuz, unpacked = ensure_kernel(cache)
        initramfs = ensure_initramfs(cache, release, unpacked)
    return Image(release, vmlinuz, initramfs, unpacked / 'lib' / 'modules' / release)


def main():
    image = prepare()
    print(f'kernel {image.kernel}\ninitramfs {image.initramfs}\nmodules {image.modules}')


if __name__ == '__main__':
    main()
