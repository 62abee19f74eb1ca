#!/usr/bin/env bats
# Views of images over their layers: images --tree, images --graph, image dockerfile.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

# Makes NAME:base (the busybox rootfs with a config), NAME:child (a commit on it) and
# an untagged commit on the child; sets BASE, CHILD, GRANDCHILD (short IDs) and LAYER
# (the short chain ID of the busybox layer).
make_family() {
	local n=$1 c
	c=$(random_name view)
	run_berth import -c 'CMD ["cat","/new"]' -c 'ENV A=1' "$BUSYBOX_TAR" "$n:base"
	BASE=${output:7:12}
	run_berth run --name "$c" "$n:base" sh -c 'echo hi > /new'
	run_berth commit -m 'added new' "$c" "$n:child"
	CHILD=${output:7:12}
	run_berth rm "$c"
	run_berth run --name "$c" "$n:child" sh -c 'echo more > /more'
	run_berth commit "$c"
	GRANDCHILD=${output:7:12}
	run_berth rm "$c"
	run_berth image inspect -f '{{index .RootFS.Layers 0}}' busybox
	LAYER=${output:7:12}
}

remove_family() {
	run_berth rmi "$GRANDCHILD" "$1:child" "$1:base"
}

@test "images --tree: layers shared, tags on their nodes, the size each layer adds" {
	local n busybox size='[0-9.]+ [kM]?B'
	n=$(random_name tree)
	make_family "$n"
	run_berth images -q busybox
	busybox=$output
	run_berth images --tree "$n:child"
	assert "${#lines[@]}" == "5" "the busybox layer, its two images, the child, the grandchild"
	assert "${lines[0]}" =~ "^└─$LAYER Size: $size \(virtual $size\)$" \
		"two images on one layer: the layer's line, without tags"
	assert "${lines[1]}" =~ "^  ├─$busybox Size: 0 B \(virtual $size\) Tags: busybox:latest$" \
		"the older image on the layer first, adding nothing"
	assert "${lines[2]}" =~ "^  ├─$BASE Size: 0 B \(virtual $size\) Tags: $n:base$" \
		"the imported image with a config"
	assert "${lines[3]}" =~ "^  └─$CHILD Size: 3 B \(virtual $size\) Tags: $n:child$" \
		"the commit adds 3 bytes (/new)"
	assert "${lines[4]}" =~ "^    └─$GRANDCHILD Size: 5 B \(virtual $size\) Tags: <none>:<none>$" \
		"the untagged commit below it"
	run_berth images --tree
	assert "$output" =~ "$GRANDCHILD Size: 5 B" "the whole forest holds it too"
	run_berth images --tree --no-trunc "$n:child"
	assert "${lines[3]}" =~ "^  └─sha256:$CHILD[0-9a-f]{52} Size: 3 B" "full IDs"
	run_berth 125 images --tree no-such-image
	assert "$output" =~ "No such image: no-such-image" "an unknown image"
	run_berth 125 images --tree --graph
	assert "$output" =~ "cannot be used together" "one view at a time"
	remove_family "$n"
}

@test "images --graph is a Graphviz digraph of the same tree" {
	requires tool:dot
	local n
	n=$(random_name graph)
	make_family "$n"
	run_berth images --graph "$n:child"
	assert "${lines[0]}" == "digraph docker {" "a digraph"
	assert "${lines[-1]}" == "}" "closed"
	assert "$output" =~ " base -> \"$LAYER\" \[style=invis\]" "the root hangs from the invisible base"
	assert "$output" =~ " \"$LAYER\" -> \"$BASE\"" "an image on the shared layer"
	assert "$output" =~ " \"$LAYER\" -> \"$CHILD\"" "the child's layer on the shared one"
	assert "$output" =~ " \"$CHILD\" -> \"$GRANDCHILD\"" "the grandchild on the child"
	assert "$output" =~ "\"$CHILD\" \[label=\"$CHILD\\\\nSize: 3 B \(virtual [^\"]*\)\\\\n$n:child\",shape=box" \
		"a tagged image's label: ID, sizes, tags"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/images.dot"
	dot -Tsvg "$BATS_TEST_TMPDIR/images.dot" >"$BATS_TEST_TMPDIR/images.svg" 2>"$BATS_TEST_TMPDIR/dot.err"
	assert "$(cat "$BATS_TEST_TMPDIR/dot.err")" == "" "dot has no complaint"
	assert "$(grep -c '<svg' "$BATS_TEST_TMPDIR/images.svg")" == "1" "dot drew it"
	assert "$(grep -c "<title>$CHILD&#45;&gt;$GRANDCHILD</title>" "$BATS_TEST_TMPDIR/images.svg")" == "1" \
		"with the edge from the child to the grandchild"
	remove_family "$n"
}

@test "image dockerfile rebuilds the Dockerfile from history and config" {
	local n
	n=$(random_name df)
	make_family "$n"
	run_berth image dockerfile "$n:base"
	assert "${lines[0]}" == "FROM scratch" "an import has no parent"
	assert "${lines[1]}" == "# Imported from -" "the import's comment"
	assert "${lines[2]}" =~ ^ADD\ file:[0-9a-f]{12}\ /$ "the imported rootfs"
	assert "${lines[3]}" == "ENV A=1" "ENV of the config"
	assert "${lines[4]}" == 'CMD ["cat","/new"]' "CMD in compact exec form"
	assert "${#lines[@]}" == "5" "nothing else"
	run_berth image dockerfile "$n:child"
	assert "${lines[0]}" == "FROM $n:base" "FROM the tagged parent"
	assert "${lines[1]}" == "# commit: added new" "the commit message"
	assert "${lines[2]}" == "RUN sh -c echo hi > /new" "the container's command"
	assert "${lines[-1]}" == 'CMD ["sh","-c","echo hi > /new"]' "the commit took the container's command"
	run_berth image dockerfile "$GRANDCHILD"
	assert "$output" == "FROM $n:child"$'\n# commit\nRUN sh -c echo more > /more\nCMD ["sh","-c","echo more > /more"]' \
		"an untagged commit without a message"
	run_berth image dockerfile busybox
	assert "${lines[0]}" == "FROM scratch" "busybox shares the layer, not the history, of $n:base"
	run_berth 125 image dockerfile
	assert "$output" =~ "\"image dockerfile\" requires exactly 1 argument" "no argument"
	run_berth 125 image dockerfile no-such-image
	assert "$output" =~ "No such image: no-such-image" "an unknown image"
	remove_family "$n"
}
