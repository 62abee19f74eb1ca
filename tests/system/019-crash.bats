#!/usr/bin/env bats
# Crashes: commit and save killed midway leave the store consistent, and
# `berth system check` finds and removes what they left; it verifies every blob.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

# kill_midway GLOB MIN_SIZE ARGS...: starts berth ARGS in the background, waits until a
# file matching GLOB (@PID@ standing for berth's pid) exists with at least MIN_SIZE bytes,
# stops berth there and kills it with SIGKILL, its children with it. Sets KILLED_PID and
# KILLED_CHILDREN. Returns 2 when berth ended before that (the caller may try again).
kill_midway() {
	local glob=$1 min=$2 pid f i size
	shift 2
	"$BERTH" "$@" >/dev/null 2>"$BATS_TEST_TMPDIR/bg.err" &
	pid=$!
	for ((i = 0; i < 6000; i++)); do
		f=$(compgen -G "${glob//@PID@/$pid}" | head -n 1) || f=
		size=$([[ -n $f ]] && stat -c %s "$f" 2>/dev/null) || size=
		if [[ -n $size && $size -ge $min ]]; then
			kill -STOP "$pid" 2>/dev/null || break
			KILLED_PID=$pid
			KILLED_CHILDREN=$(pgrep -P "$pid" | tr '\n' ' ') || KILLED_CHILDREN=
			printf '# berth %s: killed (pid %s, children %s) with %s at %s bytes\n' \
				"$*" "$pid" "$KILLED_CHILDREN" "$f" "$size"
			kill -KILL "$pid"
			wait "$pid" 2>/dev/null || true
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	wait "$pid" 2>/dev/null || true
	printf '# berth %s ended before it could be killed midway\n' "$*"
	return 2
}

# A process that is gone.
dead_pid() {
	true &
	local pid=$!
	wait "$pid"
	echo "$pid"
}

@test "system check: a sound store, --help, no arguments" {
	run_berth system check
	assert "${lines[-1]}" =~ "^Checked [0-9]+ images?, [0-9]+ layers? and [0-9]+ blobs?: 0 leftovers removed \(0B\), 0 repaired, 0 errors$" "the summary of a sound store"
	run_berth system check --help
	assert "$output" =~ "Usage:  berth system check \[OPTIONS\]" "usage"
	assert "$output" =~ "--dry-run" "documents --dry-run"
	run_berth 125 system check extra
	assert "$output" =~ "accepts no arguments" "no arguments"
}

@test "commit killed midway: no image, check removes the leftovers, then a commit works" {
	local c img before
	c=$(random_name crashc) img=$(random_name crashimg)
	# 200 MiB in 400 files
	run_berth run --name "$c" busybox sh -c \
		'mkdir /data; i=0; while [ $i -lt 400 ]; do head -c 524288 /dev/urandom > /data/f$i; i=$((i+1)); done'
	before=$(berth_quiet images -a -q --no-trunc | sort)
	kill_midway "$BERTH_ROOT/blobs/sha256/.tmp-@PID@-*" 20000000 commit "$c" "$img:1"
	local pid=$KILLED_PID child
	for child in $KILLED_CHILDREN; do
		for ((i = 0; i < 100; i++)); do
			[[ -e /proc/$child ]] || break
			sleep 0.05
		done
		assert "$([[ -e /proc/$child ]] && echo alive || echo gone)" == "gone" "the tar writer $child died with its parent"
	done

	assert "$(berth_quiet images -a -q --no-trunc | sort)" == "$before" "no new image is listed"
	run_berth 1 image inspect "$img:1"
	assert "$(compgen -G "$BERTH_ROOT/layers/tmp-$pid-*")" != "" "the killed commit left its layer folder"

	run_berth 1 system check -n
	assert "$output" =~ "would remove: '$BERTH_ROOT/layers/tmp-$pid-[^']+': left by process $pid, which is gone" "dry run: the layer folder"
	assert "$(compgen -G "$BERTH_ROOT/layers/tmp-$pid-*")" != "" "the dry run removed nothing (and exits 1: leftovers remain)"
	run_berth system check
	assert "$output" =~ "removed: '$BERTH_ROOT/layers/tmp-$pid-[^']+': left by process $pid, which is gone" "the layer folder"
	assert "$output" =~ "removed: '$BERTH_ROOT/blobs/sha256/.tmp-$pid-[^']+': left by process $pid, which is gone" "the blob"
	assert "$output" =~ ", 0 errors$" "no error"
	assert "$(compgen -G "$BERTH_ROOT/layers/tmp-$pid-*")$(compgen -G "$BERTH_ROOT/blobs/sha256/.tmp-$pid-*")" == "" "both gone"
	run_berth system check
	assert "$output" =~ "^Checked [^:]+: 0 leftovers removed \(0B\), 0 repaired, 0 errors$" "the second check finds nothing"

	run_berth commit "$c" "$img:1"
	run_berth run --rm "$img:1" sh -c 'ls /data | wc -l'
	assert "$output" == "400" "the new commit has every file"
	run_berth system check
	assert "${lines[-1]}" =~ ", 0 errors$" "sound after the commit"
	run_berth rm "$c"
	run_berth rmi "$img:1"
}

