#!/usr/bin/env bats
# -t and -it: a real terminal in the container, driven through script(1) so that berth
# itself runs on a terminal as it would for a person.

load helpers

setup() {
	berth_setup
	ensure_busybox
	requires tool:script
}

# in_pty COMMAND: runs COMMAND on a new terminal (rows 33, columns 77); stdin is ours.
in_pty() {
	local cmd="stty rows 33 cols 77; $*"
	printf '$ %s\n' "$cmd"
	status=0
	output=$(timeout 30 script -qec "$cmd" /dev/null) || status=$?
	output=${output//$'\r'/}
	printf '%s\n' "$output"
}

@test "-it gives the container a terminal of the caller's size" {
	in_pty "$BERTH run --rm -it busybox sh -c 'tty; stty size; test -t 0 && echo stdin-is-a-tty'" </dev/null
	assert "$status" == "0" "exit code"
	assert "$output" =~ "/dev/pts/0" "tty names the container's own terminal"
	assert "$output" =~ "33 77" "window size passed on"
	assert "$output" =~ "stdin-is-a-tty" "stdin is the terminal"
}

@test "-t alone: output through the terminal, exit code kept" {
	in_pty "$BERTH run --rm -t busybox sh -c 'echo on-tty; exit 4'" </dev/null
	assert "$status" == "4" "exit code through the terminal"
	assert "$output" =~ "on-tty" "output"
}

@test "an interactive shell has job control" {
	in_pty "$BERTH run --rm -it busybox sh -i -c 'echo \$-'" </dev/null
	assert "$output" !~ "job control turned off" "job control"
	assert "$output" !~ "can't access tty" "controlling terminal"
}

@test "input typed on the terminal reaches the container, ^C interrupts it" {
	# the keystrokes arrive after the container is up: a line, then ^C
	in_pty "$BERTH run --rm -it busybox sh -c 'read line; echo got:\$line; trap \"echo trapped; exit 5\" INT; while :; do sleep 0.1; done'" \
		< <(sleep 1.5; printf 'hello\n'; sleep 1; printf '\003'; sleep 2)
	assert "$output" =~ "got:hello" "the typed line"
	assert "$output" =~ "trapped" "^C became SIGINT in the container"
	assert "$status" == "5" "exit code after the trap"
}

@test "a resized terminal resizes the container's (SIGWINCH)" {
	in_pty "$BERTH run --rm -t busybox sh -c 'sleep 2; stty size' & sleep 0.8; stty rows 40 cols 100; kill -WINCH \$!; wait \$!" </dev/null
	assert "$output" =~ "40 100" "the new size inside"
}
