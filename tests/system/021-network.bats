#!/usr/bin/env bats
# Networking of containers (net/, container/network.c): the default bridge network
# berth0, addresses leased in the store, a network namespace per container joined to
# the bridge by a veth pair, and --network none, host and container:NAME.
#
# Traffic goes only to the bridge's gateway, to the containers' own addresses and to
# 127.0.0.1: never anywhere else.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	requires root busybox tool:ip
	ensure_busybox
}

teardown() {
	local r ids
	# what the pools' test made: its namespace and data roots
	if [[ -n ${TEST_NS:-} ]]; then
		for r in "$BATS_TEST_TMPDIR"/r[0-9]; do
			[[ -d $r ]] || continue
			ids=$(in_netns "$TEST_NS" "$r" ps -aq 2>/dev/null) || ids=
			# shellcheck disable=SC2086 # one argument per ID
			[[ -z $ids ]] || in_netns "$TEST_NS" "$r" rm -f $ids >/dev/null 2>&1
			rm -rf "$r" "$r-run"
		done
		ip netns del "$TEST_NS" 2>/dev/null
	fi
	berth_teardown
}

# The gateway of the default bridge network (the address of berth0).
gateway() {
	ip -o -4 addr show dev berth0 | awk '{ split($4, a, "/"); print a[1]; exit }'
}

# ip_of NAME: the container's address on the default bridge network
ip_of() {
	"$BERTH" inspect -f '{{.NetworkSettings.IPAddress}}' "$1"
}

# veth_of ADDRESS: the name of the host side of the veth of an address
veth_of() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	printf 'veth%02x%02x%02x%02x\n' "$a" "$b" "$c" "$d"
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

no_link() {
	! ip link show "$1" >/dev/null 2>&1
}

# leases_of ID: the addresses the store leases to a container
leases_of() {
	sqlite3 "$BERTH_ROOT/berth.db" "SELECT address FROM leases WHERE container_id = '$1'"
}

