#!/usr/bin/env bats
# import, images, rmi, and bad archives.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

@test "import from a file, stdin and compressed archives" {
	local n1 n2 n3
	n1=$(random_name imp) n2=$(random_name imp) n3=$(random_name imp)
	run_berth import "$BUSYBOX_TAR" "$n1:1.0"
	assert "$output" =~ ^sha256:[0-9a-f]{64}$ "import prints the image ID"
	gzip -c "$BUSYBOX_TAR" >"$BATS_TEST_TMPDIR/r.tar.gz"
	xz -c "$BUSYBOX_TAR" >"$BATS_TEST_TMPDIR/r.tar.xz"
	zstd -q -c "$BUSYBOX_TAR" >"$BATS_TEST_TMPDIR/r.tar.zst"
	run_berth import "$BATS_TEST_TMPDIR/r.tar.gz" "$n2"
	run_berth import "$BATS_TEST_TMPDIR/r.tar.xz" "$n3:xz"
	run_berth import - "$n3:zst" <"$BATS_TEST_TMPDIR/r.tar.zst"
	run_berth run --rm "$n3:zst" echo from-zstd
	assert "$output" == "from-zstd" "run from an image imported from stdin"
	run_berth rmi "$n1:1.0" "$n2" "$n3:xz" "$n3:zst"
}

@test "import from a URL on 127.0.0.1" {
	requires tool:python3
	local dir=$BATS_TEST_TMPDIR/www port=18765 name
	name=$(random_name url)
	mkdir -p "$dir"
	cp "$BUSYBOX_TAR" "$dir/rootfs.tar"
	(cd "$dir" && exec python3 -m http.server --bind 127.0.0.1 $port >/dev/null 2>&1) &
	local srv=$!
	for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
	run_berth import "http://127.0.0.1:$port/rootfs.tar" "$name"
	run_berth 125 import "http://127.0.0.1:$port/missing.tar" "$name:2"
	kill $srv
	run_berth rmi "$name"
}

@test "import --change sets the config" {
	local name
	name=$(random_name chg)
	run_berth import -c 'CMD ["sh", "-c", "echo $A in $(pwd) as $(id -u)"]' -c 'ENV A=b' \
		-c 'WORKDIR /tmp' -c 'USER nobody' -c 'EXPOSE 80' -c 'LABEL k=v' -c 'VOLUME /data' \
		"$BUSYBOX_TAR" "$name"
	run_berth run --rm "$name"
	assert "$output" == "b in /tmp as 65534" "CMD, ENV, WORKDIR and USER applied"
	run_berth 125 import -c 'FROM x' "$BUSYBOX_TAR" "$name:bad"
	assert "$output" =~ "not a valid change command" "unknown instruction"
	run_berth rmi "$name"
}

@test "images lists like docker" {
	run_berth images
	assert "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ "header"
	assert "$output" =~ busybox\ +latest\ +[0-9a-f]{12}\ +.*ago\ +1\.[0-9]+MB "busybox row"
	run_berth images -q busybox
	assert "$output" =~ ^[0-9a-f]{12}$ "-q prints the short ID"
}

@test "references are normalised as Docker does" {
	local id
	run_berth images -q busybox:latest
	id=$output
	run_berth images -q docker.io/library/busybox:latest
	assert "$output" == "$id" "docker.io/library/busybox:latest is busybox"
	run_berth run --rm docker.io/library/busybox echo ok
	run_berth run --rm "$id" echo by-id
	assert "$output" == "by-id" "an image ID prefix names the image"
	run_berth 125 run --rm BusyBox true
	assert "$output" =~ "invalid reference format" "uppercase refused"
}

@test "rmi untags, deletes and refuses images in use" {
	local name c
	name=$(random_name rmi) c=$(random_name c)
	run_berth import "$BUSYBOX_TAR" "$name:a"
	run_berth create --name "$c" "$name:a" true
	run_berth 1 rmi "$name:a"
	assert "$output" =~ "conflict" "in use"
	run_berth rm "$c"
	run_berth rmi "$name:a"
	assert "${lines[0]}" == "Untagged: $name:a" "untagged"
	assert "${lines[1]}" =~ ^Deleted:\ sha256: "deleted"
	run_berth 1 rmi "$name:a"
	assert "$output" =~ "No such image" "gone"
}

