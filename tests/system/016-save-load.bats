#!/usr/bin/env bats
# save and load: Docker 25's docker-archive, OCI archives and folders, skopeo both ways,
# bad archives.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

# What a load must leave untouched when it fails: images, layer folders, blobs, temporaries.
store_snapshot() {
	berth_quiet images -q --no-trunc | sort
	ls -A "$BERTH_ROOT/layers" "$BERTH_ROOT/blobs/sha256" 2>/dev/null || true
	ls -A "$BERTH_ROOT/tmp" 2>/dev/null || true
}

# bad_load WHAT FILE PATTERN: load fails with exit code 1 and a message matching
# PATTERN, and stores nothing.
bad_load() {
	local what=$1 file=$2 pattern=$3 before after
	before=$(store_snapshot)
	run_berth 1 load -i "$file"
	assert "$output" =~ "$pattern" "message for $what"
	after=$(store_snapshot)
	assert "$after" == "$before" "nothing stored by the load of $what"
}

# A small image that the store does not hold afterwards: saved to $1 (in format $2,
# docker-archive by default), then removed.
small_image_archive() {
	local out=$1 format=${2:-docker-archive} name tar=$BATS_TEST_TMPDIR/small-rootfs.tar
	name=$(random_name small)
	python3 - "$tar" <<'PY'
import io, os, sys, tarfile
with tarfile.open(sys.argv[1], "w") as tf:
    for name, data in (("hello", b"hello\n"), ("etc/motd", os.urandom(64))):
        ti = tarfile.TarInfo(name); ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
PY
	run_berth import "$tar" "$name:1"
	run_berth save --format "$format" -o "$out" "$name:1"
	run_berth rmi "$name:1"
}

