#!/usr/bin/env bats
# images -a, --digests and --filter; system df [-v] with shared layers counted once.

load helpers

setup() {
	berth_setup
	ensure_busybox
}

# "2.082MB" → 2082000, as Docker's decimal units
to_bytes() {
	awk -v s="$1" 'BEGIN {
		m = 1
		if (s ~ /kB$/) m = 1e3; else if (s ~ /MB$/) m = 1e6; else if (s ~ /GB$/) m = 1e9
		sub(/[kMG]?B$/, "", s)
		printf "%d\n", s * m
	}'
}

# df_row TYPE: "TOTAL|ACTIVE|SIZE|RECLAIMABLE" of one row of system df
df_row() {
	local out line
	out=$(berth_quiet system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}') ||
		die "system df failed"
	while read -r line; do
		if [[ $line == "$1|"* ]]; then
			printf '%s\n' "${line#*|}"
			return 0
		fi
	done <<<"$out"
	die "no row '$1' in system df"
}

@test "images hides intermediate images without -a; dangling ones always show" {
	local c n pid did
	c=$(random_name c) n=$(random_name inter)
	run_berth run --name "$c" busybox sh -c 'echo p > /p'
	run_berth commit "$c" "$n-parent"
	pid=$output
	run_berth rm "$c"
	run_berth run --name "$c" "$n-parent" touch /x
	run_berth commit "$c" "$n-child"
	run_berth rm "$c"
	run_berth rmi "$n-parent"
	assert "$output" == "Untagged: $n-parent:latest" "the parent is only untagged"

	run_berth images -q --no-trunc
	assert "$output" !~ "$pid" "without -a, the untagged parent is hidden"
	run_berth images -a -q --no-trunc
	assert "$output" =~ "$pid" "-a shows the intermediate image"
	run_berth images -a
	assert "$output" =~ $'\n'"<none> +<none> +${pid:7:12} +" "as a <none> row"

	# an image that lost its tag to a newer one and has no children: dangling
	run_berth run --name "$c" busybox true
	run_berth commit "$c" "$n-dang"
	did=$output
	run_berth commit "$c" "$n-dang"
	run_berth rm "$c"
	run_berth images -q --no-trunc
	assert "$output" =~ "$did" "a dangling image shows without -a"
	run_berth images --digests --filter dangling=true -q --no-trunc
	assert "$output" =~ "$did" "dangling=true lists it"
	assert "$output" !~ "$pid" "dangling=true leaves out intermediate images, as Docker's"
	assert "$output" !~ "$(berth_quiet images -q --no-trunc "$n-dang")" "and tagged images"
	run_berth images -a -f dangling=false -q --no-trunc
	assert "$output" !~ "$did" "dangling=false leaves out untagged images"
	assert "$output" !~ "$pid" "even with -a"

	run_berth rmi "$n-child" "$n-dang" "$did"
	assert "$output" =~ "Deleted: $pid" "the parent went with its child"
}

@test "images --digests: a DIGEST column, <none> without registry digests" {
	run_berth images --digests busybox
	assert "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +DIGEST\ +IMAGE\ ID\ +CREATED\ +SIZE$ "header"
	assert "${lines[1]}" =~ ^busybox\ +latest\ +\<none\>\ +[0-9a-f]{12}\ +.*ago\ +[0-9.]+MB$ "row"
	local col=${lines[0]%%DIGEST*}
	assert "${lines[1]:${#col}:6}" == "<none>" "the digest sits under DIGEST"
	local col_id=${lines[0]%%IMAGE ID*}
	assert "${lines[1]:${#col_id}:12}" =~ ^[0-9a-f]{12}$ "the ID under IMAGE ID"
	run_berth images --format '{{.Repository}} {{.Digest}}' busybox
	assert "$output" == "busybox <none>" "the .Digest field"
	run_berth images --digests -q busybox
	assert "$output" =~ ^[0-9a-f]{12}$ "-q prints only the ID"
}

