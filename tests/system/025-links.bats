#!/usr/bin/env bats
# Legacy links (--link NAME[:ALIAS], container/links.c) on the default bridge: Docker's
# environment variables and /etc/hosts lines, and its errors. Traffic goes only to the
# test's own containers.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	requires root busybox tool:ip
	ensure_busybox
}

@test "--link gives the linked container's variables and hosts line" {
	local img db ip web
	img=$(random_name web) db=$(random_name db) web=$(random_name linking)
	run_berth import -c 'EXPOSE 80' -c 'EXPOSE 53/udp' -c 'CMD ["httpd","-f","-p","80","-h","/etc"]' "$BUSYBOX_TAR" "$img"
	run_berth run -d --name "$db" -e FOO=bar -e OTHER=x=y "$img"
	ip=$("$BERTH" inspect -f '{{.NetworkSettings.IPAddress}}' "$db")
	run_berth run --rm --name "$web" --link "$db:my-db" busybox sh -c 'env | grep ^MY_DB | sort'
	assert "$output" =~ "MY_DB_NAME=/$web/my-db" "_NAME"
	assert "$output" =~ "MY_DB_PORT=udp://$ip:53" "_PORT: the lowest port"
	assert "$output" =~ "MY_DB_PORT_80_TCP=tcp://$ip:80" "_PORT_80_TCP"
	assert "$output" =~ "MY_DB_PORT_80_TCP_ADDR=$ip" "_ADDR"
	assert "$output" =~ "MY_DB_PORT_80_TCP_PORT=80" "_PORT"
	assert "$output" =~ "MY_DB_PORT_80_TCP_PROTO=tcp" "_PROTO"
	assert "$output" =~ "MY_DB_PORT_53_UDP_PROTO=udp" "a udp port"
	assert "$output" =~ "MY_DB_ENV_FOO=bar" "_ENV_ of its variables"
	assert "$output" =~ "MY_DB_ENV_OTHER=x=y" "with their = kept"
	assert "$output" !~ "MY_DB_ENV_PATH" "but PATH"
	run_berth run --rm --link "$db:my-db" busybox grep my-db /etc/hosts
	assert "$output" =~ "^$ip	my-db [0-9a-f]{12} $db$" "the hosts line"
	run_berth run --rm --link "$db:my-db" busybox wget -qO- http://my-db:80/passwd
	assert "$output" =~ "^root:" "the alias reaches the linked container"
	run_berth run --rm --link "$db" busybox sh -c 'env | grep _NAME='
	assert "$output" =~ "/$db\$" "the name is the alias without one"
	run_berth rm -f "$db"
	run_berth rmi "$img"
}

@test "--link errors as Docker's" {
	local db name
	db=$(random_name db) name=$(random_name l)
	run_berth 125 run --rm --link "nosuch-$db:x" busybox true
	assert "$output" =~ "Error response from daemon: could not get container for nosuch-$db" "a missing container"
	run_berth create --name "$db" busybox sleep 300
	run_berth 125 run --rm --name "$name" --link "$db:alias" busybox true
	assert "$output" =~ "Cannot link to a non running container: /$db AS /$name/alias" "a stopped container"
	run_berth rm -f "$db"
}

@test "a restart of the linking container takes the linked one's new address" {
	local a b c ip
	a=$(random_name a) b=$(random_name b) c=$(random_name c)
	run_berth run -d --name "$a" busybox sleep 300
	run_berth run -d --name "$b" busybox sleep 300
	run_berth run -d --name "$c" --link "$b:peer" busybox sleep 300
	run_berth rm -f "$a"
	run_berth restart -t 0 "$b"
	run_berth restart -t 0 "$c"
	ip=$("$BERTH" inspect -f '{{.NetworkSettings.IPAddress}}' "$b")
	run_berth exec "$c" grep -c peer /etc/hosts
	assert "$output" == "1" "one line for the link"
	run_berth exec "$c" grep peer /etc/hosts
	assert "$output" =~ "^$ip	peer" "with its current address"
	run_berth rm -f "$b" "$c"
}

@test "a restart of the linked container updates the linking one's hosts line" {
	local a b c ip
	a=$(random_name a) b=$(random_name b) c=$(random_name c)
	run_berth run -d --name "$a" busybox sleep 300
	run_berth run -d --name "$b" busybox sleep 300
	run_berth run -d --name "$c" --link "$b:peer" busybox sleep 300
	run_berth rm -f "$a"
	run_berth restart -t 0 "$b"
	ip=$("$BERTH" inspect -f '{{.NetworkSettings.IPAddress}}' "$b")
	run_berth exec "$c" grep peer /etc/hosts
	assert "$output" =~ "^$ip	peer [0-9a-f]{12} $b$" "the linked container's new address"
	assert "${#lines[@]}" == "1" "in one line"
	run_berth rm -f "$b" "$c"
}
