#!/usr/bin/env bats
# Detached containers and their lifecycle: stop, kill, start, restart, wait, pause,
# rename, top, attach and detach keys, restart policies.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

@test "run -d prints the full ID and the container outlives the CLI" {
	local name
	name=$(random_name det)
	run_berth run -d --name "$name" busybox sleep 300
	assert "$output" =~ ^[0-9a-f]{64}$ "the full ID"
	local id=$output
	run_berth ps
	assert "$output" =~ "${id:0:12} +busybox +\"sleep 300\" .* Up .* $name" "listed as running"
	run_berth rm -f "$name"
	assert "$output" == "$name" "rm -f prints its argument"
}

@test "stop sends SIGTERM, then SIGKILL after -t" {
	local a b
	a=$(random_name stop) b=$(random_name stop)
	run_berth run -d --name "$a" busybox sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
	run_berth stop "$a"
	assert "$output" == "$a" "stop prints its argument"
	run_berth ps -a
	assert "$output" =~ "Exited \(3\) .* $a" "the trap's exit code"
	# pid 1 without a handler ignores SIGTERM: killed after the timeout
	run_berth run -d --name "$b" busybox sleep 300
	local start=$SECONDS
	run_berth stop -t 1 "$b"
	assert "$((SECONDS - start))" -ge 1 "waited for the timeout" 2>/dev/null || (( SECONDS - start >= 1 ))
	run_berth wait "$b"
	assert "$output" == "137" "killed: 137"
	run_berth stop "$b"
	assert "$output" == "$b" "stopping a stopped container is no error"
	run_berth rm "$a" "$b"
}

@test "the image's STOPSIGNAL is what stop sends" {
	local img c
	img=$(random_name sig) c=$(random_name sig)
	run_berth import -c 'STOPSIGNAL USR1' -c 'CMD ["sh"]' "$BUSYBOX_TAR" "$img"
	run_berth run -d --name "$c" "$img" sh -c 'trap "exit 10" USR1; while :; do sleep 0.1; done'
	run_berth stop -t 5 "$c"
	run_berth wait "$c"
	assert "$output" == "10" "SIGUSR1 reached the trap"
	run_berth rm "$c"
	run_berth rmi "$img"
}

@test "kill, kill -s and their errors" {
	local name
	name=$(random_name kill)
	run_berth run -d --name "$name" busybox sh -c 'trap "exit 7" HUP; while :; do sleep 0.1; done'
	run_berth kill -s HUP "$name"
	run_berth wait "$name"
	assert "$output" == "7" "SIGHUP trapped"
	run_berth 1 kill "$name"
	assert "$output" =~ "Cannot kill container: $name: Container [0-9a-f]{64} is not running" \
		"kill of a stopped container"
	run_berth start "$name"
	run_berth kill "$name"
	run_berth wait "$name"
	assert "$output" == "137" "SIGKILL by default"
	run_berth 125 kill -s NOSUCH "$name"
	run_berth rm "$name"
}