@test "images --filter: label, reference, before, since, dangling; errors as Docker's" {
	local n f
	n=$(random_name flt)
	run_berth import -c 'LABEL a=b' "$BUSYBOX_TAR" "$n-lab:1"
	run_berth import -c 'LABEL a=c' "$BUSYBOX_TAR" "$n-lab:2"
	run_berth import "$BUSYBOX_TAR" "$n-plain:1"
	f=(--format '{{.Repository}}:{{.Tag}}' -f "reference=$n-*")

	run_berth images "${f[@]}"
	assert "$output" == "$n-plain:1"$'\n'"$n-lab:2"$'\n'"$n-lab:1" "a glob on the repository, newest first"
	run_berth images "${f[@]}" -f label=a
	assert "$output" == "$n-lab:2"$'\n'"$n-lab:1" "label=KEY"
	run_berth images "${f[@]}" -f label=a=b
	assert "$output" == "$n-lab:1" "label=KEY=VALUE"
	run_berth images "${f[@]}" -f label=a=b -f label=a=c
	assert "$output" == "" "labels must all hold, as Docker's MatchKVList"
	run_berth images --format '{{.Repository}}:{{.Tag}}' -f "reference=$n-lab"
	assert "$output" == "$n-lab:2"$'\n'"$n-lab:1" "a repository: all its tags"
	run_berth images --format '{{.Repository}}:{{.Tag}}' -f "reference=$n-*:1"
	assert "$output" == "$n-plain:1"$'\n'"$n-lab:1" "a glob with a tag"
	run_berth images --format '{{.Repository}}:{{.Tag}}' -f "reference=$n-lab:2" -f "reference=$n-plain"
	assert "$output" == "$n-plain:1"$'\n'"$n-lab:2" "two references: either"
	run_berth images --format '{{.Repository}}:{{.Tag}}' -f "reference=$n-plain" "$n-lab:1"
	assert "$output" == "$n-plain:1"$'\n'"$n-lab:1" "the argument is one more reference"
	run_berth images "${f[@]}" -f "before=$n-lab:2"
	assert "$output" == "$n-lab:1" "before"
	run_berth images "${f[@]}" -f "since=$n-lab:1"
	assert "$output" == "$n-plain:1"$'\n'"$n-lab:2" "since"
	run_berth images "${f[@]}" -f "since=$n-lab:1" -f "before=$n-plain:1"
	assert "$output" == "$n-lab:2" "since and before"
	run_berth images "${f[@]}" -f dangling=false
	assert "${#lines[@]}" == "3" "dangling=false keeps tagged images"
	run_berth images "${f[@]}" -f dangling=true
	assert "$output" == "" "dangling=true: no tagged image"
	run_berth images -q -f "reference=$n-*" -f label=a=b
	assert "$output" == "$(berth_quiet images -q "$n-lab:1")" "-q with filters"
	run_berth images -f 'reference = '"$n-lab:1" -q
	assert "$output" == "$(berth_quiet images -q "$n-lab:1")" "spaces around key and value trimmed"

	run_berth 125 images -f foo=bar
	assert "$output" =~ "Error response from daemon: invalid filter 'foo'" "unknown key"
	run_berth 125 images -f dangling=maybe
	assert "$output" =~ "invalid filter 'dangling=\[maybe\]'" "bad dangling value"
	run_berth 125 images -f nonsense
	assert "$output" =~ "invalid argument \"nonsense\" for \"-f, --filter\" flag: bad format of filter \(expected name=value\)" \
		"no '='"
	assert "$output" =~ "See 'berth images --help'." "a usage error"
	run_berth 125 images -f before=no-such-image
	assert "$output" =~ "No such image: no-such-image" "an unknown image"
	run_berth rmi "$n-lab:1" "$n-lab:2" "$n-plain:1"
}

