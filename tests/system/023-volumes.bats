#!/usr/bin/env bats
# Volumes: bind mounts, named and anonymous volumes, VOLUME, --volumes-from, data
# containers, --mount, copy-up, cleanup; bad input and symlinks that would lead out.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

teardown() {
	# the propagation test's host mounts, should it stop half-way
	local m
	for m in "$BATS_TEST_TMPDIR/shared/sub" "$BATS_TEST_TMPDIR/shared" "$BATS_TEST_TMPDIR/private"; do
		mountpoint -q "$m" && umount "$m"
	done
	berth_teardown
}

# The names of the volumes, one a line.
volumes() {
	berth_quiet volume ls -q
}

# The name of the volume a container mounts at a destination.
volume_at() {
	berth_quiet inspect --format "{{range .Mounts}}{{if eq .Destination \"$2\"}}{{.Name}}{{end}}{{end}}" "$1"
}

@test "bind mounts: -v HOST:CTR, read-only with :ro, ./relative from the CLI's folder" {
	local h=$BATS_TEST_TMPDIR/host
	mkdir -p "$h/sub"
	echo hostfile >"$h/f"
	run_berth run --rm -v "$h:/opt/namer" busybox sh -c 'cat /opt/namer/f; echo back > /opt/namer/g'
	assert "$output" == "hostfile" "the host's file is in the container"
	assert "$(cat "$h/g")" == "back" "what the container writes is on the host"
	run_berth 1 run --rm -v "$h/sub:/var/www/html/webapp:ro" busybox touch /var/www/html/webapp/x
	assert "$output" =~ "Read-only file system" ":ro: writes fail"
	run_berth run --rm --volume "$h:/w:rw,z" busybox touch /w/rw
	assert "$(ls "$h/rw" 2>/dev/null)" == "$h/rw" ":rw,z is writable"
	cd "$h"
	run_berth run --rm -v ./sub:/s -v .:/top busybox sh -c 'ls /top; touch /s/made'
	cd - >/dev/null
	assert "$output" =~ "sub" ". is the CLI's folder"
	assert "$(ls "$h/sub")" == "made" "./sub is the folder below it"
	run_berth run --rm -v /etc/hostname:/h/name:ro busybox cat /h/name
	assert "$output" == "$(cat /etc/hostname)" "a file is bound onto a file"
}

@test "-v makes a missing host folder, --mount type=bind refuses it" {
	local h=$BATS_TEST_TMPDIR/made/here
	run_berth run --rm -v "$h:/x" busybox true
	assert "$(stat -c %F "$h")" == "directory" "-v made the host folder"
	run_berth 125 run --rm --mount "type=bind,src=$BATS_TEST_TMPDIR/nope,dst=/x" busybox true
	assert "$output" == "berth: Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: $BATS_TEST_TMPDIR/nope." "Docker's message"
	assert "$(ls -d "$BATS_TEST_TMPDIR/nope" 2>/dev/null)" == "" "nothing made"
	run_berth run --rm --mount "type=bind,source=$BATS_TEST_TMPDIR/made,target=/m,readonly" busybox ls /m
	assert "$output" == "here" "--mount type=bind"
}