# mutate SRC OUT KIND: a variant of the one-image archive SRC (made by berth save).
mutate() {
	python3 - "$@" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
src, out, kind = sys.argv[1:4]
with tarfile.open(src) as tf:
    files = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
extra = []
def sha(b):
    return hashlib.sha256(b).hexdigest()
def add(t, e):
    ti = tarfile.TarInfo(e[1]); data = None
    if e[0] == "file":
        data = e[2]; ti.size = len(data)
    elif e[0] == "sym":
        ti.type = tarfile.SYMTYPE; ti.linkname = e[2]
    elif e[0] == "hard":
        ti.type = tarfile.LNKTYPE; ti.linkname = e[2]
    t.addfile(ti, io.BytesIO(data) if data is not None else None)
def layer_tar(entries):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        for e in entries:
            add(t, e)
    return bio.getvalue()

if kind.startswith("oci-"):
    idx = json.loads(files["index.json"])
    mpath = "blobs/sha256/" + idx["manifests"][0]["digest"][7:]
    m = json.loads(files[mpath])
    if kind == "oci-manifest":
        files[mpath] = files[mpath] + b" "
    elif kind == "oci-layer":
        # the layer's blob under another name, which the manifest gives
        old = "blobs/sha256/" + m["layers"][0]["digest"][7:]
        wrong = sha(b"something else")
        files["blobs/sha256/" + wrong] = files.pop(old)
        m["layers"][0]["digest"] = "sha256:" + wrong
        mb = json.dumps(m).encode()
        del files[mpath]
        files["blobs/sha256/" + sha(mb)] = mb
        idx["manifests"][0].update(digest="sha256:" + sha(mb), size=len(mb))
        files["index.json"] = json.dumps(idx).encode()
    elif kind == "oci-nolayer":
        del files["blobs/sha256/" + m["layers"][0]["digest"][7:]]
else:
    man = json.loads(files["manifest.json"])
    cfg_path, layer_path = man[0]["Config"], man[0]["Layers"][0]
    cfg = json.loads(files[cfg_path])
    files.pop("index.json", None)
    def set_layer(data, consistent):
        del files[layer_path]
        files["blobs/sha256/" + sha(data)] = data
        man[0]["Layers"] = ["blobs/sha256/" + sha(data)]
        if consistent:
            cfg["rootfs"]["diff_ids"] = ["sha256:" + sha(data)]
            c = json.dumps(cfg).encode()
            del files[cfg_path]
            files["blobs/sha256/" + sha(c)] = c
            man[0]["Config"] = "blobs/sha256/" + sha(c)
    if kind == "config":
        files[cfg_path] = files[cfg_path] + b" "
    elif kind == "layer":
        files[layer_path] = layer_tar([("file", "other", b"other\n")])
    elif kind == "diffid":
        files["layer.tar"] = layer_tar([("file", "other", b"other\n")])
        man[0]["Layers"] = ["layer.tar"]
    elif kind == "gzip-layer":
        files["layer.tar.gz"] = gzip.compress(files.pop(layer_path))
        man[0]["Layers"] = ["layer.tar.gz"]
    elif kind == "nolayer":
        del files[layer_path]
    elif kind == "noconfig":
        del files[cfg_path]
    elif kind == "nomanifest":
        del files["manifest.json"]
    elif kind == "badmanifest":
        files["manifest.json"] = b'[{"Config": 3}]'
    elif kind == "dotdot":
        extra.append(("file", "../../../../../../tmp/berth-evil-load-dotdot", b"evil\n"))
    elif kind == "absolute":
        extra.append(("file", "/tmp/berth-evil-load-abs", b"evil\n"))
    elif kind == "cfgpath":
        man[0]["Config"] = "../../../../../../etc/passwd"
    elif kind == "symesc":
        extra.append(("sym", "evil", "../../../../../../tmp"))
        man[0]["Layers"] = ["evil/x"]
    elif kind == "symabs":
        extra.append(("sym", "lnk", "/etc/passwd"))
        man[0]["Config"] = "lnk"
    elif kind == "hardesc":
        extra.append(("hard", "h", "../../../../../../etc/passwd"))
    elif kind == "inner-dotdot":
        set_layer(layer_tar([("file", "../../../../../../tmp/berth-evil-load-inner", b"x")]), True)
    elif kind == "inner-sym":
        set_layer(layer_tar([("sym", "link", "/tmp"),
                             ("file", "link/berth-evil-load-innersym", b"x")]), True)
    elif kind == "inner-hard":
        set_layer(layer_tar([("hard", "h", "../../../../../../etc/passwd")]), True)
    else:
        sys.exit("unknown kind " + kind)
    if kind not in ("nomanifest", "badmanifest"):
        files["manifest.json"] = json.dumps(man).encode()
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    for e in extra:
        add(tf, e)
    for name, data in files.items():
        add(tf, ("file", name, data))
PY
}

@test "save and load round trip: a file, stdout, stdin, compressed archives" {
	local img t=$BATS_TEST_TMPDIR id
	img=$(random_name sl)
	run_berth import -c 'CMD ["echo", "from-loaded"]' "$BUSYBOX_TAR" "$img:1"
	id=$(berth_quiet images -q --no-trunc "$img:1")
	run_berth save -o "$t/a.tar" "$img:1"
	assert "$output" == "" "save -o prints nothing"
	berth_quiet save "$img:1" >"$t/b.tar"
	assert "$(sha256sum <"$t/b.tar")" == "$(sha256sum <"$t/a.tar")" \
		"the same archive on stdout, byte for byte"
	run_berth image save -o "$t/c.tar" "$img:1"
	assert "$(cmp "$t/a.tar" "$t/c.tar" && echo same)" == "same" "image save is save"
	run_berth rmi "$img:1"
	run_berth load -i "$t/a.tar"
	assert "$output" == "Loaded image: $img:1" "load prints the tag"
	assert "$(berth_quiet images -q --no-trunc "$img:1")" == "$id" "the same image ID"
	run_berth run --rm "$img:1"
	assert "$output" == "from-loaded" "the loaded image runs, with its config"
	run_berth rmi "$img:1"
	run_berth load <"$t/a.tar"
	assert "$output" == "Loaded image: $img:1" "load from stdin"
	run_berth rmi "$img:1"
	gzip -c "$t/a.tar" >"$t/a.tar.gz"
	xz -c "$t/a.tar" >"$t/a.tar.xz"
	zstd -q -c "$t/a.tar" >"$t/a.tar.zst"
	bzip2 -c "$t/a.tar" >"$t/a.tar.bz2"
	for f in a.tar.gz a.tar.xz a.tar.bz2; do
		run_berth image load -q -i "$t/$f"
		assert "$output" == "Loaded image: $img:1" "load of $f"
		run_berth rmi "$img:1"
	done
	run_berth load <"$t/a.tar.zst"
	assert "$output" == "Loaded image: $img:1" "load of a zstd stream from stdin"
	run_berth load < <(cat "$t/a.tar")
	assert "$output" == "Loaded image: $img:1" "load from a pipe"
	run_berth rmi "$img:1"
	assert "$(ls -A "$BERTH_ROOT/tmp" 2>/dev/null)" == "" "no temporary file left"
}

