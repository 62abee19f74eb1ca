#!/usr/bin/env bats
# Kernels without openat2: berth under berth-enosys (tests/helpers/enosys.c) takes its
# fallback, an O_NOFOLLOW walk, for mount points in the container and for unpacking.
# And with or without it, a symlink in an image never leads a mount out of the root.

load helpers

setup() {
	berth_setup
	ensure_busybox
	[[ -x $BERTH_ENOSYS ]] || die "no $BERTH_ENOSYS (ninja -C $BUILD tests/helpers/berth-enosys)"
}

# berth with openat2 answering ENOSYS
old_kernel_berth() {
	local expected=$1
	shift
	BERTH="$BERTH_ENOSYS" run_berth "$expected" openat2 "$BERTH" "$@"
}

@test "the enosys helper really hides openat2" {
	requires tool:python3
	run "$BERTH_ENOSYS" openat2 python3 -c '
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall(437, -100, b"/", None, 0)
print("errno", ctypes.get_errno())'
	assert "$output" == "errno $(python3 -c 'import errno; print(errno.ENOSYS)')" "openat2 is ENOSYS"
}

@test "containers run with the O_NOFOLLOW fallback" {
	old_kernel_berth 0 run --rm --read-only --tmpfs /run -w /new/dir busybox \
		sh -c 'touch /run/x && pwd && cat /etc/hostname >/dev/null && cat /proc/keys | wc -c'
	assert "${lines[0]}" == "/new/dir" "workdir"
	assert "${lines[1]}" == "0" "masked /proc/keys"
}

@test "import with the O_NOFOLLOW fallback refuses escapes too" {
	requires tool:python3
	local t=$BATS_TEST_TMPDIR name
	name=$(random_name fb)
	python3 - "$t" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
with tarfile.open(f"{d}/sym.tar", "w") as tf:
    ti = tarfile.TarInfo("link"); ti.type = tarfile.SYMTYPE; ti.linkname = "/tmp"; tf.addfile(ti)
    ti = tarfile.TarInfo("link/berth-evil-fb"); ti.size = 5; tf.addfile(ti, io.BytesIO(b"evil\n"))
PY
	old_kernel_berth 125 import "$t/sym.tar" "$name"
	assert "$output" =~ "invalid tar entry" "refused"
	assert "$(ls /tmp/berth-evil-fb 2>/dev/null | wc -l)" == "0" "nothing written outside"
	old_kernel_berth 0 import "$BUSYBOX_TAR" "$name"
	run_berth rmi "$name"
}

# An image whose /etc is a symlink out of the root: the bind mounts of /etc/hosts and
# friends must not follow it onto the host.
evil_etc_image() {
	local name=$1 dir=$BATS_TEST_TMPDIR/evil
	mkdir -p "$dir"
	tar -C "$dir" -xf "$BUSYBOX_TAR"
	rm -rf "$dir/etc"
	ln -s /tmp/berth-evil-etc "$dir/etc"
	tar -C "$dir" -cf "$BATS_TEST_TMPDIR/evil.tar" .
	run_berth import "$BATS_TEST_TMPDIR/evil.tar" "$name"
}

@test "a symlinked /etc in an image cannot lead mounts to the host" {
	local name
	name=$(random_name evil)
	rm -rf /tmp/berth-evil-etc
	evil_etc_image "$name"
	run_berth '?' run --rm "$name" true
	assert "$(ls -d /tmp/berth-evil-etc 2>/dev/null | wc -l)" == "0" "nothing created on the host"
	old_kernel_berth '?' run --rm "$name" true
	assert "$(ls -d /tmp/berth-evil-etc 2>/dev/null | wc -l)" == "0" "nothing created on the host (fallback)"
	run_berth rmi "$name"
}