@test "start, start -a and restart" {
	local name
	name=$(random_name start)
	run_berth create --name "$name" busybox sh -c 'echo hello; exit 5'
	run_berth 5 start -a "$name"
	assert "$output" == "hello" "start -a shows the output and returns the exit code"
	run_berth start "$name"
	assert "$output" == "$name" "start prints its argument"
	run_berth wait "$name"
	assert "$output" == "5" "exit code"
	run_berth rm "$name"
	run_berth run -d --name "$name" busybox sleep 300
	local pid1
	pid1=$(cat /proc/*/cmdline 2>/dev/null | tr '\0' ' ' | grep -c "sleep 300")
	run_berth restart -t 1 "$name"
	assert "$output" == "$name" "restart prints its argument"
	run_berth ps
	assert "$output" =~ "Up .* $name" "running again"
	run_berth rm -f "$name"
	run_berth 1 start nosuchcontainer
	assert "$output" =~ "No such container: nosuchcontainer" "unknown container"
}

@test "wait blocks until the container exits" {
	local name
	name=$(random_name wait)
	run_berth run -d --name "$name" busybox sh -c 'sleep 1; exit 4'
	local start=$SECONDS
	run_berth wait "$name"
	assert "$output" == "4" "the exit code"
	run_berth rm "$name"
	run_berth 1 wait nosuchcontainer
}

@test "pause and unpause" {
	local name
	name=$(random_name pause)
	run_berth run -d --name "$name" busybox sleep 300
	run_berth pause "$name"
	assert "$output" == "$name" "pause prints its argument"
	run_berth ps
	assert "$output" =~ "Up .* \(Paused\) .* $name" "paused in ps"
	run_berth 1 pause "$name"
	assert "$output" =~ "is already paused" "pausing twice"
	run_berth unpause "$name"
	run_berth 1 unpause "$name"
	assert "$output" =~ "is not paused" "unpausing twice"
	run_berth stop -t 1 "$name"
	run_berth 1 pause "$name"
	assert "$output" =~ "is not running" "pausing a stopped container"
	run_berth rm "$name"
}

@test "rename" {
	local a b c
	a=$(random_name ren) b=$(random_name ren) c=$(random_name ren)
	run_berth create --name "$a" busybox true
	run_berth create --name "$c" busybox true
	run_berth rename "$a" "$b"
	run_berth ps -a
	assert "$output" =~ " $b" "the new name"
	assert "$output" !~ " $a\$" "not the old one"
	run_berth 1 rename "$b" "$c"
	assert "$output" =~ "already in use" "a taken name"
	run_berth 1 rename "$b" "bad name"
	run_berth rm "$b" "$c"
}

@test "top lists the container's processes" {
	local name
	name=$(random_name top)
	run_berth run -d --name "$name" busybox sleep 300
	run_berth top "$name"
	assert "${lines[0]}" =~ ^UID\ +PID\ +PPID "ps -ef header"
	assert "$output" =~ "sleep 300" "the process"
	assert "${#lines[@]}" == "2" "only the container's processes"
	run_berth rm -f "$name"
	run_berth 1 top "$name"
}

@test "restart policies: on-failure:3 restarts three times, always stops with stop" {
	local a b
	a=$(random_name rp) b=$(random_name rp)
	run_berth run -d --restart on-failure:3 --name "$a" busybox sh -c 'echo ran; exit 1'
	local id=$output
	for _ in $(seq 60); do
		[[ $(berth_quiet ps -a) =~ Exited\ \(1\).*$a ]] && break
		sleep 0.1
	done
	run_berth ps -a
	assert "$output" =~ "Exited \(1\) .* $a" "exited in the end"
	assert "$(grep -c '"log":"ran' "$BERTH_ROOT/containers/$id/$id-json.log")" == "4" \
		"one run and three restarts"
	run_berth run -d --restart always --name "$b" busybox sh -c 'sleep 0.2; exit 0'
	sleep 1
	run_berth stop -t 1 "$b"
	sleep 0.5
	run_berth ps -a
	assert "$output" =~ "Exited \([0-9]+\) .* $b" "a stopped container stays stopped"
	run_berth rm "$a" "$b"
	run_berth 125 run --rm --restart always busybox true
	assert "$output" =~ "Conflicting options: --restart and --rm" "--rm with --restart"
	run_berth 125 run --restart sometimes busybox true
}

@test "attach, and ^P^Q detaches from run -it" {
	requires tool:script
	local name
	name=$(random_name att)
	run_berth run -dit --name "$name" busybox sh
	# type a command, then the detach keys: the container runs on
	output=$(timeout 20 script -qec "$BERTH attach $name" /dev/null \
		< <(sleep 1; printf 'echo typed-$((6*7))\n'; sleep 1; printf '\020\021'; sleep 1))
	assert "$output" =~ "typed-42" "the command ran in the attached shell"
	run_berth ps
	assert "$output" =~ "Up .* $name" "still running after the detach"
	output=$(timeout 20 script -qec "$BERTH attach --detach-keys ctrl-x,x $name" /dev/null \
		< <(sleep 1; printf '\030x'; sleep 1))
	run_berth ps
	assert "$output" =~ "Up .* $name" "still running after custom detach keys"
	run_berth rm -f "$name"
	run_berth 1 attach "$name"
}

@test "a crash of the CLI during run -d leaves the container running or absent" {
	local name
	for i in 1 2 3 4 5 6 7 8; do
		name=$(random_name crash)
		"$BERTH" run -d --name "$name" busybox sleep 300 >/dev/null 2>&1 &
		local pid=$!
		sleep "0.00$i"
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		sleep 0.2
		run_berth ps -a
		local row
		row=$(grep " $name\$" <<<"$output" || true)
		if [[ -n $row ]]; then
			assert "$row" =~ " Up " "listed only as running"
			run_berth rm -f "$name"
		fi
	done
}
