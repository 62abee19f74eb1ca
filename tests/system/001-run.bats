#!/usr/bin/env bats
# berth run: the process, its environment, exit codes and isolation.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

@test "run echo prints its output" {
	run_berth run --rm busybox echo hello world
	assert "$output" == "hello world" "output of echo"
}

@test "the container's exit code is berth's" {
	run_berth 3 run --rm busybox sh -c 'exit 3'
	run_berth 0 run --rm busybox true
	run_berth 1 run --rm busybox false
}

@test "a command that does not exist is 127, with Docker's message" {
	run_berth 127 run --rm busybox /nonexistent
	assert "$output" =~ 'exec: "/nonexistent": stat /nonexistent: no such file or directory' \
		"message for a missing path"
	run_berth 127 run --rm busybox nosuchcommand
	assert "$output" =~ 'executable file not found in \$PATH' "message for a missing command"
}

@test "a command that cannot be executed is 126" {
	run_berth 126 run --rm busybox /etc/passwd
	assert "$output" =~ "permission denied" "message for a file without x bit"
}

@test "a missing image is 125 with Docker's message" {
	run_berth 125 run --rm nosuchimage:1 true
	assert "${lines[0]}" == "Unable to find image 'nosuchimage:1' locally" "first line"
	assert "$output" =~ "No such image: nosuchimage:1" "error"
}

@test "unknown flags and bad values are 125" {
	run_berth 125 run --no-such-flag busybox true
	assert "${lines[0]}" == "berth: unknown flag: --no-such-flag" "unknown flag message"
	assert "${lines[1]}" == "See 'berth run --help'." "help hint"
	run_berth 125 run -x busybox true
	assert "${lines[0]}" == "berth: unknown shorthand flag: 'x' in -x" "unknown shorthand"
	run_berth 125 run --name
	assert "${lines[0]}" == "berth: flag needs an argument: --name" "missing argument"
	run_berth 125 run -m lots busybox true
	assert "$output" =~ 'invalid argument "lots" for "-m, --memory" flag' "bad -m value"
	run_berth 125 run -m 1k busybox true
	assert "$output" =~ "Minimum memory limit allowed is 6MB" "too small -m"
	run_berth 125 run --cpus abc busybox true
	run_berth 125 run --rm --ulimit nofile=99999999:99999999 busybox true
	assert "$output" =~ "exceeds" "ulimit beyond berth's own hard limit"
}

@test "a user missing from the image is an error" {
	run_berth 125 run --rm -u nosuchuser busybox true
	assert "$output" =~ "unable to find user nosuchuser: no matching entries in passwd file" \
		"message"
}

@test "env, workdir, user and hostname" {
	run_berth run --rm -e A=1 -w /tmp -u nobody --hostname box busybox \
		sh -c 'echo $A $(pwd) $(id -u) $(id -g) $(hostname) $HOME'
	assert "$output" == "1 /tmp 65534 65534 box /nonexistent" "env, cwd, uid, gid, hostname, HOME"
	run_berth run --rm -u 1234:5678 busybox sh -c 'echo $(id -u):$(id -g)'
	assert "$output" == "1234:5678" "numeric user and group"
	run_berth run --rm -w /new/dir busybox pwd
	assert "$output" == "/new/dir" "a missing workdir is created"
}

@test "--env-file and -e KEY from the environment" {
	local f=$BATS_TEST_TMPDIR/env
	printf '# comment\nFROMFILE=yes\n\nSECOND=2\n' >"$f"
	FROMHOST=hosty run_berth run --rm --env-file "$f" -e FROMHOST -e UNSETVAR busybox \
		sh -c 'echo $FROMFILE $SECOND $FROMHOST ${UNSETVAR-unset}'
	assert "$output" == "yes 2 hosty unset" "variables"
}

@test "default environment: PATH, HOSTNAME, HOME" {
	run_berth run --rm --hostname h1 busybox env
	assert "$output" =~ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "PATH"
	assert "$output" =~ "HOSTNAME=h1" "HOSTNAME"
	assert "$output" =~ "HOME=/root" "HOME"
}

@test "CMD and ENTRYPOINT combine as in Docker" {
	local tar
	tar=$BUSYBOX_TAR
	run_berth import -c 'ENTRYPOINT ["echo", "ep"]' -c 'CMD ["cmd"]' "$tar" ep-exec:1
	run_berth run --rm ep-exec:1
	assert "$output" == "ep cmd" "exec-form entrypoint with image CMD"
	run_berth run --rm ep-exec:1 args here
	assert "$output" == "ep args here" "run arguments replace CMD"
	run_berth import -c 'ENTRYPOINT echo shell-form' -c 'CMD ["cmd"]' "$tar" ep-shell:1
	run_berth run --rm ep-shell:1 ignored
	assert "$output" == "shell-form" "shell-form entrypoint ignores CMD and arguments"
	run_berth run --rm --entrypoint echo ep-exec:1
	assert "$output" == "" "--entrypoint resets the image's CMD"
	run_berth run --rm --entrypoint echo ep-exec:1 over
	assert "$output" == "over" "--entrypoint with arguments"
	run_berth rmi ep-exec:1 ep-shell:1
}

@test "the container sees its own pid 1 and processes" {
	run_berth run --rm busybox sh -c 'echo $$'
	assert "$output" == "1" "the shell is pid 1"
	run_berth run --rm busybox sh -c 'ls /proc | grep -c "^[0-9]"'
	assert "$output" =~ ^[1-3]$ "at most 3 processes visible"
}