@test "save writes Docker 25's layout: OCI layout, manifest.json, repositories, checked digests" {
	local img t=$BATS_TEST_TMPDIR
	img=$(random_name lay)
	run_berth import "$BUSYBOX_TAR" "$img:v1"
	run_berth save -o "$t/s.tar" "$img:v1"
	run tar -tf "$t/s.tar"
	assert "$(grep -v '^blobs/' <<<"$output" | tr '\n' ' ')" == "index.json manifest.json oci-layout repositories " \
		"the files after the blobs, as Docker orders them"
	assert "$(grep -c '^blobs/sha256/[0-9a-f]\{64\}$' <<<"$output")" == "3" "config, manifest and layer blobs"
	python3 - "$t/s.tar" "$img" <<'PY'
import hashlib, json, sys, tarfile
tf = tarfile.open(sys.argv[1]); img = sys.argv[2]
f = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
for n, d in f.items():
    if n.startswith("blobs/sha256/"):
        assert hashlib.sha256(d).hexdigest() == n[13:], "blob " + n
assert json.loads(f["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
man = json.loads(f["manifest.json"])
assert man[0]["RepoTags"] == [img + ":v1"], man
assert list(man[0]) == ["Config", "RepoTags", "Layers"], man
idx = json.loads(f["index.json"])
assert idx["mediaType"] == "application/vnd.oci.image.index.v1+json"
d = idx["manifests"][0]
assert d["annotations"] == {"io.containerd.image.name": "docker.io/library/" + img + ":v1",
                            "org.opencontainers.image.ref.name": "v1"}, d
m = json.loads(f["blobs/sha256/" + d["digest"][7:]])
assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
assert "blobs/sha256/" + m["config"]["digest"][7:] == man[0]["Config"]
cfg = json.loads(f[man[0]["Config"]])
layers = [l["digest"] for l in m["layers"]]
assert layers == cfg["rootfs"]["diff_ids"], (layers, cfg["rootfs"])
assert [l["mediaType"] for l in m["layers"]] == ["application/vnd.oci.image.layer.v1.tar"]
assert man[0]["Layers"] == ["blobs/sha256/" + l[7:] for l in layers]
assert json.loads(f["repositories"]) == {img: {"v1": layers[-1][7:]}}
PY
	run_berth rmi "$img:v1"
}

@test "save of several images, of a repository's tags and of an ID; what load prints" {
	local a b t=$BATS_TEST_TMPDIR id
	a=$(random_name many) b=$(random_name many)
	run_berth import "$BUSYBOX_TAR" "$a:1"
	run_berth import -c 'CMD ["true"]' "$BUSYBOX_TAR" "$b:x"
	run_berth tag "$a:1" "$a:2"
	run_berth save -o "$t/x.tar" "$a:1" "$b:x"
	run_berth save -o "$t/repo.tar" "$a"
	id=$(berth_quiet images -q --no-trunc "$a:1")
	run_berth save -o "$t/id.tar" "${id:7:12}"
	run_berth rmi "$a:1" "$a:2" "$b:x"
	run_berth load -q -i "$t/x.tar"
	assert "$output" == $"Loaded image: $a:1"$'\n'"Loaded image: $b:x" "two images, in order"
	run_berth rmi "$a:1" "$b:x"
	run_berth load -i "$t/repo.tar"
	assert "$(sort <<<"$output")" == "Loaded image: $a:1"$'\n'"Loaded image: $a:2" \
		"a name alone saves every tag of the repository"
	run_berth rmi "$a:1" "$a:2"
	run_berth load -i "$t/id.tar"
	assert "$output" == "Loaded image ID: $id" "an image saved by ID loads untagged"
	run_berth rmi "$id"
}

@test "load moves a tag that named another image, as Docker says" {
	local a t=$BATS_TEST_TMPDIR old new
	a=$(random_name move)
	run_berth import "$BUSYBOX_TAR" "$a:1"
	run_berth save -o "$t/one.tar" "$a:1"
	new=$(berth_quiet images -q --no-trunc "$a:1")
	run_berth rmi "$a:1"
	run_berth import -c 'CMD ["true"]' "$BUSYBOX_TAR" "$a:1"
	old=$(berth_quiet images -q --no-trunc "$a:1")
	run_berth load -i "$t/one.tar"
	assert "$output" == "The image $a:1 already exists, renaming the old one with ID $old to empty string"$'\n'"Loaded image: $a:1" \
		"Docker's message"
	assert "$(berth_quiet images -q --no-trunc "$a:1")" == "$new" "the tag moved"
	run_berth rmi "$a:1" "$old"
}

@test "save of an unknown image fails as Docker does and writes nothing" {
	local t=$BATS_TEST_TMPDIR
	run_berth 1 save -o "$t/none.tar" "no-such-image-$$:1"
	assert "$output" == "Error response from daemon: reference does not exist" "a tag that does not exist"
	run_berth 1 save -o "$t/none.tar" "no-such-image-$$"
	assert "$output" == "Error response from daemon: No such image: no-such-image-$$" "a name that does not exist"
	run_berth 1 save -o "$t/none.tar" busybox "no-such-image-$$:2"
	assert "$(ls -A "$t")" == "" "no output file, no temporary file"
	run_berth 125 save
	assert "$output" =~ "requires at least 1 argument" "no image named"
	run_berth 125 save --format zip -o "$t/z" busybox
	assert "$output" =~ "invalid argument \"zip\" for \"--format\"" "unknown format"
	run_berth 1 load -i "$t/does-not-exist.tar"
	assert "$output" =~ "does-not-exist.tar': No such file or directory" "load of a missing file"
}

@test "oci-archive and oci-dir: save, read back by load" {
	local img t=$BATS_TEST_TMPDIR id
	img=$(random_name oci)
	run_berth import "$BUSYBOX_TAR" "$img:1"
	id=$(berth_quiet images -q --no-trunc "$img:1")
	run_berth save --format oci-archive -o "$t/o.tar" "$img:1"
	run tar -tf "$t/o.tar"
	assert "$(grep -v '^blobs/' <<<"$output" | tr '\n' ' ')" == "index.json oci-layout " \
		"an OCI layout only"
	run_berth save --format oci-dir -o "$t/dir" "$img:1"
	assert "$(ls "$t/dir" | tr '\n' ' ')" == "blobs index.json oci-layout " "the layout as a folder"
	assert "$(tar -xOf "$t/o.tar" index.json)" == "$(cat "$t/dir/index.json")" "the same index"
	assert "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$t/dir/index.json")" \
		== "$img:1" "ref.name names the image"
	run_berth 1 save --format oci-dir -o "$t/dir" "$img:1"
	assert "$output" =~ "exists and is not an empty folder" "an existing layout is not overwritten"
	run_berth rmi "$img:1"
	run_berth load -i "$t/o.tar"
	assert "$output" == "Loaded image: $img:1" "oci-archive loaded with its tag"
	assert "$(berth_quiet images -q --no-trunc "$img:1")" == "$id" "the same image ID"
	run_berth rmi "$img:1"
	run_berth load -i "$t/dir"
	assert "$output" == "Loaded image: $img:1" "oci-dir loaded with its tag"
	run_berth run --rm "$img:1" echo ok
	assert "$output" == "ok" "it runs"
	run_berth rmi "$img:1"
}

@test "a multi-layer image survives save, rmi and load" {
	local c img t=$BATS_TEST_TMPDIR
	c=$(random_name ml) img=$(random_name ml)
	run_berth run --name "$c" busybox sh -c 'echo one > /one; rm /bin/vi'
	run_berth commit "$c" "$img:1"
	run_berth rm "$c"
	run_berth run --name "$c" "$img:1" sh -c 'echo two > /two'
	run_berth commit "$c" "$img:2"
	run_berth rm "$c"
	run_berth save -o "$t/ml.tar" "$img:2"
	run_berth rmi "$img:2" "$img:1"
	run_berth load -i "$t/ml.tar"
	assert "$output" == "Loaded image: $img:2" "loaded"
	run_berth run --rm "$img:2" sh -c 'cat /one /two; test -e /bin/vi || echo no-vi'
	assert "$output" == $'one\ntwo\nno-vi' "three layers, with the whiteout"
	run_berth image inspect -f '{{len .RootFS.Layers}}' "$img:2"
	assert "$output" == "3" "three layers"
	run_berth rmi "$img:2"
	# the top layer replaced: the one below is unpacked first, then everything goes
	python3 - "$t/ml.tar" "$t/ml-bad.tar" <<'PY'
import io, json, sys, tarfile
src = tarfile.open(sys.argv[1])
f = {m.name: src.extractfile(m).read() for m in src.getmembers() if m.isfile()}
man = json.loads(f["manifest.json"])
bio = io.BytesIO()
with tarfile.open(fileobj=bio, mode="w") as t:
    ti = tarfile.TarInfo("two"); ti.size = 4; t.addfile(ti, io.BytesIO(b"bad\n"))
f["top.tar"] = bio.getvalue()
man[0]["Layers"][2] = "top.tar"
f["manifest.json"] = json.dumps(man).encode()
with tarfile.open(sys.argv[2], "w") as out:
    for n, d in f.items():
        ti = tarfile.TarInfo(n); ti.size = len(d); out.addfile(ti, io.BytesIO(d))
PY
	bad_load "a bad top layer over good ones" "$t/ml-bad.tar" "^invalid diffID for layer 2"
}

@test "skopeo reads what berth saves" {
	requires tool:skopeo tool:jq
	local img t=$BATS_TEST_TMPDIR id
	img=$(random_name sko)
	run_berth import "$BUSYBOX_TAR" "$img:1"
	id=$(berth_quiet images -q --no-trunc "$img:1")
	run_berth save -o "$t/d.tar" "$img:1"
	run_berth save --format oci-archive -o "$t/o.tar" "$img:1"
	run_berth save --format oci-dir -o "$t/dir" "$img:1"
	run skopeo inspect --config "docker-archive:$t/d.tar"
	assert "$status" == "0" "skopeo inspect docker-archive: $output"
	assert "$(jq -r .rootfs.diff_ids[0] <<<"$output")" == \
		"$(berth_quiet image inspect -f '{{index .RootFS.Layers 0}}' "$img:1")" "skopeo sees the layer"
	run skopeo inspect "oci-archive:$t/o.tar:$img:1"
	assert "$status" == "0" "skopeo inspect oci-archive with the name: $output"
	run skopeo inspect --raw "oci:$t/dir:$img:1"
	assert "$status" == "0" "skopeo inspect of the OCI folder: $output"
	assert "$(jq -r .config.digest <<<"$output")" == "$id" "the manifest's config is the image ID"
	run skopeo copy "docker-archive:$t/d.tar" "oci:$t/copied:x"
	assert "$status" == "0" "skopeo copy from berth's archive: $output"
	run_berth rmi "$img:1"
}

@test "berth loads what skopeo writes: oci-archive, OCI folder, docker-archive, gzip and zstd layers" {
	requires tool:skopeo
	local img t=$BATS_TEST_TMPDIR
	img=$(random_name sk2)
	small_image_archive "$t/src.tar"
	run skopeo copy "docker-archive:$t/src.tar" "oci-archive:$t/o.tar:$img:2"
	assert "$status" == "0" "skopeo copy to oci-archive: $output"
	run_berth load -i "$t/o.tar"
	assert "$output" == "Loaded image: $img:2" "skopeo's ref.name \"name:tag\" is the tag"
	run_berth rmi "$img:2"
	run skopeo copy "docker-archive:$t/src.tar" "oci:$t/dir:tag"
	assert "$status" == "0" "skopeo copy to an OCI folder: $output"
	run_berth load -i "$t/dir"
	assert "$output" =~ ^"Loaded image ID: sha256:"[0-9a-f]{64}$ "a bare tag names no repository"
	run_berth rmi "${output#Loaded image ID: }"
	run skopeo copy --dest-compress "docker-archive:$t/src.tar" "oci:$t/gz:$img:gz"
	assert "$(jq -r '.layers[0].mediaType' "$t/gz/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$t/gz/index.json")")" \
		== "application/vnd.oci.image.layer.v1.tar+gzip" "a gzip layer"
	run_berth load -i "$t/gz"
	assert "$output" == "Loaded image: $img:gz" "gzip layers"
	run_berth rmi "$img:gz"
	run skopeo copy --dest-compress-format zstd "docker-archive:$t/src.tar" "oci-archive:$t/zst.tar:$img:zst"
	assert "$status" == "0" "skopeo copy with zstd layers: $output"
	run_berth load -i "$t/zst.tar"
	assert "$output" == "Loaded image: $img:zst" "zstd layers"
	run_berth rmi "$img:zst"
	run skopeo copy "docker-archive:$t/src.tar" "docker-archive:$t/sd.tar:$img:3"
	assert "$status" == "0" "skopeo copy to docker-archive: $output"
	run_berth load -i "$t/sd.tar"
	assert "$output" == "Loaded image: $img:3" "skopeo's docker-archive"
	run_berth rmi "$img:3"
	mutate "$t/src.tar" "$t/gzl.tar" gzip-layer
	run_berth load -i "$t/gzl.tar"
	assert "$output" =~ "^Loaded image: small-" "a docker-archive with a gzip layer.tar"
	run_berth rmi "${output#Loaded image: }"
}

