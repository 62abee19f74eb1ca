#!/usr/bin/env bats
# Images of layers: diff, commit, history, tag, rmi of parents, prune.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

@test "diff lists what the container added, changed and deleted, and nothing else" {
	local c fresh
	c=$(random_name diff) fresh=$(random_name diff)
	run_berth run --name "$fresh" busybox true
	run_berth diff "$fresh"
	assert "$output" == "" "a container that changed nothing: no change (its mount points are in the init layer)"
	run_berth run --name "$c" busybox sh -c \
		'echo hi > /new; rm /bin/vi; echo x >> /etc/passwd; mkdir -p /tmp/sub; touch /tmp/sub/t'
	run_berth diff "$c"
	assert "$output" == $'C /bin\nD /bin/vi\nC /etc\nC /etc/passwd\nA /new\nC /tmp\nA /tmp/sub\nA /tmp/sub/t' \
		"sorted, folders before their contents, as Podman prints"
	run_berth 125 diff no-such-container
	assert "$output" =~ "No such container: no-such-container" "unknown container"
	run_berth 125 diff
	assert "$output" =~ "requires exactly 1 argument" "no argument"
	run_berth rm "$c" "$fresh"
}

@test "commit makes an image of the changes: whiteouts, config, history" {
	local c img
	c=$(random_name com) img=$(random_name mine)
	run_berth run --name "$c" busybox sh -c 'echo hi > /new; rm /bin/vi; echo x >> /etc/passwd'
	run_berth commit -m 'added new' -a 'me <me@example.org>' -c 'CMD ["cat","/new"]' "$c" "$img:1"
	assert "$output" =~ ^sha256:[0-9a-f]{64}$ "commit prints the image ID"
	local id=$output
	run_berth run --rm "$img:1"
	assert "$output" == "hi" "the new CMD runs and the added file is there"
	run_berth run --rm "$img:1" sh -c 'test -e /bin/vi && echo yes || echo no; tail -n 1 /etc/passwd'
	assert "$output" == $'no\nx' "the deletion and the change carried over"
	run_berth image inspect -f '{{len .RootFS.Layers}} {{.Author}} {{.Comment}}' "$img:1"
	assert "$output" =~ "^2 me <me@example.org>" "two layers and the author"
	run_berth history "$img:1"
	assert "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ "history's header"
	assert "${lines[1]}" =~ "^${id:7:12} +Less than a second ago +sh -c echo hi > /new; rm /bin/vi; echo x >> … +[0-9]+B +added new$" "the commit's row, CREATED BY cut at 45"
	assert "${lines[2]}" =~ "Imported from -" "the imported layer below"
	run_berth history -q "$img:1"
	assert "${#lines[@]}" == "2" "two entries"
	run_berth history --no-trunc -H=false --format '{{.CreatedBy}}|{{.Size}}' "$img:1"
	assert "${lines[0]}" =~ "^sh -c echo hi > /new; rm /bin/vi; echo x >> /etc/passwd\|[0-9]+$" "no truncation, bytes"
	run_berth tag "$img:1" "$img:2"
	run_berth tag "$img:1" "localhost:5000/me/$img:1"
	run_berth images --format '{{.Repository}}:{{.Tag}}' "$img"
	assert "$output" =~ "$img:2" "the new tag is listed"
	run_berth rmi "$img:1" "$img:2" "localhost:5000/me/$img:1"
	assert "$output" =~ "Deleted: $id" "the image goes with its last tag"
	run_berth rm "$c"
}

@test "commit of a running container pauses it and it runs on" {
	local c img
	c=$(random_name run) img=$(random_name live)
	run_berth run -d --name "$c" busybox sh -c 'echo ok > /state; while :; do sleep 0.1; done'
	sleep 0.5
	run_berth commit "$c" "$img"
	run_berth inspect -f '{{.State.Status}}' "$c"
	assert "$output" == "running" "running again after the commit"
	run_berth run --rm "$img" cat /state
	assert "$output" == "ok" "the file written by the running container"
	run_berth rm -f "$c"
	run_berth rmi "$img"
}

@test "a parent image with children: untagged but kept; its ID refused" {
	local c parent child pid
	c=$(random_name par) parent=$(random_name parent) child=$(random_name child)
	run_berth run --name "$c" busybox touch /p
	run_berth commit "$c" "$parent"
	pid=$output
	run_berth rm "$c"
	run_berth run --name "$c" "$parent" touch /x
	run_berth commit "$c" "$child"
	run_berth rm "$c"
	run_berth 1 rmi "${pid#sha256:}"
	assert "$output" =~ "conflict: unable to delete ${pid:7:12} \(cannot be forced\) - image has dependent child images" "Docker's conflict"
	run_berth rmi "$parent"
	assert "$output" == "Untagged: $parent:latest" "only untagged"
	run_berth run --rm "$child" ls /p /x
	run_berth rmi "$child"
	assert "$output" =~ "Deleted: $pid" "the parent goes with its last child"
}