@test "the container has its own mounts, devices and hostname" {
	run_berth run --rm busybox sh -c 'cat /proc/mounts | cut -d" " -f2 | sort | tr "\n" " "'
	assert "$output" =~ " /proc " "proc mounted"
	assert "$output" =~ " /dev/pts " "devpts mounted"
	assert "$output" =~ " /dev/shm " "shm mounted"
	assert "$output" !~ "$BERTH_ROOT" "no host paths of the store"
	run_berth run --rm busybox ls /dev
	assert "$output" !~ "sda|vda|nvme|kmsg|mem" "no host devices"
	assert "$output" =~ "null" "/dev/null exists"
	run_berth run --rm busybox hostname
	assert "$output" =~ ^[0-9a-f]{12}$ "default hostname is the short ID"
	run_berth run --rm busybox cat /proc/keys
	assert "$output" == "" "/proc/keys is masked"
}

@test "--rm leaves no container, folder, mount or cgroup" {
	local before cgroups
	before=$(ls "$BERTH_ROOT/containers" 2>/dev/null | wc -l)
	cgroups=$(find /sys/fs/cgroup -maxdepth 3 -path '*/berth/*' -type d 2>/dev/null | wc -l)
	run_berth run --rm busybox true
	run_berth 1 run --rm busybox false
	assert "$(ls "$BERTH_ROOT/containers" 2>/dev/null | wc -l)" == "$before" "container folders"
	# the monitor empties the trash right after it told the CLI the exit code
	for _ in $(seq 20); do [[ -z $(ls -A "$BERTH_ROOT/trash" 2>/dev/null) ]] && break; sleep 0.1; done
	assert "$(ls -A "$BERTH_ROOT/trash" 2>/dev/null | wc -l)" == "0" "removed folders gone from the trash"
	assert "$(grep -c "$BERTH_ROOT" /proc/self/mountinfo)" == "0" "mounts under the root"
	assert "$(find /sys/fs/cgroup -maxdepth 3 -path '*/berth/*' -type d 2>/dev/null | wc -l)" == "$cgroups" \
		"cgroups left"
}

@test "a container without --rm keeps its folder and log" {
	local name
	name=$(random_name keep)
	run_berth run --name "$name" busybox sh -c 'echo out; echo err >&2'
	local id
	id=$(ls -t "$BERTH_ROOT/containers" | head -1)
	local log=$BERTH_ROOT/containers/$id/$id-json.log
	assert "$(cat "$log")" =~ '"log":"out\\n","stream":"stdout","time":"' "json-file log of stdout"
	assert "$(cat "$log")" =~ '"log":"err\\n","stream":"stderr"' "json-file log of stderr"
	local cfg=$BERTH_ROOT/containers/$id/config.json
	assert "$(jq -c .process.args "$cfg")" == '["sh","-c","echo out; echo err >&2"]' \
		"config.json holds the OCI runtime config"
	run_berth rm -f "$name"
}

@test "stdin reaches the container with -i" {
	output=$(printf 'line1\nline2\n' | timeout 20 "$BERTH" run --rm -i busybox sh -c 'cat; echo done')
	assert "$output" == $'line1\nline2\ndone' "stdin copied through"
}

@test "--init runs a reaper as pid 1" {
	run_berth run --rm --init busybox sh -c 'echo $$; sleep 0 & wait'
	assert "$output" == "2" "the command is pid 2 under the init"
	run_berth run --rm --init busybox sh -c 'tr "\0" " " </proc/1/cmdline'
	assert "$output" =~ "^/sbin/docker-init -- sh -c tr " \
		"pid 1 shows as Docker's init, not berth's command line on the host"
}

@test "--network none has only loopback, up" {
	run_berth run --rm --network none busybox ip -o link
	assert "${#lines[@]}" == "1" "one interface"
	assert "$output" =~ "lo:.*UP" "loopback is up"
}

@test "ctrl-c of a foreground run reaches the container and the store stays consistent" {
	local name
	name=$(random_name sig)
	"$BERTH" run --name "$name" busybox sh -c 'trap "echo got-int; exit 7" INT; echo ready; while :; do sleep 0.1; done' >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	for _ in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	kill -INT $pid
	local rc=0
	wait $pid || rc=$?
	assert "$rc" == "7" "exit code after the trapped SIGINT"
	assert "$(cat "$BATS_TEST_TMPDIR/out")" =~ "got-int" "the container's trap ran"
	run_berth rm -f "$name"
}

@test "a removal that a crash interrupted is finished by the next create" {
	local dead=999999 name
	name=$(random_name trash)
	while kill -0 $dead 2>/dev/null; do dead=$((dead - 1)); done
	mkdir -p "$BERTH_ROOT/trash/$dead-0123abcd/diff"
	touch "$BERTH_ROOT/trash/$dead-0123abcd/diff/file"
	run_berth create --name "$name" busybox true
	assert "$(ls "$BERTH_ROOT/trash" | grep -c "^$dead-")" == "0" "the crashed removal is finished"
	run_berth rm "$name"
}

@test "a container whose monitor was killed is found exited, its processes and cgroup gone" {
	local name id mon
	name=$(random_name orphan)
	run_berth run -d --name "$name" busybox sleep 300
	id=$output
	mon=$(pgrep -f "^berth-monitor ${id:0:12}")
	assert "$mon" =~ ^[0-9]+$ "the monitor runs under its title"
	kill -9 "$mon"
	for _ in $(seq 20); do [[ $(ps -o stat= -p "$mon" 2>/dev/null) == Z* || ! -d /proc/$mon ]] && break; sleep 0.05; done
	run_berth ps -a
	assert "$output" =~ "Exited \(255\).*$name" "recorded as exited with 255"
	assert "$(find /sys/fs/cgroup -maxdepth 3 -name "$id" | wc -l)" == "0" "its cgroups removed"
	assert "$(pgrep -f '^sleep 300$' | wc -l)" == "0" "its processes killed"
	run_berth rm "$name"
}