@test "anonymous volumes: -v /path, inspect's Mounts, rm -v, --rm" {
	local c before
	c=$(random_name anon)
	before=$(volumes | wc -l)
	run_berth run -d --name "$c" -v /var/lib/postgresql busybox sh -c 'echo db > /var/lib/postgresql/f; sleep 60'
	run_berth inspect --format '{{json .Mounts}}' "$c"
	local re='^\[\{"Type":"volume","Name":"[0-9a-f]{64}","Source":"'$BERTH_ROOT'/volumes/[0-9a-f]{64}/_data","Destination":"/var/lib/postgresql","Driver":"local","Mode":"","RW":true,"Propagation":""\}\]$'
	assert "$output" =~ "$re" "Docker's Mounts: a 64-hex volume under the data root, not a host folder"
	local v
	v=$(volume_at "$c" /var/lib/postgresql)
	run_berth volume inspect --format '{{.Labels}}' "$v"
	assert "$output" == "map[com.docker.volume.anonymous:]" "marked anonymous, as Docker 23+"
	run_berth ps --filter "volume=$v" --format '{{.Names}}'
	assert "$output" == "$c" "ps --filter volume=NAME"
	run_berth ps --filter volume=/var/lib/postgresql --format '{{.Names}}'
	assert "$output" == "$c" "ps --filter volume=DESTINATION"
	run_berth ps --filter volume=nothing-there --format '{{.Names}}'
	assert "$output" == "" "no container mounts it"
	run_berth rm -f "$c"
	assert "$(volumes | grep -c "$v")" == "1" "rm without -v keeps the anonymous volume"
	run_berth volume rm "$v"

	run_berth run --name "$c" -v /scratch -v "$c-named:/named" busybox true
	v=$(volume_at "$c" /scratch)
	run_berth rm -v "$c"
	assert "$(volumes | grep -c "$v")" == "0" "rm -v removed the anonymous volume"
	assert "$(volumes | grep -cx "$c-named")" == "1" "but never a named one"
	run_berth run --rm -v /scratch -v "$c-named:/named" busybox true
	assert "$(volumes | wc -l)" == "$((before + 1))" "--rm removed its anonymous volume, kept the named one"
	run_berth volume rm "$c-named"
}

@test "data containers: --volumes-from, repeated, :ro" {
	local alpha www logs
	alpha=$(random_name alpha) www=$(random_name wwwdata) logs=$(random_name wwwlogs)
	run_berth run --name "$alpha" -v /var/log busybox sh -c 'date > /var/log/now'
	run_berth run --rm --volumes-from "$alpha" busybox cat /var/log/now
	assert "$output" =~ 20[0-9][0-9] "the other container's volume, with its file"
	run_berth run --name "$www" -v /var/lib/www busybox true
	run_berth run --name "$logs" -v /var/log/www busybox true
	run_berth run --rm --volumes-from "$www" --volumes-from "$logs" busybox \
		sh -c 'echo a > /var/lib/www/a && echo b > /var/log/www/b'
	run_berth run --rm --volumes-from "$www:rw" busybox cat /var/lib/www/a
	assert "$output" == "a" "the data container keeps what others wrote"
	run_berth 1 run --rm --volumes-from "$www:ro" busybox touch /var/lib/www/x
	assert "$output" =~ "Read-only file system" ":ro mounts them read-only"
	run_berth inspect --format '{{range .Mounts}}{{.RW}}{{end}}' "$www"
	assert "$output" == "true" "the data container's own mount stays writable"

	# rm -v of a container that shares an anonymous volume: kept while another uses it
	local v other
	v=$(volume_at "$www" /var/lib/www) other=$(random_name other)
	run_berth create --name "$other" --volumes-from "$www" busybox true
	run_berth rm -v "$www"
	assert "$(volumes | grep -c "$v")" == "1" "still used by $other"
	run_berth rm -v "$other"
	assert "$(volumes | grep -c "$v")" == "0" "gone with its last user"
	run_berth rm -v "$alpha" "$logs"
}

