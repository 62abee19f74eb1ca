#!/usr/bin/env bats
# Capabilities, seccomp, no_new_privs, read-only root and privileged containers, read by
# the static probe (tests/helpers/probe.c) inside the container.

load helpers

setup() {
	berth_setup
	ensure_probe_image
}

@test "default capabilities are Docker's" {
	run_berth run --rm berth-probe
	assert "$(probe_value cap_eff)" == "00000000a80425fb" "effective set"
	assert "$(probe_value cap_bnd)" == "00000000a80425fb" "bounding set"
	assert "$(probe_value cap_amb)" == "0000000000000000" "ambient set"
}

@test "--cap-drop ALL --cap-add NET_RAW keeps only NET_RAW" {
	run_berth run --rm --cap-drop ALL --cap-add NET_RAW berth-probe
	assert "$(probe_value cap_eff)" == "0000000000002000" "effective set"
	assert "$(probe_value cap_bnd)" == "0000000000002000" "bounding set"
	run_berth run --rm --cap-drop CHOWN berth-probe
	assert "$(probe_value cap_eff)" == "00000000a80425fa" "CHOWN dropped"
	run_berth 125 run --rm --cap-add NO_SUCH_CAP berth-probe
	assert "$output" =~ "unknown capability" "unknown capability"
}

@test "a non-root user has no effective capabilities" {
	run_berth run --rm -u nobody berth-probe
	assert "$(probe_value cap_eff)" == "0000000000000000" "effective set of nobody"
	assert "$(probe_value uid)" == "65534" "uid"
}

@test "seccomp is on and refuses what Docker's profile refuses" {
	requires seccomp
	run_berth run --rm berth-probe
	assert "$(probe_value seccomp)" == "2" "seccomp filter mode"
	run_berth 1 run --rm busybox unshare -U true
	assert "$output" =~ "Operation not permitted" "unshare refused"
	run_berth run --rm berth-probe /usr/local/bin/berth-probe syscall keyctl
	assert "$(probe_value keyctl)" == "EPERM" "keyctl refused"
	run_berth run --rm berth-probe /usr/local/bin/berth-probe syscall unshare-user
	assert "$(probe_value unshare-user)" == "EPERM" "unshare(CLONE_NEWUSER) refused"
	run_berth run --rm --security-opt seccomp=unconfined berth-probe
	assert "$(probe_value seccomp)" == "0" "seccomp=unconfined"
}

@test "--security-opt no-new-privileges" {
	run_berth run --rm berth-probe
	assert "$(probe_value no_new_privs)" == "0" "off by default"
	run_berth run --rm --security-opt no-new-privileges berth-probe
	assert "$(probe_value no_new_privs)" == "1" "on when asked"
	assert "$(probe_value seccomp)" == "2" "seccomp still on"
}

@test "--privileged: every capability berth has, no seccomp, host devices" {
	run_berth run --rm --privileged berth-probe
	assert "$(probe_value seccomp)" == "0" "no seccomp"
	assert "$(probe_value cap_eff)" != "00000000a80425fb" "more than the default set"
}

@test "--read-only root file system, with a writable --tmpfs" {
	run_berth 1 run --rm --read-only busybox touch /x
	assert "$output" =~ "Read-only file system" "rootfs is read-only"
	run_berth run --rm --read-only --tmpfs /run busybox sh -c 'touch /run/x && echo ok'
	assert "$output" == "ok" "tmpfs is writable"
	run_berth run --rm --tmpfs /run --tmpfs /x:rw,exec,size=1m,mode=700 busybox \
		sh -c 'grep -E " /run | /x " /proc/mounts'
	assert "${lines[0]}" =~ "^tmpfs /run tmpfs rw,nosuid,nodev,noexec" "Docker's tmpfs defaults"
	assert "${lines[1]}" =~ "^tmpfs /x tmpfs rw,nosuid,nodev,relatime,size=1024k,mode=700" \
		"flag words and tmpfs options"
}

@test "/proc/sys and /sys are read-only, masked paths are empty" {
	run_berth 1 run --rm busybox sh -c 'echo 1 > /proc/sys/kernel/domainname'
	run_berth 1 run --rm busybox touch /sys/x
	run_berth run --rm busybox sh -c 'ls /proc/acpi 2>/dev/null | wc -l'
	assert "$output" == "0" "/proc/acpi masked"
}

@test "namespaces differ from the host's" {
	run_berth run --rm berth-probe
	local ns
	for ns in mnt pid uts ipc net cgroup; do
		assert "$(probe_value ns_$ns)" != "$(stat -L -c %i /proc/self/ns/$ns)" "$ns namespace"
	done
	run_berth run --rm --network host berth-probe
	assert "$(probe_value ns_net)" == "$(stat -L -c %i /proc/self/ns/net)" "host network"
}
