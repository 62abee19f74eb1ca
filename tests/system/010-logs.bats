#!/usr/bin/env bats
# berth logs: the json-file log as Docker prints it; --tail, --since/--until, -t,
# --details, -f; rotation by --log-opt max-size/max-file.

load helpers

# Docker's logtest container (tests of the reference outputs)
LOGTEST_CMD='echo out1; echo err1 >&2; echo "out2 with  spaces"; printf "no-newline-at-end"'

setup() {
	berth_setup
	ensure_busybox
}

# logs_split ARGS...: `berth logs ARGS` with stdout and stderr apart, in $out and $err
# (each byte kept: a missing final newline shows), exit code in $status.
logs_split() {
	local dir=$BATS_TEST_TMPDIR
	printf '$ berth logs %s\n' "${*@Q}"
	status=0
	timeout -k 10 "$BERTH_TIMEOUT" "$BERTH" logs "$@" >"$dir/out" 2>"$dir/err" || status=$?
	out=$(cat "$dir/out"; echo .) && out=${out%.}
	err=$(cat "$dir/err"; echo .) && err=${err%.}
	printf 'stdout: %s\nstderr: %s\n' "${out@Q}" "${err@Q}"
	[[ $status == 0 ]] || die "berth logs exited with $status"
}

# log_path NAME: the container's json-file log
log_path() {
	local id
	id=$("$BERTH" inspect --format '{{.Id}}' "$1") || die "cannot inspect $1"
	printf '%s/containers/%s/%s-json.log\n' "$BERTH_ROOT" "$id" "$id"
}

@test "logs of a finished container: stdout and stderr apart, as Docker prints them" {
	local name
	name=$(random_name logs)
	run_berth run --name "$name" busybox sh -c "$LOGTEST_CMD"
	logs_split "$name"
	# docker-logs-logtest.txt and docker-logs-logtest.stderr.txt, byte for byte
	assert "$out" == $'out1\nout2 with  spaces\nno-newline-at-end' "stdout, the last line without newline"
	assert "$err" == $'err1\n' "stderr"
	run_berth logs "$name"
	assert "${#lines[@]}" == 4 "four lines together"
	run_berth container logs "$name"
	assert "$output" =~ "out2 with  spaces" "the container logs alias"
	run_berth rm "$name"
}

@test "the log is Docker's json-file format" {
	local name log
	name=$(random_name logs)
	run_berth run --name "$name" busybox sh -c "$LOGTEST_CMD"
	log=$(log_path "$name")
	run cat "$log"
	local t='"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z"'
	assert "${#lines[@]}" == 4 "one object per line"
	assert "$output" =~ "\{\"log\":\"out1\\\\n\",\"stream\":\"stdout\",$t\}" "out1"
	assert "$output" =~ "\{\"log\":\"err1\\\\n\",\"stream\":\"stderr\",$t\}" "err1"
	assert "${lines[3]}" =~ "^\{\"log\":\"no-newline-at-end\",\"stream\":\"stdout\",$t\}$" \
		"the last output without \\n"
	run_berth rm "$name"
}

@test "logs -t: UTC with a fixed 9-digit fraction, one space, the text" {
	local name re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z'
	name=$(random_name logs)
	run_berth run --name "$name" busybox sh -c "$LOGTEST_CMD"
	logs_split --timestamps "$name"
	assert "$out" =~ ^"$re"' out1'$'\n'"$re"' out2 with  spaces'$'\n'"$re"' no-newline-at-end$' \
		"stdout with times"
	assert "$err" =~ ^"$re"' err1'$'\n'$ "stderr with times"
	logs_split -t "$name"
	assert "$err" =~ ^"$re"' err1'$'\n'$ "-t"
	run_berth rm "$name"
}

@test "logs --tail N, -n N, --tail all" {
	local name
	name=$(random_name logs)
	run_berth run --name "$name" busybox sh -c 'for i in $(seq 1 20); do echo line$i; done'
	run_berth logs --tail 3 "$name"
	assert "$output" == $'line18\nline19\nline20' "--tail 3"
	run_berth logs -n 1 "$name"
	assert "$output" == "line20" "-n 1"
	run_berth logs --tail 0 "$name"
	assert "$output" == "" "--tail 0"
	run_berth logs --tail all "$name"
	assert "${#lines[@]}" == 20 "--tail all"
	run_berth logs --tail 100 "$name"
	assert "${#lines[@]}" == 20 "--tail beyond the log"
	run_berth logs --tail=2 -t "$name"
	assert "${lines[1]}" =~ "Z line20$" "--tail= with -t"
	run_berth rm "$name"
}

@test "logs --since and --until: RFC 3339, Unix times and durations" {
	local name ta tb unix
	name=$(random_name logs)
	run_berth run --name "$name" busybox sh -c 'echo a; sleep 1.2; echo b'
	run_berth logs -t "$name"
	ta=${lines[0]%% *} tb=${lines[1]%% *}
	run_berth logs --since "$tb" "$name"
	assert "$output" == "b" "--since the second entry's time"
	run_berth logs --until "$ta" "$name"
	assert "$output" == "a" "--until the first entry's time"
	run_berth logs --since "$ta" --until "$tb" "$name"
	assert "$output" == $'a\nb' "both bounds are inclusive"
	unix=$(date -u -d "$tb" +%s.%N)
	run_berth logs --since "$unix" "$name"
	assert "$output" == "b" "--since a Unix time with fraction"
	run_berth logs --since 1h "$name"
	assert "$output" == $'a\nb' "--since 1h"
	run_berth logs --until 1h "$name"
	assert "$output" == "" "--until 1h ago"
	run_berth logs --since 2099-01-01 "$name"
	assert "$output" == "" "--since a date to come"
	run_berth 1 logs --since yesterday "$name"
	assert "$output" == 'failed to parse value as time or duration: "yesterday"' "a bad value"
	run_berth 1 logs --until 2026-13-01 "$name"
	assert "$output" == 'parsing time "2026-13-01": month out of range' "a bad date"
	run_berth rm "$name"
}