@test "named volumes: create, use, ls, inspect, rm; created on first use" {
	local n
	n=$(random_name data)
	run_berth volume create --label team=web --label solo -o type=tmpfs -o device=tmpfs -o o=size=2m "$n-opt"
	assert "$output" == "$n-opt" "create prints the name"
	run_berth volume create "$n"
	run_berth volume create "$n"
	assert "$output" == "$n" "creating an existing volume is no error, as Docker's local driver"
	run_berth run --rm -v "$n:/data" busybox sh -c 'echo 1 > /data/f'
	run_berth run --rm -v "$n:/data" busybox cat /data/f
	assert "$output" == "1" "the volume kept the data"
	run_berth 1 run --rm --mount "type=volume,src=$n,dst=/data,readonly" busybox sh -c 'cat /data/f; touch /data/g'
	assert "$output" =~ ^1.*Read-only "--mount readonly: readable, not writable"
	run_berth run --rm -v "$n-auto:/auto" busybox true
	assert "$(volumes | grep -cx "$n-auto")" == "1" "-v NAME:/path creates the volume on first use"

	run_berth volume ls
	assert "${lines[0]}" =~ ^DRIVER\ +VOLUME\ NAME$ "ls's header"
	assert "$output" =~ $'\n'"local +$n"$'\n' "ls's row"
	run_berth volume list -q --filter "name=$n" --filter label=team=web
	assert "$output" == "$n-opt" "filters of different keys all apply"
	run_berth volume ls --format '{{.Name}} {{.Driver}} {{.Scope}} {{.Label "team"}} {{.Links}}' --filter "label=team"
	assert "$output" == "$n-opt local local web 0" "--format fields"

	run_berth volume inspect "$n-opt"
	assert "$output" =~ \"CreatedAt\":\ \"[0-9]{4}-[0-9-]+T[0-9:]+Z\" "CreatedAt"
	assert "$output" =~ \"Mountpoint\":\ \"$BERTH_ROOT/volumes/$n-opt/_data\" "Mountpoint"
	run_berth volume inspect --format '{{.Name}} {{.Driver}} {{.Scope}} {{json .Labels}} {{json .Options}}' "$n-opt"
	assert "$output" == "$n-opt local local {\"team\":\"web\",\"solo\":\"\"} {\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=2m\"}" \
		"Docker's fields"
	run_berth inspect --format '{{.Name}}' "$n"
	assert "$output" == "$n" "docker inspect finds volumes too"
	run_berth run --rm -v "$n-opt:/t" busybox sh -c 'df -k /t | tail -n 1'
	assert "$output" =~ ^tmpfs\ +2048\  "the local driver's options mount a tmpfs"

	run_berth volume rm "$n" "$n-opt" "$n-auto"
	assert "$output" == "$n"$'\n'"$n-opt"$'\n'"$n-auto" "rm prints the names"
	assert "$(ls "$BERTH_ROOT/volumes" | grep -c "^$n")" == "0" "their folders are gone"
}

@test "a volume in use cannot go; rm -f of a missing one is no error" {
	local n c
	n=$(random_name inuse) c=$(random_name user)
	run_berth create --name "$c" -v "$n:/d" busybox true
	local id
	id=$(berth_quiet inspect --format '{{.Id}}' "$c")
	run_berth 1 volume rm "$n"
	assert "$output" == "Error response from daemon: remove $n: volume is in use - [$id]" "Docker's message"
	run_berth 1 volume rm no-such-volume
	assert "$output" == "Error response from daemon: get no-such-volume: no such volume" "missing"
	run_berth volume rm -f no-such-volume
	run_berth 1 volume inspect no-such-volume
	assert "$output" =~ "get no-such-volume: no such volume" "inspect of a missing volume"
	run_berth rm "$c"
	run_berth volume rm "$n"
}

@test "volume prune: anonymous unused volumes, -a all unused ones, --filter label" {
	local n c
	n=$(random_name prune) c=$(random_name keep)
	run_berth volume create "$n-named"
	run_berth volume create --label drop=yes "$n-labeled"
	run_berth run --name "$n-a" -v /anon busybox true
	local anon
	anon=$(volume_at "$n-a" /anon)
	run_berth rm "$n-a"
	run_berth create --name "$c" -v /kept busybox true
	local kept
	kept=$(volume_at "$c" /kept)

	run_berth volume prune <<<"n"
	assert "$output" =~ "WARNING! This will remove anonymous local volumes not used by at least one container." "asks first"
	assert "$(volumes | grep -c "$anon")" == "1" "no: nothing removed"
	run_berth volume prune -f
	assert "$output" =~ "Deleted Volumes:"$'\n'"$anon"$'\n\n'"Total reclaimed space: " "removes the unused anonymous volume"
	assert "$(volumes | grep -c "$kept")" == "1" "a volume in use stays"
	assert "$(volumes | grep -cx "$n-named")" == "1" "named volumes stay without -a"
	run_berth volume prune -a -f --filter label=drop=yes
	assert "$output" =~ "Deleted Volumes:"$'\n'"$n-labeled"$'\n' "--filter label"
	run_berth volume prune --all --force
	assert "$(volumes | grep -c "$n-")" == "0" "-a removes named ones too"
	assert "$(volumes | grep -c "$kept")" == "1" "but not one in use"
	run_berth rm -v "$c"
	run_berth 1 volume prune -f --filter color=red
	assert "$output" =~ "invalid filter 'color'" "unknown filter"
}

