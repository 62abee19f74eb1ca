#!/usr/bin/env bats
# Published ports (net/ports.h, net/nft.h, berth-proxy).
#
# The library's tests drive it with tests/helpers/berth-ports in network namespaces of
# their own: a "host" namespace, where the rules, the proxy and the clients live, and a
# "container" namespace joined to it by a veth pair (198.18.77.0/30, all local), running
# busybox httpd on 80 and udp-echo on 53. The machine's own nftables are never touched.

load helpers
bats_require_minimum_version 1.5.0

PORTS_HELPER=$BUILD/tests/helpers/berth-ports
UDP_ECHO=$BUILD/tests/helpers/udp-echo
export BERTH_PROXY=$BUILD/src/cli/berth-proxy
CTR_ID=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

setup() {
	berth_setup
	requires root tool:curl tool:nft busybox
	[[ -x $PORTS_HELPER && -x $UDP_ECHO ]] || die "build the helpers: ninja -C $BUILD"
	NS_SUFFIX=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	HOSTNS=bph-$NS_SUFFIX
	CTRNS=bpc-$NS_SUFFIX
	RUNDIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$RUNDIR"
}

teardown() {
	local ns
	for ns in ${CTRNS:-} ${HOSTNS:-}; do
		[[ -e /run/netns/$ns ]] || continue
		ip netns pids "$ns" | xargs -r kill -9 2>/dev/null
		ip netns del "$ns"
	done
	berth_teardown
}

# in_host CMD...: CMD in the test's host namespace
in_host() {
	ip netns exec "$HOSTNS" "$@"
}

# The two namespaces and the container's servers. With "bridge", the host's end of the
# veth is in a bridge br0 that holds the host's address, as berth0 does.
make_namespaces() {
	local dev=veth-h
	ip netns add "$HOSTNS"
	ip netns add "$CTRNS"
	ip -n "$HOSTNS" link set lo up
	ip -n "$CTRNS" link set lo up
	ip -n "$HOSTNS" link add veth-h type veth peer name veth-c netns "$CTRNS"
	if [[ ${1:-} == bridge ]]; then
		ip -n "$HOSTNS" link add br0 type bridge
		ip -n "$HOSTNS" link set veth-h master br0
		ip -n "$HOSTNS" link set veth-h up
		dev=br0
	fi
	ip -n "$HOSTNS" addr add 198.18.77.1/30 dev $dev
	ip -n "$HOSTNS" link set $dev up
	ip -n "$CTRNS" addr add 198.18.77.2/30 dev veth-c
	ip -n "$CTRNS" link set veth-c up
	ip -n "$CTRNS" route add default via 198.18.77.1
	ip netns exec "$CTRNS" busybox httpd -p 80 -h /etc
	ip netns exec "$CTRNS" setsid -f "$UDP_ECHO" 53 </dev/null >/dev/null 2>&1
	wait_for "httpd in the container namespace" in_host curl -sf -o /dev/null http://198.18.77.2/hostname
}

# wait_for WHAT CMD...: until CMD succeeds, 5 s at most
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	die "$what: still not after 5 s"
}

# gone PID: the process is gone (a zombie awaiting its reaper counts as gone)
gone() {
	[[ ! -e /proc/$1 ]] || [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]]
}

# listening PORT: a TCP socket listens on PORT in the host namespace
listening() {
	[[ $(in_host ss -Hltn "sport = :$1") ]]
}

# helper ARGS...: berth-ports in the host namespace; sets $output and $status
helper() {
	printf '$ berth-ports %s\n' "${*@Q}"
	status=0
	output=$(in_host "$PORTS_HELPER" "$@" 2>&1) || status=$?
	mapfile -t lines <<<"$output"
	printf '%s\n' "$output"
}

# udp_ask HOST PORT TEXT: one datagram, and the answer
udp_ask() {
	in_host bash -c 'exec 3<>"/dev/udp/$1/$2" && printf "%s" "$3" >&3 &&
		timeout 2 dd bs=65536 count=1 status=none <&3' sh "$@"
}

# port_of SERVICE: the host port NetworkSettings.Ports gives SERVICE ("53/udp")
port_of() {
	in_host "$PORTS_HELPER" show "$RUNDIR" | head -1 | jq -r --arg k "$1" '.[$k][0].HostPort'
}

CONFIG='{"Config":{"ExposedPorts":{"80/tcp":{},"53/udp":{},"443/tcp":{}}},
	"HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"18080"},
	{"HostIp":"127.0.0.1","HostPort":""}],"53/udp":[{"HostIp":"","HostPort":""}]}}}'