# Crafted archives: each import fails with 125, and nothing is added or written outside.
bad_import() {
	local what=$1 file=$2 before after
	before=$(ls "$BERTH_ROOT/layers" | sort | tr '\n' ' ')
	run_berth 125 import "$file" "bad:$what"
	local import_output=$output
	after=$(ls "$BERTH_ROOT/layers" | sort | tr '\n' ' ')
	assert "$after" == "$before" "no layer left by $what"
	run_berth images -q bad
	assert "$output" == "" "no image from $what"
	assert "$(ls -a "$BERTH_ROOT/blobs/sha256" | grep -c tmp)" == "0" "no temporary blob"
	output=$import_output
}

@test "corrupt, truncated and empty archives are refused" {
	local t=$BATS_TEST_TMPDIR
	head -c 100000 "$BUSYBOX_TAR" >"$t/trunc.tar"
	gzip -c "$BUSYBOX_TAR" | head -c 50000 >"$t/trunc.tar.gz"
	head -c 4096 /dev/urandom >"$t/garbage"
	: >"$t/empty"
	bad_import trunc "$t/trunc.tar"
	assert "$output" =~ "truncated|invalid tar" "message for a truncated tar"
	bad_import truncgz "$t/trunc.tar.gz"
	bad_import garbage "$t/garbage"
	bad_import empty "$t/empty"
	run_berth 125 import "$t/does-not-exist" bad:x
}

@test "archives that escape the root are refused" {
	requires tool:python3
	local t=$BATS_TEST_TMPDIR
	python3 - "$t" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def mk(name, entries):
    with tarfile.open(f"{d}/{name}.tar", "w") as tf:
        for e in entries:
            ti = tarfile.TarInfo(e[1]); data = b""
            if e[0] == "file":
                data = b"evil\n"; ti.size = len(data)
            elif e[0] == "sym":
                ti.type = tarfile.SYMTYPE; ti.linkname = e[2]
            elif e[0] == "hard":
                ti.type = tarfile.LNKTYPE; ti.linkname = e[2]
            elif e[0] == "dir":
                ti.type = tarfile.DIRTYPE
            tf.addfile(ti, io.BytesIO(data))
mk("dotdot", [("file", "../../../../tmp/berth-evil-dotdot")])
mk("symesc", [("sym", "link", "/tmp"), ("file", "link/berth-evil-sym")])
mk("symrel", [("sym", "link", "../../../../../tmp"), ("file", "link/berth-evil-rel")])
mk("hardesc", [("hard", "h", "../../../../etc/passwd")])
PY
	for f in dotdot symesc symrel hardesc; do
		bad_import "$f" "$t/$f.tar"
		assert "$output" =~ "invalid tar entry" "message for $f"
	done
	assert "$(ls /tmp/berth-evil-* 2>/dev/null | wc -l)" == "0" "nothing written outside"
}

@test "what a crashed import left behind is removed by the next import" {
	local name dead=999999
	name=$(random_name crash)
	# a pid that does not exist, as after a crash
	while kill -0 $dead 2>/dev/null; do dead=$((dead - 1)); done
	mkdir -p "$BERTH_ROOT/layers/tmp-$dead-abcdef/diff" "$BERTH_ROOT/blobs/sha256"
	echo half >"$BERTH_ROOT/layers/tmp-$dead-abcdef/diff/file"
	echo half >"$BERTH_ROOT/blobs/sha256/.tmp-$dead-abcdef"
	echo half >"$BERTH_ROOT/blobs/sha256/0123.tmp-$dead"
	# one of a live process stays
	mkdir -p "$BERTH_ROOT/layers/tmp-$$-live"
	run_berth import "$BUSYBOX_TAR" "$name"
	assert "$(ls -a "$BERTH_ROOT/layers" "$BERTH_ROOT/blobs/sha256" | grep -c "tmp-$dead")" == "0" \
		"temporaries of the dead writer removed"
	assert "$(ls "$BERTH_ROOT/layers" | grep -c "tmp-$$-live")" == "1" "a live writer's kept"
	rmdir "$BERTH_ROOT/layers/tmp-$$-live"
	run_berth rmi "$name"
}

@test "images --format and its table" {
	run_berth images --format '{{.Repository}}:{{.Tag}}' busybox
	assert "$output" == "busybox:latest" "fields"
	run_berth images --format 'table {{.Repository}}\t{{.Size}}' busybox
	assert "${lines[0]}" =~ ^REPOSITORY\ +SIZE$ "header"
	assert "${lines[1]}" =~ ^busybox\ +[0-9.]+MB$ "row"
	run_berth 1 images --format '{{.Nope}}'
}
