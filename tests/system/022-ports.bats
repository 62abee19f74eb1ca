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

# ---------------------------------------------------------------- through berth

# ports-web:latest: busybox with udp-echo, EXPOSE 80, httpd serving /etc (its
# /etc/hostname is the container's short ID)
ensure_web_image() {
	local mark=$BATS_FILE_TMPDIR/web-image tar=$BATS_FILE_TMPDIR/web.tar dir
	[[ -e $mark ]] && return 0
	dir=$(mktemp -d "$BATS_FILE_TMPDIR/web.XXXXXX")
	install -D -m 0755 "$UDP_ECHO" "$dir/usr/local/bin/udp-echo"
	cp "$BUSYBOX_TAR" "$tar"
	tar -C "$dir" --owner=0 --group=0 --numeric-owner -rf "$tar" ./usr/local/bin/udp-echo
	rm -rf "$dir"
	run_berth import -c 'EXPOSE 80' -c 'CMD ["httpd","-f","-p","80","-h","/etc"]' "$tar" \
		ports-web:latest
	berth_keep_image ports-web:latest
	touch "$mark"
}

# free_port: a TCP and UDP port nothing on the host listens on
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 10000))
		[[ -z $(ss -Htuln "sport = :$p") ]] && break
	done
	echo "$p"
}

# The address of berth0: one of the host's own, not loopback (the DNAT path)
gateway() {
	ip -o -4 addr show dev berth0 | awk '{ split($4, a, "/"); print a[1]; exit }'
}

# get URL: the body, or nothing after 3 s
get() {
	curl -sf --max-time 3 "$1"
}

proxies_of() {
	pgrep -f "^berth-proxy -r $BERTH_RUNROOT/$1" || true
}

chain_of() {
	nft list chain ip berth "ctr-${1:0:12}" 2>/dev/null
}

berth_ready() {
	requires tool:ss tool:jq
	ensure_web_image
}

@test "run -p 127.0.0.1:PORT:80 -p PORT:80: httpd reached from the host, then nothing left" {
	berth_ready
	local name p1 p2 id gw
	name=$(random_name web)
	p1=$(free_port)
	p2=$(free_port)
	run_berth run -d --name "$name" -p "127.0.0.1:$p1:80" -p "$p2:80" ports-web
	id=$output
	wait_for "httpd through 127.0.0.1:$p1" get "http://127.0.0.1:$p1/hostname"
	assert "$(get "http://127.0.0.1:$p1/hostname")" == "${id:0:12}" "127.0.0.1:$p1 (the proxy)"
	assert "$(get "http://127.0.0.1:$p2/hostname")" == "${id:0:12}" "127.0.0.1:$p2 (the proxy)"
	gw=$(gateway)
	assert "$(get "http://$gw:$p2/hostname")" == "${id:0:12}" "$gw:$p2, the host's own address (DNAT)"
	run ! get "http://$gw:$p1/hostname"
	# hairpin: containers on the bridge reach it through the host's address (the proxy)
	run_berth run --rm ports-web wget -qO- "http://$gw:$p2/hostname"
	assert "$output" == "${id:0:12}" "another container reaches $gw:$p2"
	run_berth exec "$name" wget -qO- "http://$gw:$p2/hostname"
	assert "$output" == "${id:0:12}" "the container reaches itself through $gw:$p2"

	run_berth ps --filter "name=$name" --format '{{.Ports}}'
	assert "$output" == "0.0.0.0:$p2->80/tcp, 127.0.0.1:$p1->80/tcp" "ps's PORTS"
	run_berth inspect -f '{{json .NetworkSettings.Ports}}' "$name"
	assert "$(jq -cS . <<<"$output")" == "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$p2\"},{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p1\"}]}" \
		"inspect's NetworkSettings.Ports"
	run_berth inspect -f '{{json .HostConfig.PortBindings}} {{.HostConfig.PublishAllPorts}} {{json .Config.ExposedPorts}}' "$name"
	assert "$output" == "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p1\"},{\"HostIp\":\"\",\"HostPort\":\"$p2\"}]} false {\"80/tcp\":{}}" \
		"HostConfig.PortBindings as the user asked, Config.ExposedPorts"
	run_berth port "$name"
	assert "$output" == "80/tcp -> 0.0.0.0:$p2"$'\n'"80/tcp -> 127.0.0.1:$p1" "port NAME"
	run_berth container port "$name" 80/tcp
	assert "$output" == "0.0.0.0:$p2"$'\n'"127.0.0.1:$p1" "port NAME 80/tcp"
	run_berth ps --filter "name=$name" --filter publish=80 -q
	assert "$output" == "${id:0:12}" "ps --filter publish=80"
	run_berth ps --filter "name=$name" --filter publish=81-90/tcp -q
	assert "$output" == "" "ps --filter publish=81-90/tcp"
	assert "$(proxies_of "$id" | wc -l)" == 1 "one proxy for both ports"
	run chain_of "$id"
	assert "$output" =~ "tcp dport $p2 dnat to [0-9.]+:80" "the DNAT rule"

	local proxy
	proxy=$(proxies_of "$id")
	run_berth rm -f "$name"
	run chain_of "$id"
	assert "$output" == "" "no rules after rm"
	wait_for "the proxy gone" gone "$proxy"
	run ! get "http://127.0.0.1:$p2/hostname"
	assert "$(ss -Htln "sport = :$p2")" == "" "port $p2 is free again"
}

