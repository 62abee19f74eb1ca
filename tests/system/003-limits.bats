#!/usr/bin/env bats
# Resource limits through cgroups and rlimits.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

@test "a process over -m is OOM-killed: exit 137" {
	requires cgroup:memory
	run_berth 137 run --rm -m 32m busybox sh -c 'x=$(head -c 100m /dev/zero | tr "\0" a); echo ${#x}'
}

@test "-m within the limit works" {
	requires cgroup:memory
	run_berth run --rm -m 64m busybox sh -c 'x=$(head -c 1m /dev/zero | tr "\0" a); echo ${#x}'
	assert "$output" == "1048576" "1 MiB variable"
}

@test "--pids-limit stops a fork bomb" {
	requires cgroup:pids
	run_berth '?' run --rm --pids-limit 20 busybox sh -c 'for i in $(seq 60); do sleep 5 & done; wait'
	assert "$status" != "0" "60 processes under --pids-limit 20 fail"
	assert "$output" =~ "can't fork" "fork refused"
}

@test "limits are written to the container's cgroup" {
	requires cgroup-v1 cgroup:memory cgroup:pids cgroup:cpu
	run_berth run --rm busybox cat /proc/self/cgroup
	assert "$output" =~ ":memory:/"$'\n' "the container has its own cgroup namespace"
	local name
	name=$(random_name lim)
	run_berth run -d --name "$name" -m 64m --pids-limit 50 --cpus 0.5 --cpu-shares 512 busybox sleep 30
	local cid=$output
	assert "$(cat /sys/fs/cgroup/memory/berth/$cid/memory.limit_in_bytes)" == "67108864" "memory"
	assert "$(cat /sys/fs/cgroup/pids/berth/$cid/pids.max)" == "50" "pids"
	assert "$(cat /sys/fs/cgroup/cpu/berth/$cid/cpu.cfs_quota_us)" == "50000" "cpu quota"
	assert "$(cat /sys/fs/cgroup/cpu/berth/$cid/cpu.shares)" == "512" "cpu shares"
	run_berth rm -f "$name"
}

@test "--ulimit sets the container's rlimits" {
	run_berth run --rm --ulimit nofile=1024:2048 busybox sh -c 'ulimit -n; ulimit -Hn'
	assert "$output" == $'1024\n2048' "soft and hard nofile"
}

@test "/sys/fs/cgroup shows the container's own cgroup, read-only" {
	if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
		run_berth run --rm -m 64m busybox cat /sys/fs/cgroup/memory.max
	else
		requires cgroup:memory
		run_berth run --rm -m 64m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	fi
	assert "$output" == "67108864" "the memory limit seen inside"
	run_berth 1 run --rm busybox mkdir /sys/fs/cgroup/x
	assert "$output" =~ "Read-only file system" "read-only"
}