@test "image prune removes dangling images, -a unused ones, and says what it reclaimed" {
	local c img
	c=$(random_name pr) img=$(random_name dangle)
	run_berth run --name "$c" busybox sh -c 'head -c 100000 /dev/zero > /big'
	run_berth commit "$c" "$img"
	run_berth rm "$c"
	run_berth run --name "$c" busybox true
	run_berth commit "$c" "$img" # the first image loses its tag: dangling
	run_berth rm "$c"
	run_berth image prune -f
	assert "$output" =~ "Deleted Images:" "the header"
	assert "$output" =~ "deleted: sha256:" "the dangling image deleted"
	# the layer's files and its tar (the blob save copies), both freed
	assert "$output" =~ "Total reclaimed space: 20[0-9.]+kB" "its 100 kB layer reclaimed twice over"
	run_berth images -q "$img"
	assert "${#lines[@]}" == "1" "the tagged image stays"
	run_berth image prune <<<n
	assert "$output" =~ "WARNING! This will remove all dangling images." "asks without -f"
	run_berth rmi "$img"
}

@test "export writes the flattened file system, which import takes back" {
	local c img
	c=$(random_name exp) img=$(random_name flat)
	run_berth run --name "$c" busybox sh -c 'echo hi > /new; rm /bin/vi'
	"$BERTH" export "$c" >"$BATS_TEST_TMPDIR/c.tar"
	tar tf "$BATS_TEST_TMPDIR/c.tar" >"$BATS_TEST_TMPDIR/list"
	assert "$(grep -cx new "$BATS_TEST_TMPDIR/list")" == "1" "the added file"
	assert "$(grep -cx bin/vi "$BATS_TEST_TMPDIR/list")" == "0" "the deleted file is gone, no whiteout"
	assert "$(grep -c '\.wh\.' "$BATS_TEST_TMPDIR/list")" == "0" "no whiteout entries"
	assert "$(grep -cx bin/busybox "$BATS_TEST_TMPDIR/list")" == "1" "the image's files"
	run_berth export -o "$BATS_TEST_TMPDIR/o.tar" "$c"
	cmp "$BATS_TEST_TMPDIR/c.tar" "$BATS_TEST_TMPDIR/o.tar"
	run_berth import "$BATS_TEST_TMPDIR/o.tar" "$img"
	run_berth run --rm "$img" sh -c 'cat /new; test -e /bin/vi || echo gone'
	assert "$output" == $'hi\ngone' "import of the export"
	assert "$(grep -c "$BERTH_RUNROOT/export" /proc/mounts)" == "0" "no mount left"
	run_berth 1 export -o /nonexistent-dir/x.tar "$c"
	assert "$output" =~ "failed to export container" "an unwritable output"
	run_berth rmi "$img"
	run_berth rm "$c"
}

@test "prune --filter: label, label!=, until; a bad filter refused" {
	local keep drop img
	keep=$(random_name keep) drop=$(random_name drop) img=$(random_name lbl)
	run_berth run --name "$keep" --label keep=yes -l other busybox true
	run_berth run --name "$drop" busybox true
	run_berth inspect -f '{{json .Config.Labels}}' "$keep"
	assert "$output" == '{"keep":"yes","other":""}' "run -l and --label"
	run_berth container prune -f --filter until=1h
	assert "$output" !~ "$("$BERTH" inspect -f '{{.Id}}' "$drop")" "until=1h: both are newer"
	run_berth container prune -f --filter 'label!=keep'
	run_berth ps -a --format '{{.Names}}' --filter "name=$drop"
	assert "$output" == "" "label!=keep: the unlabelled one went"
	run_berth ps -a --format '{{.Names}}' --filter "name=$keep"
	assert "$output" == "$keep" "the labelled one stays"
	run_berth container prune -f --filter label=keep=yes
	run_berth ps -a --format '{{.Names}}' --filter "name=$keep"
	assert "$output" == "" "label=keep=yes took it"
	run_berth import -c 'LABEL tier=test' "$BUSYBOX_TAR" "$img"
	run_berth image prune -a -f --filter until=10m --filter label=tier=test
	assert "$output" !~ "untagged: $img" "until=10m: too new to go"
	run_berth image prune -a -f --filter label=tier=test
	assert "$output" =~ "untagged: $img:latest" "label=tier=test took it"
	run_berth images -q busybox
	assert "$output" != "" "busybox, without the label, stays"
	run_berth 1 image prune -f --filter bogus=1
	assert "$output" =~ "invalid filter 'bogus'" "Docker's message"
}

@test "an image of 100 layers still mounts (short layer names in the overlay options)" {
	local img c
	img=$(random_name deep) c=$(random_name deep)
	run_berth tag busybox "$img:0"
	for i in $(seq 1 100); do
		berth_quiet run --name "$c" "$img:$((i - 1))" touch "/f$i" || die "run $i"
		berth_quiet commit "$c" "$img:$i" >/dev/null || die "commit $i"
		berth_quiet rm "$c" >/dev/null || die "rm $i"
		((i == 1)) || berth_quiet rmi "$img:$((i - 1))" >/dev/null || die "rmi $i"
	done
	run_berth image inspect -f '{{len .RootFS.Layers}}' "$img:100"
	assert "$output" == "101" "101 layers"
	run_berth run --rm "$img:100" sh -c 'ls /f* | wc -l'
	assert "$output" == "100" "every layer's file is there"
	run_berth export -o "$BATS_TEST_TMPDIR/deep.tar" "$(berth_quiet create "$img:100" true)"
	run_berth container prune -f
	run_berth rmi "$img:100"
	assert "$(("$(grep -c '^Deleted: ' <<<"$output")" >= 100))" == "1" "its untagged parents went with it"
	assert "$(find "$BERTH_ROOT/layers/l" -xtype l | wc -l)" == "0" "no dangling layer link"
	run_berth rmi "$img:0"
	assert "$output" == "Untagged: $img:0" "busybox keeps its own tag"
}
