#!/usr/bin/env bats
# The monitor's two halves: the full one in berth starts the container, the small
# static berth-monitor takes over while it runs (relay.h), and berth takes back at
# the exit to record it, restart or tear down.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	ensure_busybox
}

# monitor_of NAME: the pid of the container's monitor (the parent of its init)
monitor_of() {
	local pid
	pid=$("$BERTH" inspect -f '{{.State.Pid}}' "$1")
	awk '{ print $4 }' "/proc/$pid/stat"
}

@test "a running container's monitor is the idle berth-monitor, small in memory" {
	local name mon exe pss
	name=$(random_name idle)
	run_berth run -d --name "$name" busybox sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done'
	local id=$output
	sleep 1
	mon=$(monitor_of "$name")
	exe=$(readlink "/proc/$mon/exe")
	assert "${exe##*/}" == "berth-monitor" "the monitor runs the idle program"
	assert "$(tr '\0' ' ' <"/proc/$mon/cmdline")" == "berth-monitor ${id:0:12} " "its title"
	pss=$(awk '/^Pss:/ { print $2 }' "/proc/$mon/smaps_rollup")
	assert "$((pss <= 300))" == "1" "its Pss ${pss} KiB is at most 300 KiB"
	# it still serves its clients: logs, attach, signals
	run_berth kill -s TERM "$name"
	run_berth wait "$name"
	assert "$output" == "143" "the exit code recorded by berth after the idle monitor"
	run_berth inspect -f '{{.State.Status}} {{.State.Pid}}' "$name"
	assert "$output" == "exited 0" "recorded as exited"
	run_berth rm "$name"
}

@test "output, a partial line and attached clients carry across the monitor's exec" {
	local name
	name=$(random_name relay)
	run_berth run -d --name "$name" busybox sh -c \
		'echo first; printf "half-"; sleep 1; echo line; echo err >&2; sleep 1; exit 6'
	# attached before the idle monitor takes over, to the end after it
	run_berth 6 attach --no-stdin "$name"
	assert "$output" =~ "line" "the attached client got the output across the exec"
	run_berth wait "$name"
	assert "$output" == "6" "wait gives the exit code"
	run_berth logs "$name"
	assert "${lines[0]}" == "first" "the first line"
	assert "${lines[1]}" == "half-line" "the line begun before the exec and ended after it is one entry"
	assert "$(jq -r .log "$BERTH_ROOT/containers/$("$BERTH" inspect -f '{{.Id}}' "$name")"/*-json.log | tr -d '\n')" == "firsthalf-lineerr" "the json-file log holds each entry once"
	run_berth rm "$name"
}

@test "restarts and --rm go through the idle monitor too" {
	local a b
	a=$(random_name rst) b=$(random_name rm)
	run_berth run -d --name "$a" --restart on-failure:2 busybox sh -c 'sleep 0.6; exit 3'
	run_berth run -d --rm --name "$b" busybox sleep 0.8
	for _ in $(seq 100); do
		[[ $("$BERTH" inspect -f '{{.State.Status}}' "$a") == exited ]] && break
		sleep 0.1
	done
	run_berth inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "$a"
	assert "$output" == "2 exited 3" "restarted twice, then recorded"
	run_berth ps -a --format '{{.Names}}'
	assert "$output" !~ "(^|\n)$b(\n|$)" "the --rm container is gone"
	run_berth rm "$a"
}

@test "berth-monitor refuses to run without, or with a malformed, state" {
	local idle
	idle="$(dirname "$BERTH")/berth-monitor"
	run -2 "$idle" abc
	assert "$output" =~ "started by berth only" "no state: refused"
	BERTH_MONITOR_STATE=$'fds=1 2\npid=x' run -2 "$idle" abc
	assert "$output" =~ "malformed" "a malformed state: refused"
	BERTH_MONITOR_STATE=$'fds=3 4 5 6 7 8 9\npid=1\npid=1\nid=x\nroot=/\nrunroot=/\nexe=/' run -2 "$idle" abc
	assert "$output" =~ "malformed" "a key given twice: refused"
}