@test "system prune --volumes removes unused anonymous volumes" {
	local c
	c=$(random_name sp)
	run_berth run --name "$c" -v /anon busybox true
	local v
	v=$(volume_at "$c" /anon)
	run_berth system prune -f --volumes
	assert "$output" =~ "Deleted Volumes:"$'\n'"$v" "the container went, then its volume"
	assert "$(volumes | grep -c "$v")" == "0" "gone"
}

@test "--mount type=tmpfs with a size and a mode" {
	run_berth run --rm --mount type=tmpfs,dst=/cache,tmpfs-size=64m,tmpfs-mode=1770 busybox \
		sh -c 'df -k /cache | tail -n 1; stat -c %a /cache'
	assert "${lines[0]}" =~ ^tmpfs\ +65536\  "64m"
	assert "${lines[1]}" == "1770" "the mode"
	local c
	c=$(random_name tmpfs)
	run_berth create --name "$c" --mount type=tmpfs,dst=/cache busybox true
	run_berth inspect --format '{{json .Mounts}}' "$c"
	assert "$output" == '[{"Type":"tmpfs","Source":"","Destination":"/cache","Mode":"","RW":true,"Propagation":""}]' "inspect"
	run_berth rm "$c"
}

@test "VOLUME of the image makes an anonymous volume unless something is mounted there" {
	local img c h=$BATS_TEST_TMPDIR/h
	img=$(random_name volimg) c=$(random_name vc)
	mkdir -p "$h"
	run_berth import -c 'CMD ["sh"]' -c 'VOLUME /data' "$BUSYBOX_TAR" "$img"
	run_berth run --name "$c" "$img" sh -c 'echo x > /data/x'
	run_berth inspect --format '{{range .Mounts}}{{.Type}} {{.Destination}}{{end}}' "$c"
	assert "$output" == "volume /data" "an anonymous volume at /data"
	run_berth rm -v "$c"
	run_berth run --name "$c" -v "$h:/data" "$img" sh -c 'echo y > /data/y'
	run_berth inspect --format '{{len .Mounts}} {{range .Mounts}}{{.Type}}{{end}}' "$c"
	assert "$output" == "1 bind" "the bind replaces the image's volume"
	assert "$(cat "$h/y")" == "y" "written to the host"
	run_berth rm -v "$c"
	run_berth run --rm -v /more "$img" sh -c 'mount | grep -c -e " /data " -e " /more "'
	assert "$output" == "2" "-v /path and VOLUME together"
	run_berth rmi "$img"
}