@test "a container gets an address of berth0's subnet, eth0, a default route and its hosts line" {
	local gw name
	name=$(random_name addr)
	run_berth run --name "$name" --hostname web1 busybox sh -c \
		'ip -o -4 addr show eth0; ip route; tail -1 /etc/hosts; cat /sys/class/net/eth0/address'
	gw=$(gateway)
	assert "$gw" =~ ^[0-9.]+$ "berth0 has an address"
	local prefix=${gw%.*}
	prefix=${prefix%.*}
	assert "${lines[0]}" =~ "eth0 +inet ($prefix\.[0-9]+\.[0-9]+)/16 " "eth0 has an address of berth0's /16"
	local ip=${BASH_REMATCH[1]}
	assert "$output" =~ "default via $gw dev eth0" "the default route goes through the gateway"
	assert "$output" =~ $'\n'"$ip"$'\tweb1\n' "/etc/hosts ends with its own address and name"
	local mac
	mac=$(printf '02:42:%02x:%02x:%02x:%02x' ${ip//./ })
	assert "${lines[-1]}" == "$mac" "Docker's MAC from the address"
	run_berth rm "$name"
}

@test "berth0 forwards, and masquerades its subnet in berth's own nftables table" {
	requires tool:nft
	run_berth run --rm busybox true
	local subnet
	subnet=$(ip -o -4 addr show dev berth0 | awk '{ print $4; exit }')
	subnet=$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_interface(sys.argv[1]).network)' "$subnet")
	assert "$(cat /proc/sys/net/ipv4/ip_forward)" == "1" "forwarding is on"
	run nft list set ip berth masq-berth0
	assert "$output" =~ "$subnet" "berth0's subnet is in the set"
	run nft list chain ip berth postrouting-berth0
	assert "$output" =~ 'ip saddr @masq-berth0 oifname != "berth0" masquerade' "the rule"
}

# in_netns NS ROOT CMD...: berth in network namespace NS with a data root of its own
in_netns() {
	local ns=$1 root=$2
	shift 2
	BERTH_ROOT=$root BERTH_RUNROOT=$root-run nsenter --net="/run/netns/$ns" \
		timeout 60 "$BERTH" "$@"
}

@test "the bridge's subnet is the first of the pools that no route overlaps" {
	requires tool:nsenter
	local ns r1=$BATS_TEST_TMPDIR/r1 r2=$BATS_TEST_TMPDIR/r2
	ns=bnet-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	# a namespace of the test's own: its berth0, routes and nftables are its own
	ip netns add "$ns"
	TEST_NS=$ns
	ip -n "$ns" link set lo up
	ip -n "$ns" route add 172.17.5.0/24 dev lo
	"$BERTH_TOP/scripts/busybox-image" "$BERTH" "$r1" >/dev/null
	run in_netns "$ns" "$r1" run --rm busybox ip -o -4 addr show eth0
	assert "$output" =~ "inet 172\.18\.0\.2/16 " "172.17.0.0/16 is routed: 172.18.0.0/16"
	run ip -n "$ns" -o -4 addr show berth0
	assert "$output" =~ "inet 172\.18\.0\.1/16 " "the gateway on berth0"
	if command -v nft >/dev/null; then
		run nsenter --net="/run/netns/$ns" nft list set ip berth masq-berth0
		assert "$output" =~ "172\.18\.0\.0/16" "its subnet masqueraded"
	fi
	# another data root takes the bridge's subnet as it is
	"$BERTH_TOP/scripts/busybox-image" "$BERTH" "$r2" >/dev/null
	BERTH_NETWORK_POOL="base=10.99.0.0/16,size=24" run in_netns "$ns" "$r2" run --rm busybox ip -o -4 addr show eth0
	assert "$output" =~ "inet 172\.18\.0\.2/16 " "berth0's subnet, not the pool's"
	# and with no bridge yet, the pool of BERTH_NETWORK_POOL
	ip -n "$ns" link del berth0
	rm -rf "$r2" "$r2-run"
	"$BERTH_TOP/scripts/busybox-image" "$BERTH" "$r2" >/dev/null
	BERTH_NETWORK_POOL="base=10.99.0.0/16,size=24" run in_netns "$ns" "$r2" run --rm busybox ip -o -4 addr show eth0
	assert "$output" =~ "inet 10\.99\.0\.2/24 " "the first /24 of BERTH_NETWORK_POOL"
	# a pool that is no pool
	ip -n "$ns" link del berth0
	rm -rf "$r2" "$r2-run"
	"$BERTH_TOP/scripts/busybox-image" "$BERTH" "$r2" >/dev/null
	BERTH_NETWORK_POOL="nonsense" run -125 in_netns "$ns" "$r2" run --rm busybox true
	assert "$output" =~ "BERTH_NETWORK_POOL: invalid address pool 'nonsense'" "the pool's error"
}

@test "a container reaches the gateway and another container by address" {
	local a gw ip
	a=$(random_name peer)
	run_berth run -d --name "$a" busybox sleep 300
	ip=$(ip_of "$a")
	gw=$(gateway)
	run_berth run --rm busybox ping -c1 -W1 "$gw"
	assert "$output" =~ "1 packets received" "the gateway answers"
	run_berth run --rm busybox ping -c1 -W1 "$ip"
	assert "$output" =~ "1 packets received" "the other container answers"
	run_berth exec "$a" ping -c1 -W1 "$gw"
	assert "$output" =~ "1 packets received" "exec runs in the container's network"
	run_berth rm -f "$a"
}

@test "the host reaches a container's address" {
	requires tool:curl
	local img name ip
	img=$(random_name web) name=$(random_name web)
	run_berth import -c 'CMD ["httpd","-f","-p","80","-h","/etc"]' "$BUSYBOX_TAR" "$img"
	run_berth run -d --name "$name" "$img"
	ip=$(ip_of "$name")
	wait_for "httpd on $ip" curl -sf -o /dev/null --max-time 1 "http://$ip/passwd"
	run curl -sf --max-time 2 "http://$ip/passwd"
	assert "$output" =~ "^root:" "the container's /etc/passwd through its httpd"
	run_berth rm -f "$name"
	run_berth rmi "$img"
}

@test "exec sees the container's eth0 and address" {
	local name ip
	name=$(random_name exec)
	run_berth run -d --name "$name" busybox sleep 300
	ip=$(ip_of "$name")
	run_berth exec "$name" ip -o -4 addr show eth0
	assert "$output" =~ "inet $ip/16" "the same eth0"
	run_berth rm -f "$name"
}

@test "--network none has loopback only" {
	local name
	name=$(random_name none)
	run_berth run --name "$name" --network none busybox ip -o link
	assert "${#lines[@]}" == "1" "a single link"
	assert "$output" =~ "^1: lo: <LOOPBACK,UP" "lo, up"
	run_berth inspect -f '{{.NetworkSettings.IPAddress}}|{{json .NetworkSettings.Networks}}' "$name"
	assert "$output" =~ '^\|\{"none":\{' "no address, on none"
	run_berth rm "$name"
}

@test "--network host sees the host's links" {
	run_berth run --rm --network host busybox ip -o link show berth0
	assert "$output" =~ "berth0:" "the host's bridge is there"
	run_berth run --rm --network host busybox cat /proc/net/dev
	assert "$(grep -c : <<<"$output")" == "$(grep -c : /proc/net/dev)" "as many links as the host"
}

@test "--network container:NAME shares its address and hostname" {
	local a b ip
	a=$(random_name shared) b=$(random_name joiner)
	run_berth run -d --name "$a" busybox sleep 300
	ip=$(ip_of "$a")
	run_berth run --rm --network "container:$a" busybox sh -c 'ip -o -4 addr show eth0; hostname'
	assert "${lines[0]}" =~ "inet $ip/16" "the same address"
	assert "${lines[1]}" == "$("$BERTH" inspect -f '{{.Config.Hostname}}' "$a")" "its hostname"
	run_berth 125 run --rm --network "container:$a" --hostname x busybox true
	assert "$output" =~ "conflicting options: hostname and the network mode" "no own hostname"
	run_berth 125 run --rm --network container:no-such-container busybox true
	assert "$output" =~ "No such container: no-such-container" "an unknown container"
	run_berth stop -t 0 "$a"
	run_berth create --name "$b" --network "container:$a" busybox true
	run_berth 1 start "$b"
	assert "$output" =~ "cannot join network of a non running container: [0-9a-f]{64}" \
		"a container that is not running"
	run_berth rm "$a" "$b"
}

@test "an unknown network is refused" {
	run_berth 125 run --rm --network no-such-net busybox true
	assert "$output" =~ "network no-such-net not found" "Docker's message"
}

@test "inspect shows NetworkSettings as Docker's, while the container runs" {
	local name
	name=$(random_name insp)
	run_berth run -d --name "$name" busybox sleep 300
	run_berth inspect -f '{{json .NetworkSettings}}' "$name"
	local ns=$output ip gw
	ip=$(jq -r .IPAddress <<<"$ns") gw=$(gateway)
	assert "$ip" =~ ^[0-9.]+$ "IPAddress"
	assert "$(jq -r .Gateway <<<"$ns")" == "$gw" "Gateway"
	assert "$(jq -r .IPPrefixLen <<<"$ns")" == "16" "IPPrefixLen"
	assert "$(jq -r .MacAddress <<<"$ns")" =~ ^02:42: "MacAddress"
	assert "$(jq -r .SandboxKey <<<"$ns")" =~ ^/proc/[0-9]+/ns/net$ "SandboxKey"
	assert "$(jq -r .EndpointID <<<"$ns")" =~ ^[0-9a-f]{64}$ "EndpointID"
	assert "$(jq -r '.Networks | keys | join(",")' <<<"$ns")" == "bridge" "on the bridge network"
	assert "$(jq -r .Networks.bridge.NetworkID <<<"$ns")" =~ ^[0-9a-f]{64}$ "its NetworkID"
	assert "$(jq -r .Networks.bridge.IPAddress <<<"$ns")" == "$ip" "its IPAddress"
	assert "$(jq -r .Networks.bridge.EndpointID <<<"$ns")" == "$(jq -r .EndpointID <<<"$ns")" \
		"one endpoint"
	run_berth stop -t 0 "$name"
	run_berth inspect -f '{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Networks.bridge.IPAddress}}' "$name"
	assert "$output" == "|" "a stopped container has no address"
	run_berth rm "$name"
}

@test "rm and a stop leave no veth and no lease; a new start gets an address again" {
	requires tool:sqlite3
	local name id ip veth
	name=$(random_name gone)
	run_berth run -d --name "$name" busybox sleep 300
	id=$output
	ip=$(ip_of "$name")
	veth=$(veth_of "$ip")
	run ip -d link show "$veth"
	assert "$output" =~ "master berth0" "the host side is on berth0"
	assert "$output" =~ "alias berth $BERTH_RUNROOT $id" "its alias names the container"
	assert "$(leases_of "$id")" == "$ip" "the store leases the address"
	run_berth stop -t 0 "$name"
	assert "$(leases_of "$id")" == "" "stopped: the lease is freed"
	wait_for "$veth removed" no_link "$veth"
	run_berth start "$name"
	ip=$(ip_of "$name")
	assert "$ip" =~ ^[0-9.]+$ "started again: an address"
	run_berth exec "$name" ping -c1 -W1 "$(gateway)"
	run_berth rm -f "$name"
	assert "$(leases_of "$id")" == "" "removed: no lease"
	wait_for "$(veth_of "$ip") removed" no_link "$(veth_of "$ip")"
}

@test "a container restarted by its policy keeps its network" {
	local name ip
	name=$(random_name policy)
	run_berth run -d --name "$name" --restart always busybox sh -c 'sleep 0.5; exit 3'
	ip=$(ip_of "$name")
	for _ in $(seq 50); do
		[[ $("$BERTH" inspect -f '{{.RestartCount}}' "$name") -ge 1 ]] && break
		sleep 0.1
	done
	wait_for "running again" test "$("$BERTH" inspect -f '{{.State.Status}}' "$name")" == running
	assert "$(ip_of "$name")" == "$ip" "the same address after the restart"
	run_berth exec "$name" ping -c1 -W1 "$(gateway)"
	assert "$output" =~ "1 packets received" "the network works after the restart"
	run_berth rm -f "$name"
}

@test "after kill -9 of a monitor the next command frees its lease and its veth goes" {
	requires tool:sqlite3
	local name id ip mon
	name=$(random_name crash)
	run_berth run -d --name "$name" busybox sleep 300
	id=$output
	ip=$(ip_of "$name")
	mon=$(pgrep -f "^berth-monitor ${id:0:12}")
	assert "$mon" =~ ^[0-9]+$ "the monitor runs under its title"
	kill -9 "$mon"
	for _ in $(seq 20); do [[ $(ps -o stat= -p "$mon" 2>/dev/null) == Z* || ! -d /proc/$mon ]] && break; sleep 0.05; done
	run_berth ps -a
	assert "$output" =~ "Exited \(255\).*$name" "recorded as exited with 255"
	assert "$(leases_of "$id")" == "" "its lease freed"
	wait_for "$(veth_of "$ip") removed" no_link "$(veth_of "$ip")"
	run_berth rm "$name"
}

@test "20 containers started at once get 20 different addresses" {
	local names=() n pids=() addrs
	for n in $(seq 20); do
		names+=("$(random_name many)")
	done
	for n in "${names[@]}"; do
		timeout 60 "$BERTH" run -d --name "$n" busybox sleep 300 >/dev/null &
		pids+=($!)
	done
	for n in "${pids[@]}"; do
		wait "$n" || die "a run -d failed"
	done
	addrs=$(for n in "${names[@]}"; do ip_of "$n"; done | sort)
	assert "$(grep -c . <<<"$addrs")" == "20" "20 addresses"
	assert "$(uniq <<<"$addrs" | grep -c .)" == "20" "all different"
	run_berth rm -f "${names[@]}"
}