@test "save killed midway: no file at the target name, check removes the partial one" {
	local c img out=$BATS_TEST_TMPDIR/saved.tar attempt pid=
	c=$(random_name crashs) img=$(random_name saveimg)
	run_berth run --name "$c" busybox sh -c \
		'mkdir /data; i=0; while [ $i -lt 400 ]; do head -c 524288 /dev/urandom > /data/f$i; i=$((i+1)); done'
	run_berth commit "$c" "$img:1"
	run_berth rm "$c"
	# a save takes well under a second: try again if it ended before it could be caught
	for attempt in 1 2 3 4 5; do
		rm -f "$out"
		if kill_midway "$BATS_TEST_TMPDIR/.saved.tar.tmp-@PID@-*" 1 save -o "$out" "$img:1"; then
			pid=$KILLED_PID
			break
		fi
	done
	assert "$pid" != "" "save was caught midway"
	assert "$([[ -e $out ]] && echo exists || echo absent)" == "absent" "nothing at the target name"
	local partial
	partial=$(compgen -G "$BATS_TEST_TMPDIR/.saved.tar.tmp-$pid-*")
	assert "$partial" != "" "the partial file is beside it"

	run_berth system check
	assert "$output" =~ "removed: '$partial': a partial output of process $pid, which is gone" "check removes the partial file"
	assert "$output" =~ ", 0 errors$" "no error"
	assert "$([[ -e $partial ]] && echo exists || echo absent)" == "absent" "it is gone"
	assert "$(ls -A "$BERTH_ROOT/tmp")" == "" "and its record"
	run_berth system check
	assert "$output" =~ "^Checked [^:]+: 0 leftovers removed \(0B\), 0 repaired, 0 errors$" "the second check finds nothing"

	run_berth save -o "$out" "$img:1"
	assert "$(tar -tf "$out" | grep -c '^blobs/sha256/.')" == "4" "a new save works: two layers and the config, and the manifest"
	run_berth rmi "$img:1"
}