@test "Docker's older layout: <id>/layer.tar, <hex>.json, symlinked layers, pax and GNU long names" {
	requires tool:python3
	local t=$BATS_TEST_TMPDIR name img
	img=$(random_name old)
	run_berth import "$BUSYBOX_TAR" "$img:src"
	run_berth save -o "$t/src.tar" "$img:src"
	run_berth rmi "$img:src"
	python3 - "$t" "$img" <<'PY'
import hashlib, io, json, sys, tarfile
d, img = sys.argv[1:3]
tf = tarfile.open(d + "/src.tar")
f = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
man = json.loads(f["manifest.json"])
cfg, layer = f[man[0]["Config"]], f[man[0]["Layers"][0]]
h = hashlib.sha256(cfg).hexdigest()
for fmt, name in ((tarfile.PAX_FORMAT, "pax"), (tarfile.GNU_FORMAT, "gnu")):
    long = "d" * 120 + "/" + "e" * 120
    with tarfile.open(f"{d}/{name}.tar", "w", format=fmt) as out:
        def add(n, data=None, typ=None, link=None):
            ti = tarfile.TarInfo(n)
            if data is not None:
                ti.size = len(data)
            if typ:
                ti.type, ti.linkname = typ, link
            out.addfile(ti, io.BytesIO(data) if data is not None else None)
        add(h + ".json", cfg)
        add(long + "/VERSION", b"1.0")
        add(long + "/layer.tar", layer)
        add("abc", typ=tarfile.DIRTYPE, link="")
        add("abc/layer.tar", typ=tarfile.SYMTYPE, link="../" + long + "/layer.tar")
        add("hl", typ=tarfile.LNKTYPE, link=long + "/layer.tar")
        add("manifest.json", json.dumps([{"Config": h + ".json", "RepoTags": [f"{img}:{name}"],
                                          "Layers": ["abc/layer.tar" if name == "pax" else "hl"]}]).encode())
        add("repositories", json.dumps({img: {name: "x"}}).encode())
PY
	for name in pax gnu; do
		run_berth load -i "$t/$name.tar"
		assert "$output" == "Loaded image: $img:$name" "older layout, $name headers"
		run_berth run --rm "$img:$name" echo ok
		assert "$output" == "ok" "it runs ($name)"
		run_berth rmi "$img:$name"
	done
}

