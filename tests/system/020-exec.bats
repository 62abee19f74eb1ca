#!/usr/bin/env bats
# berth exec: a process in a running container, in its namespaces and cgroup, with its
# capabilities, seccomp profile and no_new_privs; terminals, detached processes, errors.

load helpers

setup() {
	berth_setup
	ensure_busybox
	cname= cid=
}

teardown() {
	if [[ -n $cname ]]; then
		run_berth rm -f "$cname" >/dev/null
	fi
	berth_teardown
}

# start_container IMAGE [RUN FLAGS...]: a running container named $cname, its ID in $cid,
# its init `sleep 300`.
start_container() {
	local image=$1
	shift
	cname=$(random_name exec)
	run_berth run -d --name "$cname" "$@" "$image" sleep 300
	cid=$output
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

# status_field KEY: a field of /proc/1/status (the container's init) from $output
status_field() {
	local line
	for line in "${lines[@]}"; do
		if [[ $line == "$1:"* ]]; then
			line=${line#*:}
			printf '%s\n' "${line//[[:space:]]/}"
			return 0
		fi
	done
	die "no '$1:' in the output"
}

@test "exec runs a command in the container and passes its exit code on" {
	start_container busybox
	run_berth exec "$cname" echo hello world
	assert "$output" == "hello world" "output of echo"
	run_berth 7 exec "$cname" sh -c 'exit 7'
	run_berth 137 exec "$cname" sh -c 'kill -9 $$'
	run_berth exec "$cname" sh -c 'echo out; echo err >&2'
	assert "$output" =~ "out" "stdout"
	assert "$output" =~ "err" "stderr"
}

@test "exec joins every namespace of the container's init" {
	start_container busybox
	local ns host
	for ns in pid mnt net uts ipc cgroup; do
		run_berth exec "$cname" sh -c "readlink /proc/1/ns/$ns; readlink /proc/self/ns/$ns"
		assert "${lines[1]}" == "${lines[0]}" "$ns namespace of exec and of the init"
		host=$(readlink "/proc/self/ns/$ns")
		assert "${lines[1]}" != "$host" "$ns namespace is not the host's"
	done
	run_berth exec "$cname" hostname
	assert "$output" == "${cid:0:12}" "the container's hostname (its short ID)"
}

@test "exec sees the container's processes and is in its cgroup" {
	start_container busybox
	run_berth exec "$cname" ps
	assert "$output" =~ "1 root +sleep 300" "the init is pid 1"
	assert "${#lines[@]}" == "3" "header, init, ps: nothing of the host"
	run_berth exec "$cname" sh -c '[ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ] && echo same'
	assert "$output" == "same" "cgroups of exec and of the init"
}

@test "exec -e, -w, -u and the container's environment and working directory" {
	start_container busybox -e FROM_RUN=1 -w /tmp
	run_berth exec "$cname" sh -c 'echo $FROM_RUN $HOSTNAME $HOME; pwd; id -u'
	assert "${lines[0]}" =~ "^1 [0-9a-f]{12} /root$" "the container's env, HOSTNAME and HOME"
	assert "${lines[1]}" == "/tmp" "the container's working directory"
	assert "${lines[2]}" == "0" "root by default"
	run_berth exec -e FOO=bar -e FROM_RUN=2 -w /etc "$cname" sh -c 'echo $FOO $FROM_RUN; pwd'
	assert "${lines[0]}" == "bar 2" "-e adds and overrides"
	assert "${lines[1]}" == "/etc" "-w"
	printf 'FILE1=one\n# comment\nFILE2=two\n' >"$BATS_TEST_TMPDIR/env"
	run_berth exec --env-file "$BATS_TEST_TMPDIR/env" "$cname" sh -c 'echo $FILE1 $FILE2'
	assert "$output" == "one two" "--env-file"
	run_berth exec -u nobody "$cname" sh -c 'id -u; grep CapEff /proc/self/status'
	assert "${lines[0]}" == "65534" "-u nobody"
	assert "${lines[1]}" =~ "CapEff:[[:space:]]+0000000000000000" "no effective caps for nobody"
	run_berth exec -u 1234:5678 "$cname" sh -c 'id -u; id -g'
	assert "${lines[*]}" == "1234 5678" "-u uid:gid not in passwd"
}

@test "exec has the capabilities, seccomp and no_new_privs of the container" {
	ensure_probe_image
	start_container berth-probe
	run_berth exec "$cname" cat /proc/1/status
	local eff bnd sec nnp
	eff=$(status_field CapEff) bnd=$(status_field CapBnd)
	sec=$(status_field Seccomp) nnp=$(status_field NoNewPrivs)
	run_berth exec "$cname" berth-probe
	assert "$(probe_value cap_eff)" == "$eff" "effective set as the init's"
	assert "$(probe_value cap_eff)" == "00000000a80425fb" "Docker's default set"
	assert "$(probe_value cap_bnd)" == "$bnd" "bounding set as the init's"
	assert "$(probe_value cap_amb)" == "0000000000000000" "ambient set"
	assert "$(probe_value seccomp)" == "$sec" "seccomp mode as the init's"
	assert "$(probe_value no_new_privs)" == "$nnp" "no_new_privs as the init's"
	run_berth exec "$cname" berth-probe syscall keyctl
	assert "$(probe_value keyctl)" == "EPERM" "the default profile refuses keyctl"
}

@test "exec follows --cap-drop and --security-opt of the container" {
	ensure_probe_image
	start_container berth-probe --cap-drop CHOWN --security-opt no-new-privileges
	run_berth exec "$cname" berth-probe
	assert "$(probe_value cap_eff)" == "00000000a80425fa" "CHOWN dropped"
	assert "$(probe_value cap_bnd)" == "00000000a80425fa" "CHOWN dropped from the bounding set"
	assert "$(probe_value no_new_privs)" == "1" "no_new_privs"
	assert "$(probe_value seccomp)" == "2" "seccomp"
}

@test "exec --privileged: every capability, the container's seccomp; a privileged container has none" {
	ensure_probe_image
	start_container berth-probe
	run_berth exec --privileged "$cname" berth-probe
	assert "$(probe_value seccomp)" == "2" "the container's filter stays, as Docker's (moby#21984)"
	assert "$(probe_value cap_eff)" != "00000000a80425fb" "more than the default set"
	run_berth exec "$cname" berth-probe
	assert "$(probe_value seccomp)" == "2" "the next exec is confined again"
	run_berth rm -f "$cname"
	start_container berth-probe --privileged
	run_berth exec "$cname" berth-probe
	assert "$(probe_value seccomp)" == "0" "no seccomp in a privileged container"
	assert "$(probe_value cap_eff)" != "00000000a80425fb" "all capabilities"
}

@test "exec -i passes stdin on; without -i stdin is empty" {
	start_container busybox
	run_berth exec -i "$cname" cat <<<"typed in"
	assert "$output" == "typed in" "stdin with -i"
	run_berth exec "$cname" sh -c 'cat; echo end' <<<"not passed"
	assert "$output" == "end" "no stdin without -i"
	run_berth exec -i "$cname" sh -c 'wc -c' < <(head -c 1000000 /dev/zero)
	assert "$output" == "1000000" "a megabyte through stdin"
}

@test "exec -t and -it: a terminal of the caller's size, typed input, ^C" {
	requires tool:script
	start_container busybox
	in_pty "$BERTH exec -it $cname sh -c 'tty; stty size; test -t 0 && echo stdin-is-a-tty; echo \$TERM; exit 3'" </dev/null
	assert "$status" == "3" "exit code through the terminal"
	assert "$output" =~ "/dev/pts/[0-9]+" "a terminal of the container's devpts"
	assert "$output" =~ "33 77" "window size passed on"
	assert "$output" =~ "stdin-is-a-tty" "stdin is the terminal"
	assert "$output" =~ "xterm" "TERM"
	in_pty "$BERTH exec -t $cname sh -c 'echo on-tty; exit 4'" </dev/null
	assert "$status" == "4" "-t alone: exit code"
	assert "$output" =~ "on-tty" "-t alone: output"
	in_pty "$BERTH exec -it $cname sh -c 'read line; echo got:\$line; trap \"echo trapped; exit 5\" INT; while :; do sleep 0.1; done'" \
		< <(sleep 1.5; printf 'hello\n'; sleep 1; printf '\003'; sleep 2)
	assert "$output" =~ "got:hello" "the typed line"
	assert "$output" =~ "trapped" "^C became SIGINT in the container"
	assert "$status" == "5" "exit code after the trap"
	in_pty "$BERTH exec -t $cname sh -c 'sleep 2; stty size' & sleep 0.8; stty rows 40 cols 100; kill -WINCH \$!; wait \$!" </dev/null
	assert "$output" =~ "40 100" "SIGWINCH resizes the terminal"
	run_berth 1 exec -it "$cname" true </dev/null
	assert "$output" == "the input device is not a TTY" "-it needs a terminal"
}

@test "signals to exec reach the process" {
	start_container busybox
	local out=$BATS_TEST_TMPDIR/out pid rc=0
	timeout 30 "$BERTH" exec "$cname" sh -c 'trap "echo got-term; exit 9" TERM; while :; do sleep 0.1; done' >"$out" &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert "$rc" == "9" "exit code of the trap"
	assert "$(cat "$out")" == "got-term" "the trap ran"
}

@test "exec -dt keeps a terminal; ^P^Q and --detach-keys detach from exec -it" {
	requires tool:script
	start_container busybox
	run_berth exec -dt "$cname" sh -c 'tty > /tmp/tty; sleep 7732'
	local i
	for i in $(seq 20); do
		run_berth '?' exec "$cname" cat /tmp/tty
		[[ $output == /dev/pts/* ]] && break
		sleep 0.1
	done
	assert "$output" =~ ^/dev/pts/[0-9]+$ "exec -dt runs on a terminal"
	# typed: a command, then ^P^Q; the shell runs on after the detach
	in_pty "$BERTH exec -it $cname sh -c 'sh; echo done > /tmp/done'" \
		< <(sleep 1; printf 'echo typed > /tmp/typed\r'; sleep 1; printf '\020\021'; sleep 2)
	assert "$status" == "0" "detaching exits 0"
	run_berth exec "$cname" cat /tmp/typed
	assert "$output" == "typed" "what came before the keys reached the shell"
	run_berth exec "$cname" ps
	assert "$output" =~ "echo done" "the process runs on after the detach"
	run_berth 125 exec --detach-keys=ctrl-xx "$cname" true
	assert "$output" =~ "Invalid detach keys" "a bad sequence"
	in_pty "$BERTH exec -it --detach-keys=ctrl-x,x $cname sleep 30" < <(sleep 1; printf '\030x'; sleep 2)
	assert "$status" == "0" "--detach-keys=ctrl-x,x: ^X x detaches"
	run_berth rm -f "$cname"
}

@test "exec -d leaves the process running in the container" {
	start_container busybox
	run_berth exec -d "$cname" sleep 7731
	assert "$output" == "" "-d prints nothing"
	run_berth exec "$cname" ps
	assert "$output" =~ "sleep 7731" "the detached process runs"
	local pid
	pid=$(pgrep -xf 'sleep 7731')
	assert "$(grep -c "/berth/$cid\$" "/proc/$pid/cgroup")" != "0" "in the container's cgroup"
	run_berth exec -d "$cname" sh -c 'echo detached >/tmp/mark'
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		run_berth '?' exec "$cname" cat /tmp/mark
		[[ $output == detached ]] && break
		sleep 0.2
	done
	assert "$output" == "detached" "a detached command ran"
}

@test "exec errors: unknown and stopped containers, missing and unrunnable commands" {
	run_berth 1 exec nosuch-container-x true
	assert "$output" == "Error response from daemon: No such container: nosuch-container-x" \
		"unknown container"
	local stopped
	stopped=$(random_name exec-stopped)
	run_berth run --name "$stopped" busybox true
	run_berth 1 exec "$stopped" true
	assert "$output" =~ "^Error response from daemon: Container [0-9a-f]{64} is not running$" \
		"stopped container"
	run_berth rm -f "$stopped"
	start_container busybox
	# Docker writes these to stdout, each line ending in \r\n
	run_berth 127 exec "$cname" nosuch
	assert "${output%$'\r'}" == 'OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown' \
		"missing command"
	run_berth 126 exec "$cname" /etc/passwd
	assert "$output" =~ 'exec: "/etc/passwd": permission denied' "not executable"
	run_berth 126 exec -u nosuch "$cname" true
	assert "${output%$'\r'}" == "unable to find user nosuch: no matching entries in passwd file" \
		"unknown user"
	run_berth 126 exec -w /nosuch "$cname" true
	assert "$output" =~ 'chdir to cwd \("/nosuch"\)' "missing working directory"
	run_berth 125 exec "$cname"
	assert "$output" =~ '"exec" requires at least 2 arguments' "no command"
}

@test "exec without pidfds joins through /proc/PID/ns" {
	[[ -x $BERTH_ENOSYS ]] || die "no $BERTH_ENOSYS (ninja -C $BUILD tests/helpers/berth-enosys)"
	start_container busybox
	local ns
	for ns in pid mnt net uts ipc cgroup; do
		BERTH="$BERTH_ENOSYS" run_berth pidfd_open "$BERTH" exec "$cname" \
			sh -c "readlink /proc/1/ns/$ns; readlink /proc/self/ns/$ns"
		assert "${lines[1]}" == "${lines[0]}" "$ns namespace of exec and of the init"
	done
}