@test "a corrupt layer blob is an error naming the image, and is kept" {
	local c img blob diff_id
	c=$(random_name corr) img=$(random_name corrupt)
	run_berth run --name "$c" busybox sh -c "echo $img > /unique"
	run_berth commit "$c" "$img:1"
	run_berth rm "$c"
	run_berth image inspect -f '{{index .RootFS.Layers 1}}' "$img:1"
	diff_id=$output
	blob=$BERTH_ROOT/blobs/sha256/${diff_id#sha256:}
	# the mode field of the first tar header: octal digits, never 0xff
	printf '\xff' | dd of="$blob" bs=1 seek=100 conv=notrunc status=none

	run_berth 1 system check
	assert "$output" =~ "error: blob $diff_id is corrupt: its content hashes to sha256:[0-9a-f]{64}; it is layer sha256:[0-9a-f]{64}, and image [0-9a-f]{12} \($img:1\) needs it" "the corrupt blob and its image"
	assert "${lines[-1]}" =~ ", 1 error$" "one error"
	assert "$([[ -e $blob ]] && echo kept || echo removed)" == "kept" "a blob an image needs is never removed"
	run_berth 0 system check --quick
	assert "${lines[-1]}" =~ "\(not hashed\)" "--quick does not hash"

	run_berth rmi "$img:1"
	run_berth system check
	assert "${lines[-1]}" =~ ", 0 errors$" "sound once the image is gone"
}

@test "a missing config blob is written again from the store" {
	local c img id blob
	c=$(random_name cfg) img=$(random_name cfgimg)
	run_berth run --name "$c" busybox sh -c "echo $img > /unique"
	run_berth commit "$c" "$img:1"
	id=$output
	run_berth rm "$c"
	blob=$BERTH_ROOT/blobs/sha256/${id#sha256:}
	rm "$blob"
	run_berth system check
	assert "$output" =~ "repaired: image ${id:7:12} \($img:1\): its config blob was missing; written again from the store" "repaired"
	assert "$(sha256sum <"$blob" | cut -d' ' -f1)" == "${id#sha256:}" "the blob hashes to the image ID"
	run_berth rmi "$img:1"
}

@test "stray layer folders, blobs, temporaries and trash are removed; other names are left" {
	local hex dead
	hex=$(head -c 32 /dev/urandom | sha256sum | cut -d' ' -f1)
	dead=$(dead_pid)
	mkdir -p "$BERTH_ROOT/layers/$hex/diff/etc" "$BERTH_ROOT/layers/tmp-$dead-aBcDeF/diff" \
		"$BERTH_ROOT/trash/$dead-0123abcd/diff"
	echo stray >"$BERTH_ROOT/layers/$hex/diff/etc/stray"
	echo blob >"$BERTH_ROOT/blobs/sha256/$hex"
	echo tmp >"$BERTH_ROOT/blobs/sha256/$hex.tmp-$dead"
	mkdir -p "$BERTH_ROOT/layers/not-berths"

	run_berth system check
	assert "$output" =~ "removed: '$BERTH_ROOT/layers/$hex': a layer folder no layer of the store names" "the stray layer folder"
	assert "$output" =~ "removed: '$BERTH_ROOT/layers/tmp-$dead-aBcDeF': left by process $dead, which is gone" "a dead writer's folder"
	assert "$output" =~ "removed: '$BERTH_ROOT/trash/$dead-0123abcd': left by process $dead" "the trash"
	assert "$output" =~ "removed: '$BERTH_ROOT/blobs/sha256/$hex': a blob nothing refers to" "the stray blob"
	assert "$output" =~ "removed: '$BERTH_ROOT/blobs/sha256/$hex.tmp-$dead': left by process $dead" "a dead writer's blob"
	assert "$output" =~ "note: '$BERTH_ROOT/layers/not-berths': not a name berth writes, left alone" "an unknown name is left alone"
	assert "${lines[-1]}" =~ ": 5 leftovers removed \([0-9.]+[kM]?B\), 0 repaired, 0 errors$" "five removed"
	assert "$(ls -A "$BERTH_ROOT/layers" | grep -c -e "$hex" -e "tmp-$dead")" == "0" "the layer folders are gone"
	rmdir "$BERTH_ROOT/layers/not-berths"
	run_berth system check
	assert "$output" =~ "^Checked [^:]+: 0 leftovers removed \(0B\), 0 repaired, 0 errors$" "the second check finds nothing"
}