@test "archives with wrong digests or missing parts are refused and nothing is stored" {
	requires tool:python3
	local t=$BATS_TEST_TMPDIR
	small_image_archive "$t/base.tar"
	small_image_archive "$t/oci-src.tar" oci-archive
	for kind in config layer diffid nolayer noconfig nomanifest badmanifest; do
		mutate "$t/base.tar" "$t/$kind.tar" "$kind"
	done
	bad_load "a config that does not match its digest" "$t/config.tar" \
		"^invalid digest for config 'blobs/sha256/[0-9a-f]{64}': expected \"sha256:"
	bad_load "a layer that does not match its blob digest" "$t/layer.tar" \
		"^invalid digest for layer 0 \('blobs/sha256/[0-9a-f]{64}'\)"
	bad_load "a layer that does not match the diff ID" "$t/diffid.tar" \
		"^invalid diffID for layer 0: expected \"sha256:[0-9a-f]{64}\", got \"sha256:[0-9a-f]{64}\"$"
	bad_load "a missing layer" "$t/nolayer.tar" "^open 'blobs/sha256/[0-9a-f]{64}' in the archive: No such file or directory$"
	bad_load "a missing config" "$t/noconfig.tar" "^open 'blobs/sha256/[0-9a-f]{64}' in the archive: No such file"
	bad_load "no manifest" "$t/nomanifest.tar" "neither manifest.json nor index.json"
	bad_load "a bad manifest" "$t/badmanifest.tar" "invalid manifest.json"
	for kind in oci-manifest oci-layer oci-nolayer; do
		mutate "$t/oci-src.tar" "$t/$kind.tar" "$kind"
	done
	bad_load "an OCI manifest that does not match its digest" "$t/oci-manifest.tar" \
		"^invalid digest for image manifest"
	bad_load "an OCI layer that does not match its descriptor" "$t/oci-layer.tar" "^invalid digest for layer 0"
	bad_load "a missing OCI layer" "$t/oci-nolayer.tar" "No such file or directory"
	head -c 3000 "$t/base.tar" >"$t/trunc.tar"
	head -c 100000 /dev/urandom >"$t/garbage"
	: >"$t/empty"
	bad_load "a truncated archive" "$t/trunc.tar" "truncated|invalid"
	bad_load "garbage" "$t/garbage" "invalid tar archive"
	gzip -c "$t/base.tar" >"$t/full.tar.gz"
	head -c $(($(stat -c %s "$t/full.tar.gz") / 2)) "$t/full.tar.gz" >"$t/trunc.tar.gz"
	bad_load "a truncated gzip archive" "$t/trunc.tar.gz" "invalid"
	bad_load "an empty file" "$t/empty" "empty input|invalid"
}

