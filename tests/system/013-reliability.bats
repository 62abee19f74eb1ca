#!/usr/bin/env bats
# Concurrency, big outputs, slow clients and ambiguous names.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

@test "concurrent run -d and rm -f: nothing lost, nothing duplicated, no lock errors" {
	local out=$BATS_TEST_TMPDIR/out round i
	for round in 1 2 3 4 5; do
		: >"$out"
		for i in $(seq 20); do
			"$BERTH" run -d --name "conc-$round-$i" busybox sleep 300 >>"$out" 2>&1 &
		done
		wait
		assert "$(grep -c -E '^[0-9a-f]{64}$' "$out")" == "20" "round $round: 20 IDs"
		assert "$(grep -ci 'locked' "$out")" == "0" "round $round: no database lock errors"
		run_berth ps -a --filter "name=conc-$round-" --format '{{.Names}}'
		assert "$(sort <<<"$output" | uniq | wc -l)" == "20" "round $round: 20 distinct containers"
		assert "${#lines[@]}" == "20" "round $round: no duplicates"
		: >"$out"
		for i in $(seq 20); do
			"$BERTH" rm -f "conc-$round-$i" >>"$out" 2>&1 &
		done
		wait
		assert "$(grep -c "^conc-$round-" "$out")" == "20" "round $round: 20 removed"
		assert "$(grep -ci 'locked' "$out")" == "0" "round $round: no lock errors on rm"
	done
	run_berth ps -a -q
	assert "$output" == "" "nothing left"
}

@test "concurrent runs with the same name: exactly one wins" {
	local out=$BATS_TEST_TMPDIR/out name
	name=$(random_name same)
	for i in $(seq 10); do
		"$BERTH" run -d --name "$name" busybox sleep 300 >>"$out" 2>&1 &
	done
	wait
	assert "$(grep -c -E '^[0-9a-f]{64}$' "$out")" == "1" "one container made"
	assert "$(grep -c 'is already in use' "$out")" == "9" "nine refused"
	run_berth rm -f "$name"
}

@test "100 MB of output: all of it in the log, the monitor's memory flat, a stuck client no brake" {
	local name mon hwm=0 v
	name=$(random_name big)
	run_berth run -d --name "$name" busybox sh -c \
		'sleep 1; head -c 100000000 /dev/zero | tr "\0" a | fold -w 99'
	local id=$output
	mon=$(pgrep -f "^berth-monitor ${id:0:12}")
	# an attached client that never reads its output
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	"$BERTH" attach --no-stdin "$name" >"$BATS_TEST_TMPDIR/fifo" 2>/dev/null &
	local stuck=$!
	exec 9<>"$BATS_TEST_TMPDIR/fifo" # keeps the fifo open without reading it
	local start=$SECONDS
	while [[ -d /proc/$mon ]]; do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$mon/status" 2>/dev/null) || v=0
		((${v:-0} > hwm)) && hwm=$v
		sleep 0.2
	done
	exec 9>&-
	kill "$stuck" 2>/dev/null || true
	wait "$stuck" 2>/dev/null || true
	assert "$((SECONDS - start < 60))" == "1" "done within a minute despite the stuck client"
	assert "$((hwm < 16384))" == "1" "the monitor's peak RSS ${hwm} KiB stays small"
	run_berth wait "$name"
	assert "$output" == "0" "exit code"
	local lines_logged
	lines_logged=$("$BERTH" logs "$name" | wc -l)
	assert "$lines_logged" == "$((100000000 / 99))" "every line in the log (the last has no newline)"
	run_berth rm "$name"
}

@test "an ambiguous ID prefix is refused, a unique one accepted" {
	local i ids prefix
	for i in $(seq 20); do
		run_berth create --name "amb-$i" busybox true
	done
	run_berth ps -a --no-trunc -q
	ids=$output
	# 20 IDs over 16 first characters: two share one
	prefix=$(cut -c1 <<<"$ids" | sort | uniq -d | head -1)
	run_berth 1 rm "$prefix"
	assert "$output" =~ "multiple IDs found with provided prefix: $prefix" "ambiguous"
	local one
	one=$(head -1 <<<"$ids")
	run_berth inspect -f '{{.Id}}' "${one:0:16}"
	assert "$output" == "$one" "a unique prefix names the container"
	for i in $(seq 20); do
		run_berth rm "amb-$i"
	done
}

@test "start of a running container is no error; exec into a stopped one is" {
	local name
	name=$(random_name st)
	run_berth run -d --name "$name" busybox sleep 300
	run_berth start "$name"
	assert "$output" == "$name" "start of a running container"
	run_berth stop -t 1 "$name"
	run_berth 1 exec "$name" true
	assert "$output" =~ "is not running" "exec into a stopped container"
	run_berth rm "$name"
}
