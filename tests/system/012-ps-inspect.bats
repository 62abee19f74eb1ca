#!/usr/bin/env bats
# ps with Docker's columns, flags, filters and --format; inspect and its templates.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

@test "ps flags: -a -q -l -n --no-trunc -s" {
	local a b
	a=$(random_name psa) b=$(random_name psb)
	run_berth 1 run --name "$a" busybox false
	run_berth run -d --name "$b" busybox sleep 300
	local id=$output
	run_berth ps
	assert "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ "header"
	assert "$output" =~ "$b" "the running one"
	assert "$output" !~ "$a" "not the exited one without -a"
	run_berth ps -a
	assert "$output" =~ "\"false\" .* Exited \(1\) .* $a" "the exited one with -a"
	run_berth ps -q
	assert "$output" == "${id:0:12}" "-q: short IDs of running containers"
	run_berth ps -l --format '{{.Names}}'
	assert "$output" == "$b" "-l: the latest"
	run_berth ps -n 2 --format '{{.Names}}'
	assert "${lines[*]}" == "$b $a" "-n 2: the two latest"
	run_berth ps --no-trunc -q
	assert "$output" == "$id" "--no-trunc: full IDs"
	run_berth ps -s --filter "name=$b"
	assert "${lines[0]}" =~ " SIZE$" "-s adds SIZE"
	assert "${lines[1]}" =~ "B \(virtual [0-9.]+MB\)$" "size and virtual size"
	run_berth rm -f "$a" "$b"
}

@test "ps --filter" {
	local a b
	a=$(random_name fa) b=$(random_name fb)
	run_berth create --name "$a" busybox true
	run_berth run -d --name "$b" busybox sleep 300
	run_berth ps -a --filter "name=$a" --format '{{.Names}}'
	assert "$output" == "$a" "name"
	run_berth ps --filter status=created --format '{{.Names}}'
	assert "$output" =~ "$a" "status=created (without -a)"
	assert "$output" !~ "$b" "status=created excludes running"
	run_berth ps -a --filter status=running --filter "name=f[ab]-" --format '{{.Names}}'
	assert "$output" == "$b" "two keys: both must match"
	run_berth ps -a --filter "name=$a" --filter "name=$b" --format '{{.Names}}'
	assert "${#lines[@]}" == "2" "one key twice: either matches"
	run_berth ps -a --filter ancestor=busybox --filter "name=f[ab]-" -q
	assert "${#lines[@]}" == "2" "ancestor=busybox"
	run_berth ps -a --filter "before=$b" --filter "name=$a" --format '{{.Names}}'
	assert "$output" == "$a" "before"
	run_berth ps -a --filter "since=$a" --filter "name=$b" --format '{{.Names}}'
	assert "$output" == "$b" "since"
	run_berth 1 ps --filter nosuch=1
	assert "$output" =~ "invalid filter 'nosuch'" "unknown filter key"
	run_berth 1 ps --filter status=sleepy
	run_berth rm -f "$a" "$b"
}

@test "ps --format: fields, table, json" {
	local name
	name=$(random_name fmt)
	run_berth run -d --name "$name" busybox sleep 300
	run_berth ps --filter "name=$name" --format '{{.ID}} {{.Names}} {{.State}} {{.Command}}'
	assert "$output" =~ ^[0-9a-f]{12}\ $name\ running\ \"sleep\ 300\"$ "fields"
	run_berth ps --filter "name=$name" --format 'table {{.Names}}\t{{.Image}}'
	assert "${lines[0]}" =~ ^NAMES\ +IMAGE$ "table header"
	assert "${lines[1]}" =~ ^$name\ +busybox$ "table row"
	run_berth ps --filter "name=$name" --format '{{json .Names}}'
	assert "$output" == "\"$name\"" "json"
	run_berth 1 ps --format '{{.NoSuchField}}'
	run_berth rm -f "$name"
}