@test "ports: published through DNAT and the proxy, then unpublished without a trace" {
	make_namespaces
	helper publish "$CTR_ID" "$RUNDIR" 198.18.77.2 - "$CONFIG"
	assert "$status" == 0 "publish succeeds"
	local pid=$output
	assert "$(tr '\0' ' ' <"/proc/$pid/cmdline")" =~ "^berth-proxy -r $RUNDIR -f 3/udp=198.18.77.2:53 -f 4/tcp=198.18.77.2:80 -f 5/tcp=198.18.77.2:80 $" \
		"one proxy for every port, its container's run folder in its command line"
	assert "$(cat "$RUNDIR/proxy.pid")" == "$pid" "its pid file"

	helper show "$RUNDIR"
	local eph
	eph=$(port_of 80/tcp)
	assert "$eph" == 18080 "the fixed port comes first for 80/tcp"
	eph=$(port_of 53/udp)
	assert "$eph" =~ ^[0-9]+$ "an ephemeral port for 53/udp"
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	assert "$((eph >= lo && eph <= hi))" == 1 "from the ephemeral range $lo-$hi"
	local loport
	loport=$(in_host "$PORTS_HELPER" show "$RUNDIR" | head -1 | jq -r '.["80/tcp"][1].HostPort')
	assert "${lines[1]}" == "443/tcp, 0.0.0.0:$eph->53/udp, 0.0.0.0:18080->80/tcp, 127.0.0.1:$loport->80/tcp" \
		"ps's PORTS column"

	run in_host nft list chain ip berth ctr-0123456789ab
	assert "$output" =~ "udp dport $eph dnat to 198.18.77.2:53" "the UDP rule"
	assert "$output" =~ "tcp dport 18080 dnat to 198.18.77.2:80" "the TCP rule"
	assert "$output" !~ "tcp dport $loport" "no rule for a loopback host address"

	# the proxy: loopback; DNAT: the host's own address
	assert "$(in_host curl -sf --max-time 3 http://127.0.0.1:18080/hostname)" == "$(hostname)" \
		"127.0.0.1:18080 reaches httpd through the proxy"
	assert "$(in_host curl -sf --max-time 3 "http://127.0.0.1:$loport/hostname")" == "$(hostname)" \
		"127.0.0.1:$loport (bound to 127.0.0.1) through the proxy"
	assert "$(in_host curl -sf --max-time 3 http://198.18.77.1:18080/hostname)" == "$(hostname)" \
		"the host's address reaches httpd through DNAT"
	assert "$(udp_ask 127.0.0.1 "$eph" ping)" == "echo:ping" "UDP through the proxy"
	assert "$(udp_ask 198.18.77.1 "$eph" pong)" == "echo:pong" "UDP through DNAT"

	helper unpublish "$CTR_ID" "$RUNDIR" "$pid"
	assert "$status" == 0 "unpublish succeeds"
	run in_host nft list table ip berth
	assert "$output" !~ "ctr-|dnat" "no rule left"
	wait_for "the proxy gone" gone "$pid"
	assert "$(ls "$RUNDIR")" == "" "no ports or pid file left"
	run ! in_host curl -sf --max-time 2 http://127.0.0.1:18080/hostname
	# the port is free again
	helper publish "$CTR_ID" "$RUNDIR" 198.18.77.2 - "$CONFIG"
	assert "$status" == 0 "the same ports publish again"
	pid=$output
	helper unpublish "$CTR_ID" "$RUNDIR"
	assert "$status" == 0 "unpublish through the pid file"
	wait_for "the proxy gone" gone "$pid"
	helper unpublish "$CTR_ID" "$RUNDIR"
	assert "$status" == 0 "unpublishing again is no error"
}

@test "ports: a host port already allocated fails the start, and nothing is left of it" {
	local other=1111111111112222333333333333444444444444555555555555666666666666
	make_namespaces
	helper publish "$CTR_ID" "$RUNDIR" 198.18.77.2 - "$CONFIG"
	local pid=$output
	mkdir -p "$RUNDIR-2"
	helper publish "$other" "$RUNDIR-2" 198.18.77.2 - \
		'{"HostConfig":{"PortBindings":{"81/tcp":[{"HostIp":"","HostPort":"18081"}],"80/tcp":[{"HostIp":"","HostPort":"18080"}]}}}'
	assert "$status" == 1 "the second publish fails"
	assert "$output" == "berth-ports: Bind for 0.0.0.0:18080 failed: port is already allocated" \
		"Docker's message"
	helper list
	assert "$output" == "0123456789ab" "only the first container has rules"
	assert "$(ls "$RUNDIR-2")" == "" "no ports or pid file for the second"
	assert "$(pgrep -f "berth-proxy -r $RUNDIR-2")" == "" "no proxy for the second"
	# 18081, bound before 18080 failed, was let go
	in_host busybox nc -l -p 18081 </dev/null >/dev/null 2>&1 &
	local nc=$!
	wait_for "another program listening on 18081" listening 18081
	kill $nc
	assert "$(in_host curl -sf --max-time 3 http://127.0.0.1:18080/hostname)" == "$(hostname)" \
		"the first container's port still works"

	# a port another program holds
	in_host busybox nc -l -p 18082 </dev/null >/dev/null 2>&1 &
	nc=$!
	wait_for "nc listening" listening 18082
	helper publish "$other" "$RUNDIR-2" 198.18.77.2 - \
		'{"HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"18082"}]}}}'
	kill $nc
	assert "$output" == "berth-ports: Bind for 0.0.0.0:18082 failed: port is already allocated" \
		"the same for a port of another program"

	# a host address the host does not have
	helper publish "$other" "$RUNDIR-2" 198.18.77.2 - \
		'{"HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"198.18.99.1","HostPort":"18083"}]}}}'
	assert "$output" == "berth-ports: Error starting userland proxy: listen tcp4 198.18.99.1:18083: bind: cannot assign requested address" \
		"Docker's proxy error"
	helper unpublish "$CTR_ID" "$RUNDIR" "$pid"
}