@test "copy-up: a fresh volume gets the image's files with owner, mode, times and xattrs" {
	requires tool:python3
	local img c n
	img=$(random_name cu) c=$(random_name cuc) n=$(random_name cuv)
	python3 - "$BATS_TEST_TMPDIR" "$BUSYBOX_TAR" <<'PY'
import io, sys, tarfile
d, base = sys.argv[1], sys.argv[2]
src = tarfile.open(base)
with tarfile.open(f"{d}/cu.tar", "w", format=tarfile.PAX_FORMAT) as tf:
    for m in src.getmembers():
        tf.addfile(m, src.extractfile(m) if m.isfile() else None)
    def add(name, typ=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, mtime=1000000000, link="", pax=None):
        ti = tarfile.TarInfo(name); ti.type = typ; ti.mode = mode; ti.uid = uid; ti.gid = gid
        ti.mtime = mtime; ti.linkname = link; ti.size = len(data) if typ == tarfile.REGTYPE else 0
        if pax: ti.pax_headers = pax
        tf.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
    add("opt/app", tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1001, mtime=1100000000)
    add("opt/app/conf", data=b"hello\n", mode=0o640, uid=1000, gid=1001, mtime=1200000000,
        pax={"SCHILY.xattr.user.berth": "yes"})
    add("opt/app/hard", tarfile.LNKTYPE, link="opt/app/conf")
    add("opt/app/link", tarfile.SYMTYPE, link="conf", uid=1000, gid=1001)
    add("opt/app/sub", tarfile.DIRTYPE, mode=0o700, uid=1000, gid=1001, mtime=1300000000)
    add("opt/app/sub/suid", data=b"x", mode=0o4755)
PY
	run_berth import -c 'CMD ["sh"]' -c 'VOLUME /opt/app' "$BATS_TEST_TMPDIR/cu.tar" "$img"
	run_berth run --name "$c" "$img" true
	local v d
	v=$(volume_at "$c" /opt/app)
	d=$BERTH_ROOT/volumes/$v/_data
	assert "$(stat -c '%a %u %g %Y' "$d")" == "750 1000 1001 1100000000" "the volume's root is the image's folder"
	assert "$(stat -c '%a %u %g %Y %h' "$d/conf")" == "640 1000 1001 1200000000 2" "a file, with its hard link"
	assert "$(stat -c %i "$d/conf")" == "$(stat -c %i "$d/hard")" "the hard link is one"
	assert "$(readlink "$d/link")" == "conf" "a symlink stays a symlink"
	assert "$(stat -c '%a %Y' "$d/sub")" == "700 1300000000" "a folder's mode and time"
	assert "$(stat -c %a "$d/sub/suid")" == "4755" "setuid kept"
	assert "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.berth").decode())' "$d/conf")" == "yes" "xattrs"
	run_berth rm -v "$c"

	run_berth volume create "$n"
	run_berth run --rm -v "$n:/opt/app" "$img" sh -c 'echo mine > /opt/app/conf; rm /opt/app/hard'
	run_berth run --rm -v "$n:/opt/app" "$img" sh -c 'cat /opt/app/conf; ls /opt/app'
	assert "$output" == $'mine\nconf\nlink\nsub' "a volume with content keeps it: no second copy"
	run_berth run --rm -v "$n-fresh:/etc" busybox cat /etc/passwd
	assert "$output" =~ ^root: "a fresh named volume over /etc gets the image's files"
	run_berth run --rm -v "$n-nocopy:/etc:nocopy" busybox ls /etc
	assert "$(tr '\n' ' ' <<<"$output")" == "hostname hosts resolv.conf " "nocopy: only berth's own mount points"
	run_berth volume rm "$n" "$n-fresh" "$n-nocopy"
	run_berth rmi "$img"
}

@test "diff and commit leave volumes and their mount points out" {
	local c img h=$BATS_TEST_TMPDIR/h
	c=$(random_name dv) img=$(random_name dvimg)
	mkdir -p "$h"
	run_berth run --name "$c" -v /data -v "$c-v:/srv/deep/vol" -v "$h:/mnt/host" -v /etc/hostname:/new/file \
		--mount type=tmpfs,dst=/cache busybox \
		sh -c 'echo 1 > /data/f; echo 2 > /srv/deep/vol/g; echo 3 > /mnt/host/h; touch /changed'
	run_berth diff "$c"
	assert "$output" == "A /changed" "only the container's own change: no mount point shows"
	run_berth commit "$c" "$img"
	run_berth run --rm "$img" sh -c \
		'test -e /data/f && echo data; test -e /srv/deep/vol/g && echo vol; test -e /mnt/host/h && echo bind; ls /changed'
	assert "$output" == "/changed" "the change is in the image, the volumes' contents are not"
	run_berth rm -v "$c"
	run_berth volume rm "$c-v"
	run_berth rmi "$img"
}