@test "archives that escape are refused and nothing is written outside" {
	requires tool:python3
	local t=$BATS_TEST_TMPDIR kind
	rm -f /tmp/berth-evil-load-*
	small_image_archive "$t/base.tar"
	for kind in dotdot absolute cfgpath symesc symabs hardesc inner-dotdot inner-sym inner-hard; do
		mutate "$t/base.tar" "$t/$kind.tar" "$kind"
	done
	bad_load "a ../ entry" "$t/dotdot.tar" "^invalid tar entry '../../../../../../tmp/berth-evil-load-dotdot': path escapes the archive$"
	bad_load "an absolute entry" "$t/absolute.tar" "^invalid tar entry '/tmp/berth-evil-load-abs': absolute path$"
	bad_load "a manifest path out of the archive" "$t/cfgpath.tar" "^invalid path '../../../../../../etc/passwd': it leads out of the archive$"
	bad_load "a symlink out of the archive" "$t/symesc.tar" "^invalid tar entry 'evil': symlink target '../../../../../../tmp' escapes the archive$"
	bad_load "an absolute symlink" "$t/symabs.tar" "^invalid tar entry 'lnk': symlink target '/etc/passwd' is absolute$"
	bad_load "a hardlink out of the archive" "$t/hardesc.tar" "^invalid tar entry 'h': hardlink target '../../../../../../etc/passwd' escapes the archive$"
	bad_load "a layer with a ../ entry" "$t/inner-dotdot.tar" "invalid tar entry '../../../../../../tmp/berth-evil-load-inner': path escapes the root"
	bad_load "a layer writing through a symlink" "$t/inner-sym.tar" "invalid tar entry 'link/berth-evil-load-innersym': path goes through a symlink"
	bad_load "a layer with a hardlink out" "$t/inner-hard.tar" "invalid tar entry 'h': hardlink target '../../../../../../etc/passwd' escapes the root"
	assert "$(ls /tmp/berth-evil-load-* 2>/dev/null | wc -l)" == "0" "nothing written outside"
	# a folder given to load: its files are opened beneath it
	mkdir -p "$t/layout/blobs/sha256"
	printf '{"imageLayoutVersion": "1.0.0"}' >"$t/layout/oci-layout"
	ln -s /etc/passwd "$t/layout/index.json"
	bad_load "a folder whose index.json leads out" "$t/layout" "it leads out of the folder"
}