@test "ports: the proxy dies with its monitor; the rules go at the next reconcile" {
	make_namespaces
	# the holder plays the monitor: the proxy is its child; its stdin stays open
	mkfifo "$BATS_TEST_TMPDIR/stdin"
	ip netns exec "$HOSTNS" "$PORTS_HELPER" hold "$CTR_ID" "$RUNDIR" 198.18.77.2 - "$CONFIG" \
		<"$BATS_TEST_TMPDIR/stdin" >"$BATS_TEST_TMPDIR/pid" &
	local pid holder=$!
	exec 9>"$BATS_TEST_TMPDIR/stdin"
	wait_for "the proxy started" test -s "$BATS_TEST_TMPDIR/pid"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	assert "$pid" =~ ^[0-9]+$ "the proxy started"
	assert "$(in_host curl -sf --max-time 3 http://127.0.0.1:18080/hostname)" == "$(hostname)" \
		"it serves"
	# the holder (the monitor) is killed: the proxy gets SIGKILL from the kernel
	kill -9 "$holder"
	exec 9>&-
	wait_for "the proxy killed with its parent" gone "$pid"
	helper list
	assert "$output" == "0123456789ab" "the rules outlive the monitor"
	# what berth's reconcile does for a container whose monitor died
	helper unpublish "$CTR_ID" "$RUNDIR"
	helper list
	assert "$output" == "" "no rules after the reconcile"
	run ! in_host curl -sf --max-time 2 http://127.0.0.1:18080/hostname
}

@test "ports: hairpin traffic from the bridge goes to the proxy" {
	make_namespaces bridge
	helper publish "$CTR_ID" "$RUNDIR" 198.18.77.2 br0 "$CONFIG"
	local pid=$output
	run in_host nft list chain ip berth ctr-0123456789ab
	assert "$output" =~ 'iifname "br0" return' "traffic from the bridge is not DNATed"
	# the container reaches itself through its published port on the host's address
	assert "$(ip netns exec "$CTRNS" timeout 5 busybox wget -qO- http://198.18.77.1:18080/hostname)" == "$(hostname)" \
		"the container reaches its own published port"
	assert "$(in_host curl -sf --max-time 3 http://198.18.77.1:18080/hostname)" == "$(hostname)" \
		"the host's own traffic is still DNATed"
	helper unpublish "$CTR_ID" "$RUNDIR" "$pid"
}

@test "ports: berth-proxy relays many connections at once, both ways and half-closed" {
	make_namespaces
	helper publish "$CTR_ID" "$RUNDIR" 198.18.77.2 - "$CONFIG"
	local pid=$output i
	# 20 clients at once
	for i in $(seq 20); do
		in_host curl -sf --max-time 5 -o "$BATS_TEST_TMPDIR/out.$i" http://127.0.0.1:18080/passwd &
	done
	wait
	for i in $(seq 20); do
		cmp -s /etc/passwd "$BATS_TEST_TMPDIR/out.$i" || die "client $i got something else"
	done
	# a large upload and its echo, half-closed by the client (nc -e cat in the container)
	ip netns exec "$CTRNS" busybox nc -ll -p 81 -e /bin/cat </dev/null >/dev/null 2>&1 &
	helper unpublish "$CTR_ID" "$RUNDIR" "$pid"
	helper publish "$CTR_ID" "$RUNDIR" 198.18.77.2 - \
		'{"HostConfig":{"PortBindings":{"81/tcp":[{"HostIp":"127.0.0.1","HostPort":"18081"}]}}}'
	pid=$output
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	in_host busybox nc 127.0.0.1 18081 <"$BATS_TEST_TMPDIR/blob" >"$BATS_TEST_TMPDIR/echo" &
	local client=$!
	wait_for "the echo back" cmp -s "$BATS_TEST_TMPDIR/blob" "$BATS_TEST_TMPDIR/echo"
	kill "$client" 2>/dev/null || true
	local rss
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	assert "$((rss < 2048))" == 1 "the proxy's RSS ${rss} KiB is small"
	helper unpublish "$CTR_ID" "$RUNDIR" "$pid"
}