@test "mount propagation: rslave sees the host's new mounts, rshared needs a shared source" {
	local d=$BATS_TEST_TMPDIR/shared c
	c=$(random_name prop)
	mkdir -p "$d"
	mount -t tmpfs tmpfs "$d"
	mount --make-shared "$d"
	mkdir "$d/sub"
	run_berth run -d --name "$c" --mount "type=bind,src=$d,dst=/p,bind-propagation=rslave" busybox sleep 60
	mount -t tmpfs tmpfs "$d/sub"
	touch "$d/sub/seen"
	run_berth exec "$c" ls /p/sub
	assert "$output" == "seen" "rslave: the host's mount reached the container"
	run_berth inspect --format '{{range .Mounts}}{{.Propagation}}{{end}}' "$c"
	assert "$output" == "rslave" "inspect shows the propagation"
	run_berth rm -f "$c"
	run_berth run --rm -v "$d:/p" busybox ls /p/sub
	assert "$output" == "seen" "a bind is recursive"
	umount "$d/sub"
	run_berth run -d --name "$c" -v "$d:/p" busybox sleep 60
	mount -t tmpfs tmpfs "$d/sub"
	touch "$d/sub/late"
	run_berth exec "$c" ls /p/sub
	assert "$output" == "" "rprivate (the default): the host's later mounts stay out"
	run_berth rm -f "$c"
	umount "$d/sub"
	run_berth run --rm -v "$d:/p:rshared" busybox true
	umount "$d"
	local private=$BATS_TEST_TMPDIR/private
	mkdir -p "$private"
	mount -t tmpfs tmpfs "$private"
	mount --make-private "$private"
	run_berth 125 run --rm -v "$private:/p:rshared" busybox true
	assert "$output" =~ "path $private is mounted on $private but it is not a shared mount" "Docker's check"
	run_berth 125 run --rm -v "$private:/p:slave" busybox true
	assert "$output" =~ "but it is not a shared or slave mount" "slave needs a shared or slave source"
	umount "$private"
}