@test "logs --details: the attributes, none here, then a space" {
	local name
	name=$(random_name logs)
	run_berth run --name "$name" busybox echo hello
	logs_split --details "$name"
	assert "$out" == $' hello\n' "a leading space"
	run_berth rm "$name"
}

@test "logs -f follows a running container until it exits" {
	local name start
	name=$(random_name logs)
	run_berth run -d --name "$name" busybox sh -c 'echo start; sleep 1; echo middle >&2; sleep 1; printf end'
	start=$SECONDS
	logs_split -f "$name"
	assert "$out" == $'start\nend' "stdout, to the end"
	assert "$err" == $'middle\n' "stderr"
	(( SECONDS - start >= 1 )) || die "logs -f returned before the container exited"
	run_berth rm "$name"
}

@test "logs -f --tail 1 -t, and -f ends when the container is removed" {
	local name pid i
	name=$(random_name logs)
	run_berth run -d --name "$name" busybox sh -c 'echo one; echo two; echo three; sleep 300'
	for ((i = 0; i < 100; i++)); do
		[[ $("$BERTH" logs --tail 1 "$name") == three ]] && break
		sleep 0.1
	done
	timeout 30 "$BERTH" logs -f --tail 1 -t "$name" >"$BATS_TEST_TMPDIR/follow" 2>&1 &
	pid=$!
	sleep 1
	kill -0 "$pid" || die "logs -f did not wait for more"
	run_berth rm -f "$name"
	local rc=0
	wait "$pid" || rc=$?
	assert "$rc" == 0 "logs -f ended with the container"
	run cat "$BATS_TEST_TMPDIR/follow"
	assert "$output" =~ ^[0-9-]+T[0-9:.]+Z\ three$ "only the last line, with its time"
}

@test "logs -f on a container that is not running prints what there is and returns" {
	local name
	name=$(random_name logs)
	run_berth run --name "$name" busybox echo finished
	run_berth logs -f "$name"
	assert "$output" == "finished" "the log, then the end"
	run_berth create --name "$name-new" busybox echo never
	run_berth logs -f "$name-new"
	assert "$output" == "" "a container that never ran has no log"
	run_berth rm "$name" "$name-new"
}

@test "logs of an unknown container, and bad arguments" {
	run_berth 1 logs nosuchcontainer
	assert "$output" == "Error response from daemon: No such container: nosuchcontainer" \
		"Docker's message"
	run_berth 125 logs
	assert "${lines[0]}" == 'berth: "logs" requires exactly 1 argument.' "no container"
	run_berth 125 logs --no-such-flag x
	assert "${lines[0]}" == "berth: unknown flag: --no-such-flag" "unknown flag"
	run_berth logs --help
	assert "$output" =~ "Fetch the logs of a container" "help"
}

@test "logs of a container with --log-driver none" {
	local name
	name=$(random_name logs)
	run_berth run --name "$name" --log-driver none busybox echo hidden
	assert "$output" == "hidden" "run still prints the output"
	run_berth 1 logs "$name"
	assert "$output" == "Error response from daemon: configured logging driver does not support reading" \
		"Docker's message"
	run_berth rm "$name"
}

@test "--log-opt max-size and max-file rotate the log; logs reads across the files" {
	local name log
	name=$(random_name logs)
	run_berth run --name "$name" --log-opt max-size=2k --log-opt max-file=3 busybox \
		sh -c 'for i in $(seq 1 300); do echo "line $i"; done'
	log=$(log_path "$name")
	[[ -e $log.1 && -e $log.2 && ! -e $log.3 ]] || die "expected $log, .1, .2 and no .3"
	local size
	size=$(stat -c %s "$log.1")
	((size >= 2000 && size < 2200)) || die "$log.1 is $size bytes, expected 2000 and one entry at most"
	run_berth logs "$name"
	assert "${lines[-1]}" == "line 300" "the last line"
	local first=${lines[0]#line } i=0
	for ((i = 0; i < ${#lines[@]}; i++)); do
		[[ ${lines[i]} == "line $((first + i))" ]] || die "line $i is '${lines[i]}'"
	done
	((first > 1)) || die "max-file 3 dropped the oldest lines"
	run_berth logs --tail 40 "$name"
	assert "${lines[0]}" == "line 261" "--tail across the rotated files"
	assert "${#lines[@]}" == 40 "40 lines"
	run_berth rm "$name"
}

@test "--log-opt values with Docker's errors" {
	run_berth 125 run --rm --log-opt max-size=abc busybox true
	assert "$output" =~ "invalid size: 'abc'" "a bad max-size"
	run_berth 125 run --rm --log-opt max-file=0 busybox true
	assert "$output" =~ "max-file cannot be less than 1" "a bad max-file"
	run_berth 125 run --rm --log-opt nosuch=1 busybox true
	assert "$output" =~ "unknown log opt 'nosuch' for json-file log driver" "an unknown option"
}