@test "inspect: Docker's shape for containers and images" {
	local name
	name=$(random_name insp)
	run_berth create --name "$name" -e A=b busybox sh -c 'exit 3'
	local id=$output
	run_berth inspect "$name"
	assert "$(jq -r '.[0].Id' <<<"$output")" == "$id" "Id"
	assert "$(jq -r '.[0].Name' <<<"$output")" == "/$name" "Name with a slash"
	assert "$(jq -r '.[0].State.Status' <<<"$output")" == "created" "created"
	assert "$(jq -r '.[0].State.StartedAt' <<<"$output")" == "0001-01-01T00:00:00Z" "never started"
	assert "$(jq -r '.[0].Path' <<<"$output")" == "sh" "Path"
	assert "$(jq -c '.[0].Args' <<<"$output")" == '["-c","exit 3"]' "Args"
	assert "$(jq -r '.[0].HostConfig.RestartPolicy.Name' <<<"$output")" == "no" "HostConfig"
	assert "$(jq -r '.[0].Config.Image' <<<"$output")" == "busybox" "Config.Image"
	for key in Id Created Path Args State Image ResolvConfPath HostnamePath HostsPath LogPath Name \
		RestartCount Driver Platform HostConfig GraphDriver Mounts Config NetworkSettings; do
		assert "$(jq "has(\"$key\")" <<<"${output:1:${#output}-2}")" == "true" "key $key"
	done
	run_berth 3 start -a "$name"
	run_berth inspect --format '{{.State.Status}} {{.State.ExitCode}} {{range .Config.Env}}{{.}} {{end}}' "$name"
	assert "$output" =~ ^exited\ 3\ PATH=.*\ A=b\ $ "the issue's template"
	run_berth inspect --format '{{ json .Created }}' "$name"
	assert "$output" =~ ^\"20[0-9-]+T[0-9:.]+Z\"$ "json .Created"
	run_berth inspect -f '{{.Id}}' busybox
	assert "$output" =~ ^sha256:[0-9a-f]{64}$ "an image"
	run_berth image inspect -f '{{index .RepoTags 0}} {{.Os}} {{len .RootFS.Layers}}' busybox
	assert "$output" == "busybox:latest linux 1" "image inspect fields"
	run_berth 1 inspect nosuchthing
	assert "$output" =~ "Error: No such object: nosuchthing" "unknown object"
	run_berth 1 container inspect busybox
	run_berth 125 inspect -f '{{.Id' "$name"
	run_berth rm "$name"
}

@test "ps --filter expose and health" {
	local img a b
	img=$(random_name expimg) a=$(random_name plain) b=$(random_name exposed)
	run_berth import -c 'EXPOSE 80 53/udp' "$BUSYBOX_TAR" "$img"
	run_berth run -d --name "$a" busybox sleep 300
	run_berth run -d --name "$b" "$img" sleep 300
	run_berth ps --filter expose=80 --format '{{.Names}}'
	assert "$output" == "$b" "EXPOSE 80 from the image"
	run_berth ps --filter expose=79-81/tcp --format '{{.Names}}'
	assert "$output" == "$b" "a range"
	run_berth ps --filter expose=53/udp --format '{{.Names}}'
	assert "$output" == "$b" "udp"
	run_berth ps --filter expose=53 --format '{{.Names}}'
	assert "$output" == "" "53/tcp is not exposed"
	run_berth ps --filter health=none --filter "name=$a" --format '{{.Names}}'
	assert "$output" == "$a" "no health check: health=none"
	run_berth ps --filter health=healthy --format '{{.Names}}'
	assert "$output" == "" "nothing is healthy without a check"
	run_berth 1 ps --filter health=bad
	assert "$output" =~ "Unrecognised filter value for health: bad" "Docker's message"
	run_berth rm -f "$a" "$b"
	run_berth rmi "$img"
}

@test "ps names the network: bridge by default, none, host; --filter network" {
	local a b
	a=$(random_name br) b=$(random_name no)
	run_berth run -d --name "$a" busybox sleep 300
	run_berth run -d --name "$b" --network none busybox sleep 300
	run_berth ps --filter "name=$a" --format '{{.Networks}}'
	assert "$output" == "bridge" "the default bridge"
	run_berth ps --filter "name=$b" --format '{{.Networks}}'
	assert "$output" == "none" "--network none"
	run_berth ps --filter network=bridge --filter "name=$a" --filter "name=$b" --format '{{.Names}}'
	assert "$output" == "$a" "--filter network=bridge"
	run_berth rm -f "$a" "$b"
}