@test "bad input: Docker's errors for -v, --mount, --volumes-from and volume names" {
	local n
	n=$(random_name bad)
	run_berth 125 run --rm -v '' busybox true
	assert "${lines[0]}" == "berth: invalid empty volume spec" "empty -v"
	run_berth 125 run --rm -v :/x busybox true
	assert "${lines[0]}" == "berth: invalid spec: :/x: empty section between colons" "empty source"
	run_berth 125 run --rm -v /a:/b:ro:x busybox true
	assert "${lines[0]}" == "berth: invalid spec: /a:/b:ro:x: too many colons" "too many colons"
	run_berth 125 run --rm -v rel/path:/x busybox true
	assert "$output" == 'berth: Error response from daemon: create rel/path: "rel/path" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path.' \
		"a relative host path is a volume name, and not a valid one"
	run_berth 125 run --rm -v /tmp:rel busybox true
	assert "$output" =~ "invalid volume specification: '/tmp:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute" "relative destination"
	run_berth 125 run --rm -v /tmp:/ busybox true
	assert "$output" =~ "destination can't be '/'" "the root as destination"
	run_berth 125 run --rm -v /tmp:/x:bogus busybox true
	assert "$output" =~ "invalid mode: bogus" "bad mode"
	run_berth 125 run --rm -v /tmp:ro busybox true
	assert "$output" =~ "invalid volume specification: '/tmp:ro'" "a mode without a destination"
	run_berth 125 run --rm -v x:/x busybox true
	assert "$output" =~ "create x: volume name is too short, names should be at least two alphanumeric characters" "one-letter name"
	run_berth 125 run --rm -v /tmp:/x -v /etc:/x busybox true
	assert "$output" =~ "Duplicate mount point: /x" "the same destination twice"
	run_berth 125 run --rm --mount src=/tmp busybox true
	assert "${lines[0]}" == 'berth: invalid argument "src=/tmp" for "--mount" flag: target is required' "no target"
	run_berth 125 run --rm --mount type=bind,src=/tmp,dst=/x,colour=red busybox true
	assert "${lines[0]}" =~ "unexpected key 'colour' in 'colour=red'" "unknown key"
	run_berth 125 run --rm --mount type=bind,src=/tmp,dst=/x,readonly=maybe busybox true
	assert "${lines[0]}" =~ "invalid value for readonly: maybe" "bad boolean"
	run_berth 125 run --rm --mount type=tmpfs,dst=/x,volume-nocopy busybox true
	assert "${lines[0]}" =~ "cannot mix 'volume-\*' options with mount type 'tmpfs'" "mixed options"
	run_berth 125 run --rm --mount type=fuse,dst=/x busybox true
	assert "$output" =~ 'invalid mount config for type "fuse": mount type unknown' "unknown type"
	run_berth 125 run --rm --mount type=volume,dst=/x,readonly busybox true
	assert "$output" =~ "must not set ReadOnly mode when using anonymous volumes" "read-only anonymous volume"
	run_berth 125 run --rm --mount type=bind,src=/tmp,dst=/x,bind-propagation=sideways busybox true
	assert "$output" =~ "invalid propagation mode: sideways" "bad propagation"
	run_berth 125 run --rm --volumes-from '' busybox true
	assert "$output" =~ "volumes-from specification cannot be an empty string" "empty --volumes-from"
	run_berth 125 run --rm --volumes-from "$n" busybox true
	assert "$output" =~ "No such container: $n" "unknown container"
	run_berth 125 run --rm --volumes-from "$n:rslave" busybox true
	assert "$output" =~ "invalid mode: rslave" "propagation is not for --volumes-from"
	run_berth 1 volume create 'bad/name'
	assert "$output" =~ "create bad/name: \"bad/name\" includes invalid characters" "bad name"
	run_berth 1 volume create -o color=red "$n"
	assert "$output" =~ "create $n: invalid option: \"color\"" "unknown option"
	run_berth 1 volume create -o o=size=1m "$n"
	assert "$output" =~ "missing required option: \"device\"" "an option without the ones it needs"
	run_berth 1 volume create -d nfs "$n"
	assert "$output" =~ "plugin \"nfs\" not found" "only the local driver"
	run_berth 125 volume create a b
	assert "${lines[0]}" =~ "requires at most 1 argument" "two names"
	run_berth 1 volume ls --filter colour=red
	assert "$output" =~ "invalid filter 'colour'" "unknown filter"
	run_berth volume create ''
	assert "$output" =~ ^[0-9a-f]{64}$ "an empty name: a generated one, as Docker's"
	run_berth volume rm "$output"
	assert "$(volumes | grep -c "$n")" == "0" "nothing was made by the refused commands"
	assert "$(berth_quiet ps -aq | wc -l)" == "0" "no container either"
}

# An image whose /var/log is a symlink out of the root, and /etc/app one to an absolute path.
escape_image() {
	local name=$1 dir=$BATS_TEST_TMPDIR/esc
	mkdir -p "$dir"
	tar -C "$dir" -xf "$BUSYBOX_TAR"
	rm -rf "$dir/var/log"
	mkdir -p "$dir/var"
	ln -s ../../../../../../../tmp/berth-vol-esc "$dir/var/log"
	ln -s /tmp/berth-vol-abs "$dir/etc/app"
	tar -C "$dir" -cf "$BATS_TEST_TMPDIR/esc.tar" .
	run_berth import "$BATS_TEST_TMPDIR/esc.tar" "$name"
}

