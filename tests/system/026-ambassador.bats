#!/usr/bin/env bats
# The cheat sheet's ambassador pattern across two hosts: two network namespaces of
# this machine, each with its own berth root, joined by a veth pair. Host 1 publishes
# a web server; on host 2 an ambassador container forwards to it, and a container
# linked to the ambassador reaches host 1's server through it. All traffic stays in
# the test's own namespaces (198.18.0.0/15, the benchmarking range).

load helpers

setup() {
	berth_setup
	ensure_busybox
	requires tool:ip
	requires tool:nsenter
	h1=berth-h1-$$ h2=berth-h2-$$
	ip netns add "$h1"
	ip netns add "$h2"
	ip link add "bv1-$$" type veth peer name "bv2-$$"
	ip link set "bv1-$$" netns "$h1"
	ip link set "bv2-$$" netns "$h2"
	ip -n "$h1" addr add 198.18.77.1/24 dev "bv1-$$"
	ip -n "$h2" addr add 198.18.77.2/24 dev "bv2-$$"
	ip -n "$h1" link set lo up
	ip -n "$h2" link set lo up
	ip -n "$h1" link set "bv1-$$" up
	ip -n "$h2" link set "bv2-$$" up
	r1=$BATS_TEST_TMPDIR/host1 r2=$BATS_TEST_TMPDIR/host2
	run1=$(mktemp -d /run/berth-h1.XXXXXX) run2=$(mktemp -d /run/berth-h2.XXXXXX)
}

teardown() {
	on h1 ps -aq | xargs -r "$BERTH" --root "$r1" --runroot "$run1" rm -f >/dev/null 2>&1 || true
	on h2 ps -aq | xargs -r "$BERTH" --root "$r2" --runroot "$run2" rm -f >/dev/null 2>&1 || true
	ip netns del "$h1" 2>/dev/null || true
	ip netns del "$h2" 2>/dev/null || true
	berth_unmount_below "$r1" "$run1"
	berth_unmount_below "$r2" "$run2"
	rm -rf "$run1" "$run2"
	berth_teardown
}

# on h1|h2 ARGS...: berth on that host (its namespace, its roots)
on() {
	local host=$1 ns root runroot
	shift
	if [[ $host == h1 ]]; then ns=$h1 root=$r1 runroot=$run1; else ns=$h2 root=$r2 runroot=$run2; fi
	# nsenter, not ip netns exec: that one remounts /sys, without its cgroups
	timeout -k 10 "$BERTH_TIMEOUT" nsenter --net="/run/netns/$ns" "$BERTH" --root "$root" --runroot "$runroot" "$@"
}

@test "an ambassador on host 2 reaches host 1's published server; a linked container uses it" {
	"$BATS_TEST_DIRNAME/../../scripts/busybox-image" "$BERTH" "$r1"
	"$BATS_TEST_DIRNAME/../../scripts/ambassador-image" "$BERTH" "$r2"
	on h1 import -c 'EXPOSE 80' -c 'CMD ["httpd","-f","-p","80","-h","/etc"]' "$BUSYBOX_TAR" web >/dev/null
	on h1 run -d --name web -p 49154:80 web >/dev/null
	on h2 run -d --name redisamba ambassador 198.18.77.1 49154 >/dev/null
	local out i
	for i in $(seq 30); do
		out=$(on h2 run --rm --link redisamba:redis busybox wget -qO- http://redis:49154/passwd 2>&1) && break
		sleep 0.2
	done
	printf '%s\n' "$out"
	assert "$out" =~ "root:x:0:0" "host 1's file, through the ambassador on host 2"
	out=$(on h2 run --rm --link redisamba:redis busybox env)
	assert "$out" =~ "REDIS_NAME=/" "the link's variables"
	run on h2 run --rm ambassador 198.18.77.1
	assert "$status" == "2" "usage error without a port"
	assert "$output" =~ "usage: ambassador HOST PORT" "its usage"
}