@test "run -P: every exposed port on an ephemeral one; port; EXPOSE alone shows in ps" {
	berth_ready
	local name id port lo hi
	name=$(random_name pub)
	run_berth run -d --name "$name" -P --expose 7000-7001/udp ports-web
	id=$output
	run_berth port "$name" 80
	port=${output##*:}
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	assert "$output" =~ ^0\.0\.0\.0:[0-9]+$ "port NAME 80"
	assert "$((port >= lo && port <= hi))" == 1 "$port is of the ephemeral range $lo-$hi"
	wait_for "httpd through 127.0.0.1:$port" get "http://127.0.0.1:$port/hostname"
	run_berth port "$name"
	assert "${#lines[@]}" == 3 "port lists 80/tcp, 7000/udp and 7001/udp"
	run_berth 1 port "$name" 81
	assert "$output" == "Error: No public port '81' published for $name" "Docker's error"
	run_berth 1 port "$name" http
	assert "$output" == "Error: invalid port (http)" "Docker's error for a bad port"
	run_berth rm -f "$name"

	# exposed, not published
	name=$(random_name exp)
	run_berth run -d --name "$name" ports-web
	run_berth ps --filter "name=$name" --format '{{.Ports}}'
	assert "$output" == "80/tcp" "an exposed port in ps's PORTS"
	run_berth inspect -f '{{json .NetworkSettings.Ports}}' "$name"
	assert "$output" == '{"80/tcp":null}' "inspect's Ports"
	run_berth port "$name"
	assert "$output" == "" "port prints nothing"
	run_berth rm -f "$name"
	run_berth ps -a --filter "name=$name" -q
}

@test "a host port already allocated: Docker's error, and nothing of that start is left" {
	berth_ready
	local a b p id
	a=$(random_name first)
	b=$(random_name second)
	p=$(free_port)
	run_berth run -d --name "$a" -p "$p:80" ports-web
	run_berth 125 run -d --name "$b" -p "$(free_port):81" -p "$p:80" ports-web
	assert "$output" =~ "^berth: Error response from daemon: driver failed programming external connectivity on endpoint $b \([0-9a-f]+\): Bind for 0\.0\.0\.0:$p failed: port is already allocated\.$" \
		"Docker's message"
	id=$("$BERTH" inspect -f '{{.Id}}' "$b")
	run_berth inspect -f '{{.State.Status}}' "$b"
	assert "$output" == "created" "the second container stays created, as Docker's"
	run chain_of "$id"
	assert "$output" == "" "no rules for the second"
	assert "$(proxies_of "$id")" == "" "no proxy for the second"
	wait_for "httpd of the first" get "http://127.0.0.1:$p/hostname"
	run_berth 1 start "$b"
	assert "${lines[0]}" =~ "Bind for 0\.0\.0\.0:$p failed: port is already allocated$" "start fails the same"
	run_berth rm -f "$a" "$b"
}

@test "UDP: -p PORT:5353/udp reaches udp-echo, through the proxy and DNAT" {
	berth_ready
	local name p
	name=$(random_name udp)
	p=$(free_port)
	run_berth run -d --name "$name" -p "$p:5353/udp" ports-web udp-echo 5353
	sleep 0.3
	assert "$(udp_host 127.0.0.1 "$p" ping)" == "echo:ping" "127.0.0.1:$p/udp"
	assert "$(udp_host "$(gateway)" "$p" pong)" == "echo:pong" "the gateway's :$p/udp (DNAT)"
	run_berth port "$name"
	assert "$output" == "5353/udp -> 0.0.0.0:$p" "port"
	run_berth rm -f "$name"
}

# udp_host HOST PORT TEXT: a datagram from the host, and the answer
udp_host() {
	bash -c 'exec 3<>"/dev/udp/$1/$2" && printf "%s" "$3" >&3 &&
		timeout 2 dd bs=65536 count=1 status=none <&3' sh "$@"
}

@test "-p and --expose: Docker's errors" {
	berth_ready
	run_berth 125 run -p abc ports-web
	assert "$output" == "berth: invalid containerPort: abc."$'\n'"See 'berth run --help'." "a bad container port"
	run_berth 125 create -p 8000-8005:80-90 ports-web
	assert "${lines[0]}" == "berth: invalid ranges specified for container and host Ports: 80-90 and 8000-8005." \
		"ranges of different lengths"
	run_berth 125 run -p x:80 ports-web
	assert "${lines[0]}" == "berth: invalid hostPort: x." "a bad host port"
	run_berth 125 run -p '[::1]:80:80' ports-web
	assert "${lines[0]}" == "berth: cannot publish '[::1]:80:80': IPv6 host addresses are not supported." \
		"IPv6 refused"
	run_berth 125 run --expose 1.2.3.4:80 ports-web
	assert "${lines[0]}" == "berth: invalid port format for --expose: 1.2.3.4:80." "--expose"
	run_berth ps -aq
	assert "$output" == "" "no container made"
}

restarted() {
	[[ $("$BERTH" inspect -f '{{.RestartCount}} {{.State.Status}}' "$1") == "1 running" ]]
}

@test "a monitor killed: its proxy dies with it, its rules go at the next command; restart publishes again" {
	berth_ready
	local name id p pid mon proxy
	name=$(random_name crash)
	p=$(free_port)
	run_berth run -d --name "$name" --restart on-failure:1 -p "$p:80" ports-web \
		sh -c 'httpd -p 80 -h /etc; [ -e /again ] && exec sleep 1000; touch /again; sleep 1; exit 3'
	id=$output
	wait_for "httpd through $p" get "http://127.0.0.1:$p/hostname"
	proxy=$(proxies_of "$id")
	# the restart policy brings it back: the same port, a new proxy
	wait_for "the restart" restarted "$name"
	wait_for "httpd through $p after the restart" get "http://127.0.0.1:$p/hostname"
	assert "$(proxies_of "$id" | wc -l)" == 1 "one proxy after the restart"
	assert "$(proxies_of "$id")" != "$proxy" "a new one"
	proxy=$(proxies_of "$id")
	pid=$("$BERTH" inspect -f '{{.State.Pid}}' "$name")
	mon=$(awk '{ print $4 }' "/proc/$pid/stat")
	kill -9 "$mon"
	wait_for "the proxy killed with its monitor" gone "$proxy"
	run_berth ps -a --filter "name=$name" --format '{{.Status}}'
	assert "$output" =~ "^Exited \(255\)" "the reconcile records the exit"
	run chain_of "$id"
	assert "$output" == "" "and removes the rules"
	run_berth rm -f "$name"
}
