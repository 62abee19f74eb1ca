#!/usr/bin/env bats
# User networks (net/network.c, cli/network.c): network create, ls, inspect, rm and
# prune; each network a bridge br-<id12> of its own with a subnet of the pools;
# containers on it reach each other, and neither the default bridge's nor another
# network's containers.
#
# Traffic goes only to the test's own containers and bridges: never anywhere else.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	requires root busybox tool:ip tool:nft tool:jq
	ensure_busybox
	# the embedded DNS forwards what it does not know: never to the host's resolvers
	export BERTH_DNS_UPSTREAM=127.0.0.1:9
}

teardown() {
	[[ -z ${FAKE_DNS:-} ]] || kill "$FAKE_DNS" 2>/dev/null
	berth_teardown
}

# bridge_of NETWORK: its Linux bridge
bridge_of() {
	"$BERTH" network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$1"
}

# net_ip NAME NETWORK: the container's address on a network
net_ip() {
	"$BERTH" inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

# get_passwd ARGS...: run ARGS... as a container that fetches /passwd from $target's httpd
fetch() {
	local target=$1
	shift
	run_berth "$@" busybox sh -c \
		"printf 'GET /passwd HTTP/1.0\r\n\r\n' | nc -w2 $target 80 | head -1; true"
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

web_image() {
	WEB=$(random_name web)
	run_berth import -c 'EXPOSE 80' -c 'CMD ["httpd","-f","-p","80","-h","/etc"]' "$BUSYBOX_TAR" "$WEB"
}

@test "network create, ls, inspect and rm" {
	local net id br
	net=$(random_name net)
	run_berth network create --subnet 10.213.7.0/24 --gateway 10.213.7.254 --label team=a "$net"
	id=$output
	assert "$id" =~ '^[0-9a-f]{64}$' "create prints the ID"
	run_berth network ls
	assert "${lines[0]}" =~ '^NETWORK ID +NAME +DRIVER +SCOPE$' "ls's header"
	assert "$output" =~ "${id:0:12} +$net +bridge +local" "the network in ls"
	assert "$output" =~ " bridge +bridge +local" "the default network in ls"
	assert "$output" =~ " host +host +local" "host in ls"
	run_berth network ls -q --filter "name=$net"
	assert "$output" == "${id:0:12}" "ls -q with a name filter"
	run_berth network ls --filter label=team=a --format '{{.Name}} {{.Driver}} {{.Internal}}'
	assert "$output" == "$net bridge false" "ls --format with a label filter"
	run_berth network inspect "$net"
	run jq -r '.[0] | [.Name, .Id, .Scope, .Driver, .IPAM.Config[0].Subnet, .IPAM.Config[0].Gateway, .Internal, .Labels.team] | join(" ")' <<<"$output"
	assert "$output" == "$net $id local bridge 10.213.7.0/24 10.213.7.254 false a" "inspect's fields"
	run_berth inspect -f '{{.Name}} {{.Driver}}' "$net"
	assert "$output" == "$net bridge" "inspect finds a network too"
	br=$(bridge_of "$net")
	assert "$br" == "br-${id:0:12}" "the bridge's name"
	run ip -o -4 addr show dev "$br"
	assert "$output" =~ "inet 10.213.7.254/24" "the bridge has the gateway's address"
	run_berth 1 network create "$net"
	assert "$output" =~ "network with name $net already exists" "a taken name"
	run_berth 1 network create --subnet 10.213.7.128/25 "$net-b"
	assert "$output" =~ "Pool overlaps with other one on this address space" "an overlapping subnet"
	run_berth network rm "$net"
	assert "$output" == "$net" "rm prints the name"
	run ip link show "$br"
	assert "$status" != "0" "the bridge is gone"
	run nft list table ip berth
	assert "$output" !~ "$br" "its rules are gone"
	run_berth 1 network rm "$net"
	assert "$output" == "Error response from daemon: network $net not found" "rm of a missing network"
	run_berth 1 network rm bridge
	assert "$output" =~ "bridge is a pre-defined network and cannot be removed" "the default stays"
}

@test "subnets come from the pools, after the default's" {
	local a b sa sb
	a=$(random_name net) b=$(random_name net)
	run_berth network create "$a"
	run_berth network create "$b"
	sa=$("$BERTH" network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$a")
	sb=$("$BERTH" network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$b")
	assert "$sa" != "$sb" "two networks, two subnets"
	run ip route
	assert "$(grep -c "^$sa " <<<"$output")" == "1" "one route for the first subnet: its bridge's"
	run_berth network rm "$a" "$b"
}

@test "containers on a network reach each other; others cannot" {
	local net other api dflt ip
	net=$(random_name appnet) other=$(random_name othernet)
	api=$(random_name api) dflt=$(random_name dflt)
	web_image
	run_berth network create "$net"
	run_berth network create "$other"
	run_berth run -d --name "$api" --network "$net" "$WEB"
	run_berth run -d --name "$dflt" "$WEB"
	ip=$(net_ip "$api" "$net")
	assert "$ip" =~ '^[0-9.]+$' "an address on $net"
	run_berth network inspect -f "{{json .Containers}}" "$net"
	assert "$output" =~ "\"Name\":\"$api\"" "inspect lists the container"
	assert "$output" =~ "\"IPv4Address\":\"$ip/" "with its address"
	fetch "$ip" run --rm --network "$net"
	assert "$output" =~ "200 OK" "a container of the same network reaches httpd"
	fetch "$ip" run --rm
	assert "$output" !~ "200 OK" "a default-bridge container cannot"
	fetch "$ip" run --rm --network "$other"
	assert "$output" !~ "200 OK" "a container of another network cannot"
	fetch "$(net_ip "$dflt" bridge)" run --rm --network "$net"
	assert "$output" !~ "200 OK" "nor reach the default bridge's containers"
	run_berth 1 network rm "$net"
	assert "$output" =~ "error while removing network: network $net id [0-9a-f]{64} has active endpoints" "rm refused in use"
	run_berth rm -f "$api" "$dflt"
	run_berth network rm "$net" "$other"
	run_berth rmi "$WEB"
}

@test "an internal network has no masquerade and forwards nothing out" {
	local net id br c
	net=$(random_name internal)
	run_berth network create --internal "$net"
	id=$output
	br="br-${id:0:12}"
	run_berth network inspect -f '{{.Internal}}' "$net"
	assert "$output" == "true" "inspect says internal"
	c=$(random_name c)
	run_berth run -d --name "$c" --network "$net" busybox sleep 300
	run nft list table ip berth
	assert "$output" !~ "postrouting-$br" "no masquerade"
	run nft list chain ip berth "isolate-$br"
	assert "$output" =~ $'return\n[[:space:]]+drop' "everything else dropped"
	run_berth rm -f "$c"
	run_berth network rm "$net"
}

@test "network prune removes unused networks only" {
	local used unused c
	used=$(random_name used) unused=$(random_name unused) c=$(random_name c)
	run_berth network create "$used"
	run_berth network create "$unused"
	run_berth run -d --name "$c" --network "$used" busybox sleep 300
	run_berth network prune -f
	assert "$output" == $'Deleted Networks:\n'"$unused" "only the unused one"
	run_berth network ls --format '{{.Name}}'
	assert "$output" =~ "$used" "the used one stays"
	run_berth rm -f "$c"
	run_berth network rm "$used"
}

# dns_pids NETWORK: the pids of the network's berth-dns
dns_pids() {
	local id
	id=$("$BERTH" network inspect -f '{{.Id}}' "$1")
	pgrep -f "berth-dns .*$BERTH_RUNROOT/networks/$id/hosts" || true
}

@test "the embedded DNS answers the names of a network's containers" {
	local net api id
	net=$(random_name appnet) api=$(random_name api)
	web_image
	run_berth network create "$net"
	run_berth run -d --name "$api" --network "$net" --network-alias backend "$WEB"
	id=$output
	run_berth inspect -f "{{json (index .NetworkSettings.Networks \"$net\").Aliases}}" "$api"
	assert "$output" == '["backend"]' "inspect's Aliases"
	run_berth run --rm --network "$net" busybox cat /etc/resolv.conf
	assert "$output" =~ "nameserver $("$BERTH" network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$net")" "resolv.conf points to the network's gateway"
	run_berth run --rm --network "$net" busybox nslookup "$api"
	assert "$output" =~ "Address: $(net_ip "$api" "$net")" "the container's name resolves to its address"
	run_berth run --rm --network "$net" busybox nslookup "${id:0:12}"
	assert "$output" =~ "Address: $(net_ip "$api" "$net")" "its short ID too"
	run_berth run --rm --network "$net" busybox nslookup backend
	assert "$output" =~ "Address: $(net_ip "$api" "$net")" "its --network-alias too"
	run_berth run --rm --network "$net" busybox wget -qO- "http://$api:80/passwd"
	assert "$output" =~ "^root:" "wget by name reaches httpd"
	assert "$(dns_pids "$net" | wc -l)" == "1" "one DNS process for the network"
	run_berth stop -t 1 "$api"
	assert "$(dns_pids "$net")" == "" "the DNS stops with the network's last container"
	run_berth start "$api"
	assert "$(dns_pids "$net" | wc -l)" == "1" "and starts again with the first"
	run_berth rm -f "$api"
	run_berth network rm "$net"
	assert "$(pgrep -f "berth-dns .*$BERTH_RUNROOT" || true)" == "" "no DNS process left"
	run_berth rmi "$WEB"
}

@test "the embedded DNS forwards other names to its upstream resolvers" {
	local net c hosts
	net=$(random_name fwdnet) c=$(random_name c)
	# the fake upstream: a berth-dns on 127.0.0.1 knowing one outside-looking name
	hosts=$BATS_TEST_TMPDIR/upstream-hosts
	echo "192.0.2.77 outside.berth.test" >"$hosts"
	"$BUILD/src/cli/berth-dns" -l 127.0.0.1:15353 -H "$hosts" &
	FAKE_DNS=$!
	export BERTH_DNS_UPSTREAM=127.0.0.1:15353
	run_berth network create "$net"
	run_berth run -d --name "$c" --network "$net" busybox sleep 300
	run_berth exec "$c" nslookup outside.berth.test
	assert "$output" =~ "Address: 192.0.2.77" "the upstream's answer relayed"
	run_berth rm -f "$c"
	run_berth network rm "$net"
}

@test "network connect and disconnect a running container" {
	local net other a w
	net=$(random_name conn) other=$(random_name other) a=$(random_name a) w=$(random_name w)
	run_berth network create "$net"
	run_berth network create "$other"
	run_berth run -d --name "$a" --network "$net" busybox sleep 300
	run_berth run -d --name "$w" busybox sleep 300
	run_berth network connect --alias wbalias "$net" "$w"
	run_berth exec "$w" ip -o -4 addr show eth1
	assert "$output" =~ "inet $(net_ip "$w" "$net")/" "eth1 has the address of the new network"
	run_berth exec "$a" ping -c1 -W1 wbalias
	assert "$output" =~ "1 packets received" "the alias resolves and answers"
	run_berth 1 network connect "$net" "$w"
	assert "$output" == "Error response from daemon: endpoint with name $w already exists in network $net" "connected twice"
	run_berth network connect "$other" "$a"
	run_berth restart -t 1 "$a"
	run_berth exec "$a" ip -o -4 addr show eth1
	assert "$output" =~ "inet $(net_ip "$a" "$other")/" "a connection stays across a restart"
	run_berth network disconnect "$net" "$w"
	run_berth exec "$w" ip -o link
	assert "$output" !~ "eth1" "eth1 is gone"
	run_berth 1 network disconnect "$net" "$w"
	assert "$output" =~ "is not connected to network $net" "disconnected twice"
	run_berth rm -f "$a" "$w"
	run_berth network rm "$net" "$other"
}

@test "--ip, --mac-address, --add-host and --dns" {
	local net c
	net=$(random_name ipnet) c=$(random_name c)
	run_berth network create --subnet 10.213.9.0/24 "$net"
	run_berth run -d --name "$c" --network "$net" --ip 10.213.9.50 --mac-address 02:11:22:33:44:55 busybox sleep 300
	run_berth exec "$c" ip -o -4 addr show eth0
	assert "$output" =~ "inet 10.213.9.50/24" "the address asked for"
	run_berth exec "$c" cat /sys/class/net/eth0/address
	assert "$output" == "02:11:22:33:44:55" "the MAC asked for"
	run_berth inspect -f "{{(index .NetworkSettings.Networks \"$net\").MacAddress}}" "$c"
	assert "$output" == "02:11:22:33:44:55" "inspect's MacAddress"
	run_berth 125 run --rm --network "$net" --ip 10.213.9.50 busybox true
	assert "$output" =~ "Address already in use" "an address taken"
	run_berth 125 run --rm --network "$net" --ip 10.213.10.5 busybox true
	assert "$output" =~ "Invalid address 10.213.10.5: It does not belong to any of this network's subnets" "outside the subnet"
	run_berth 125 run --rm --ip 10.213.9.7 busybox true
	assert "$output" =~ "user specified IP address is supported on user defined networks only" "--ip on the default bridge"
	run_berth run --rm --add-host myhost:10.1.1.1 --add-host other=10.2.2.2 busybox cat /etc/hosts
	assert "$output" =~ $'10.1.1.1\tmyhost' "--add-host host:ip"
	assert "$output" =~ $'10.2.2.2\tother' "--add-host host=ip"
	run_berth 125 run --rm --add-host bad busybox true
	assert "$output" =~ 'bad format for add-host: "bad"' "--add-host without an address"
	run_berth run --rm --dns 10.213.9.1 --dns 10.213.9.2 busybox grep nameserver /etc/resolv.conf
	assert "$output" == $'nameserver 10.213.9.1\nnameserver 10.213.9.2' "--dns replaces the name servers"
	run_berth 125 run --rm --dns nope busybox true
	assert "$output" =~ "nope is not an ip address" "--dns of a name"
	run_berth rm -f "$c"
	run_berth network rm "$net"
}

@test "the embedded DNS answers over TCP too" {
	requires tool:python3
	local net c gw
	net=$(random_name tcpnet) c=$(random_name tcpdns)
	run_berth network create "$net"
	run_berth run -d --name "$c" --network "$net" busybox sleep 300
	gw=$("$BERTH" network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$net")
	run python3 - "$gw" "$c" <<'PY'
import socket, struct, sys
gw, name = sys.argv[1], sys.argv[2]
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00\x00\x01\x00\x01"
s = socket.create_connection((gw, 53), timeout=3)
s.sendall(struct.pack(">H", len(q)) + q)
d = s.recv(4096)
print(socket.inet_ntoa(d[-4:]))
PY
	assert "$output" == "$(net_ip "$c" "$net")" "the container's address, over TCP"
	run_berth rm -f "$c"
	run_berth network rm "$net"
}

@test "containers started at once on a network share one DNS that knows them all" {
	local net i pids=() names=()
	net=$(random_name many)
	run_berth network create "$net"
	for i in 1 2 3 4 5 6; do
		names+=("$(random_name m$i)")
		"$BERTH" run -d --name "${names[-1]}" --network "$net" busybox sleep 300 >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	assert "$(dns_pids "$net" | wc -l)" == "1" "one DNS process"
	for i in "${names[@]}"; do
		run_berth run --rm --network "$net" busybox nslookup "$i"
		assert "$output" =~ "Address: $(net_ip "$i" "$net")" "$i resolves"
	done
	run_berth rm -f "${names[@]}"
	assert "$(dns_pids "$net")" == "" "no DNS once they are gone"
	run_berth network rm "$net"
}

@test "system prune removes unused networks too" {
	local net
	net=$(random_name sysprune)
	run_berth network create "$net"
	run_berth system prune -f
	assert "$output" =~ "Deleted Networks:"$'\n'"$net" "the network went"
	run_berth 1 network inspect "$net"
}