@test "system df: shared layers once, a commit's bytes, reclaimable space, -v" {
	local n c u row size0 size1 size2 rec1 rec2 images0 active1
	n=$(random_name df) c=$(random_name dfc) u=$(random_name dfu)

	row=$(df_row Images)
	IFS='|' read -r images0 _ size0 _ <<<"$row"
	run_berth import "$BUSYBOX_TAR" "$n:same"
	row=$(df_row Images)
	assert "${row%%|*}" == "$((images0 + 1))" "one image more"
	IFS='|' read -r _ _ size1 _ <<<"$row"
	assert "$size1" == "$size0" "busybox's layer, shared, is counted once"

	run_berth run --name "$c" busybox sh -c 'head -c 100000 /dev/urandom > /big'
	row=$(df_row Containers)
	IFS='|' read -r _ _ size2 rec2 <<<"$row"
	(($(to_bytes "$size2") >= 100000)) || die "containers' size $size2 < 100kB"
	assert "$rec2" =~ "\(100%\)$" "an exited container's files are reclaimable"
	run_berth commit "$c" "$n:big"
	row=$(df_row Images)
	IFS='|' read -r _ _ size2 rec1 <<<"$row"
	local grew=$(($(to_bytes "$size2") - $(to_bytes "$size1")))
	((grew >= 99000 && grew <= 110000)) || die "images grew by $grew bytes, not ~100 kB ($size1 → $size2)"
	assert "$rec1" =~ '^[0-9.]+[kMG]?B \([0-9]+%\)$' "reclaimable with Docker's percentage"

	IFS='|' read -r _ active1 _ <<<"$row"
	run_berth create --name "$u" "$n:big" true
	row=$(df_row Images)
	IFS='|' read -r _ _ _ rec2 <<<"$row"
	assert "$(echo "$row" | cut -d'|' -f2)" == "$((active1 + 1))" "the image a container uses is active"
	local freed=$(($(to_bytes "${rec1%% *}") - $(to_bytes "${rec2%% *}")))
	((freed >= 100000)) || die "reclaimable went from $rec1 to $rec2 only: the used layers still count"

	run_berth system df -v
	assert "${lines[0]}" == "Images space usage:" "the images section"
	assert "${lines[2]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE\ +SHARED\ SIZE\ +UNIQUE\ SIZE\ +CONTAINERS$ "its header"
	assert "$output" =~ $'\n'"$n +big +[0-9a-f]{12} +.* ago +2\.[0-9]+MB +1\.[0-9]+MB +10[0-9.]*kB +1"$'\n' \
		"the committed image: its own 100 kB unique, busybox shared, one container"
	assert "$output" =~ $'\n'"$n +same +[0-9a-f]{12} +.* ago +1\.[0-9]+MB +1\.[0-9]+MB +0B +0"$'\n' \
		"the imported copy: all shared"
	assert "$output" =~ $'\n\n'"Containers space usage:"$'\n\n'"CONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES"$'\n' \
		"the containers section"
	assert "$output" =~ $'\n'"[0-9a-f]{12} +busybox +\"sh -c head -c 10000…\" +0 +10[0-9.]*kB +.* ago +Exited \(0\) .* ago +$c"$'\n' \
		"the container's row: its own files"
	assert "$output" =~ $'\n\n'"Local Volumes space usage:"$'\n\n'"VOLUME NAME +LINKS +SIZE"$'\n' "volumes"
	assert "${lines[-1]}" =~ ^CACHE\ ID\ +CACHE\ TYPE\ +SIZE\ +CREATED\ +LAST\ USED\ +USAGE\ +SHARED$ "build cache last"
	assert "$output" =~ $'\n\n'"Build cache usage: 0B"$'\n\n' "build cache"

	run_berth system df
	assert "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ "the summary's header"
	assert "${lines[3]}" =~ ^Local\ Volumes\ +0\ +0\ +0B\ +0B$ "no volumes yet"
	assert "${lines[4]}" =~ ^Build\ Cache\ +0\ +0\ +0B\ +0B$ "no build cache yet"
	run_berth system df --format '{{json .}}'
	assert "${lines[0]}" =~ '^\{"Active":"[0-9]+","Reclaimable":"[^"]+","Size":"[^"]+","TotalCount":"[0-9]+","Type":"Images"\}$' "json"

	row=$(df_row Containers)
	local active=${row#*|}
	active=${active%%|*}
	run_berth run -d --name "$c-run" busybox sleep 60
	row=$(df_row Containers)
	assert "$(echo "$row" | cut -d'|' -f2)" == "$((active + 1))" "a running container is active"
	run_berth rm -f "$c-run" "$u" "$c"
	run_berth rmi "$n:big" "$n:same"
}