@test "save refuses a terminal for output and load a terminal for input" {
	requires tool:script
	run script -qec "$BERTH save busybox" /dev/null
	assert "$status" == "1" "exit code 1"
	assert "$output" =~ "cowardly refusing to save to a terminal. Use the -o flag or redirect" "Docker's message"
	run script -qec "$BERTH load" /dev/null
	assert "$status" == "1" "exit code 1"
	assert "$output" =~ "requested load from stdin, but stdin is empty" "Docker's message"
}

@test "an OCI folder loads without openat2 too, and its symlinks still cannot lead out" {
	[[ -x $BERTH_ENOSYS ]] || die "no $BERTH_ENOSYS (ninja -C $BUILD tests/helpers/berth-enosys)"
	local t=$BATS_TEST_TMPDIR before
	small_image_archive "$t/dir" oci-dir
	BERTH="$BERTH_ENOSYS" run_berth openat2 "$BERTH" load -i "$t/dir"
	assert "$output" =~ "^Loaded image: small-" "loaded with the O_NOFOLLOW walk"
	run_berth rmi "${output#Loaded image: }"
	# the blobs moved out of the folder, a symlink in their place
	mv "$t/dir/blobs" "$t/elsewhere"
	ln -s "$t/elsewhere" "$t/dir/blobs"
	bad_load "a folder whose blobs lead out" "$t/dir" "it leads out of the folder"
	before=$(store_snapshot)
	BERTH="$BERTH_ENOSYS" run_berth 1 openat2 "$BERTH" load -i "$t/dir"
	assert "$output" =~ "it leads out of the folder" "refused without openat2 too"
	assert "$(store_snapshot)" == "$before" "nothing stored"
}