@test "a destination behind a symlink in the image lands inside the rootfs, never on the host" {
	local img h=$BATS_TEST_TMPDIR/h
	img=$(random_name esc)
	mkdir -p "$h"
	echo inside >"$h/f"
	rm -rf /tmp/berth-vol-esc /tmp/berth-vol-abs
	escape_image "$img"
	run_berth run --rm -v "$h:/var/log" -v "$img-v:/etc/app" "$img" \
		sh -c 'cat /var/log/f; cat /tmp/berth-vol-esc/f; echo v > /etc/app/v; ls /tmp/berth-vol-abs'
	assert "$output" == $'inside\ninside\nv' "mounted where the links lead inside the container"
	assert "$(ls -d /tmp/berth-vol-esc /tmp/berth-vol-abs 2>/dev/null)" == "" "nothing made on the host"
	assert "$(grep -c berth-vol- /proc/self/mountinfo)" == "0" "nothing mounted on the host"
	BERTH="$BERTH_ENOSYS" run_berth openat2 "$BERTH" run --rm -v "$h:/var/log" "$img" cat /tmp/berth-vol-esc/f
	assert "$output" == "inside" "the same without openat2 (the fallback resolves in the root)"
	assert "$(ls -d /tmp/berth-vol-esc 2>/dev/null)" == "" "nothing made on the host (fallback)"
	run_berth volume rm "$img-v"
	run_berth rmi "$img"
}

@test "a bind source that is a symlink mounts what it points to, as Docker's" {
	local real=$BATS_TEST_TMPDIR/real link=$BATS_TEST_TMPDIR/link
	mkdir -p "$real"
	echo real >"$real/f"
	ln -s "$real" "$link"
	run_berth run --rm -v "$link:/data" busybox sh -c 'cat /data/f; echo w > /data/w'
	assert "$output" == "real" "the symlink's target is mounted"
	assert "$(cat "$real/w")" == "w" "and written to"
	run_berth create --name symsrc -v "$link:/data" busybox true
	run_berth inspect --format '{{range .Mounts}}{{.Source}}{{end}}' symsrc
	assert "$output" == "$link" "inspect shows the source as given"
	run_berth rm symsrc
	ln -s "$BATS_TEST_TMPDIR/dangling" "$BATS_TEST_TMPDIR/dangle"
	run_berth 125 run --rm -v "$BATS_TEST_TMPDIR/dangle:/data" busybox true
	assert "$(ls -d "$BATS_TEST_TMPDIR/dangling" 2>/dev/null)" == "" "a dangling link is not followed to make a folder"
}

@test "a crash in the middle of volume rm leaves no dangling record and no other volume's data lost" {
	local n
	n=$(random_name crash)
	run_berth volume create "$n-keep"
	run_berth run --rm -v "$n-keep:/d" busybox sh -c 'echo precious > /d/p'
	run_berth volume create "$n-gone"
	run_berth run --rm -v "$n-gone:/d" busybox sh -c 'echo bye > /d/b'
	BERTH_TEST_CRASH=volume-rm run_berth 137 volume rm "$n-gone"
	run_berth volume ls -q
	assert "$output" !~ "$n-gone" "no dangling record"
	assert "$output" =~ "$n-keep" "the other volume is listed"
	assert "$(ls "$BERTH_ROOT/volumes" | grep -c "$n-gone")" == "0" "its folder went"
	run_berth run --rm -v "$n-keep:/d" busybox cat /d/p
	assert "$output" == "precious" "the other volume's data is intact"
	run_berth volume create "$n-gone"
	run_berth run --rm -v "$n-gone:/d" busybox ls /d
	assert "$output" == "" "a new volume of the same name starts empty"

	# a create that died between its folder and its record: the folder goes, others stay
	mkdir -p "$BERTH_ROOT/volumes/$n-orphan/_data"
	echo x >"$BERTH_ROOT/volumes/$n-orphan/_data/x"
	run_berth volume ls -q
	assert "$output" !~ "$n-orphan" "not a volume"
	assert "$(ls "$BERTH_ROOT/volumes" | grep -c "$n-orphan")" == "0" "its folder was removed"
	run_berth run --rm -v "$n-keep:/d" busybox cat /d/p
	assert "$output" == "precious" "still intact"
	run_berth volume rm "$n-keep" "$n-gone"
}
