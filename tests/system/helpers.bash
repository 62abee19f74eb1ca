# -*- bash -*-
# Helpers of berth's system tests; every tests/system/NNN-*.bats begins with `load helpers`.
#
#   run_berth [RC] ARGS...    berth under a timeout; sets $output, $lines, $status
#   assert ACTUAL OP EXPECTED DESCRIPTION     OP is == != =~ !~
#   requires FEATURE...       the one place for skips (unexpected skips fail in CI)
#   ensure_busybox            image busybox:latest in the suite's root
#   ensure_probe_image        image berth-probe:latest (busybox + tests/helpers/berth-probe)
#   probe_value KEY           the value of KEY=... in $output (berth-probe's output)
#   random_name PREFIX        a unique container/image/volume name
#
# The suite runs in a private data root and run root made by setup_suite.bash (or by
# setup_file when bats did not run it). Each test's teardown checks for leaks
# (containers, volumes, images, mounts, cgroups, processes, veths and address leases)
# and fails the test if it finds any.
# A file that defines its own setup/teardown calls berth_setup/berth_teardown in them;
# the same for setup_file/teardown_file.
#
# Environment: BUILD (build folder, default build), BERTH (the binary, default
# $BUILD/src/cli/berth), BERTH_TIMEOUT (seconds per berth command, default 60),
# BERTH_LEAK_CHECKS (which checks run, default all), CI=true (skips are failures except
# for features listed in BERTH_CI_SKIP_OK, and except for the other cgroup version).

BERTH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$BERTH_TOP/$BUILD
BERTH=${BERTH:-$BUILD/src/cli/berth}
BERTH_TIMEOUT=${BERTH_TIMEOUT:-60}
BERTH_LEAK_CHECKS=${BERTH_LEAK_CHECKS:-containers networks volumes images mounts cgroups processes network ports}
BERTH_PROBE=${BERTH_PROBE:-$BUILD/tests/helpers/berth-probe}
BERTH_ENOSYS=${BERTH_ENOSYS:-$BUILD/tests/helpers/berth-enosys}
BUSYBOX_TAR=${BUSYBOX_TAR:-$BERTH_TOP/build/busybox-rootfs.tar}
export BERTH BUILD BUSYBOX_TAR

# ---------------------------------------------------------------- suite and file setup

# Called by setup_suite.bash: one data root and one run root for the whole suite,
# exported to every test file. BERTH_TEST_ROOT/BERTH_TEST_RUNROOT reuse given folders
# (kept afterwards); BERTH_ROOT from the caller's environment is never used.
berth_setup_suite() {
	[[ $(id -u) == 0 ]] || die "the system tests run as root"
	[[ -x $BERTH ]] || die "no berth binary at $BERTH (build it: ninja -C $BUILD)"
	BERTH_TEST_TOP=$(mktemp -d /var/tmp/berth-test.XXXXXX)
	BERTH_ROOT=${BERTH_TEST_ROOT:-$BERTH_TEST_TOP/root}
	BERTH_RUNROOT=${BERTH_TEST_RUNROOT:-$(mktemp -d /run/berth-test.XXXXXX)}
	BERTH_TEST_STATE=$BERTH_TEST_TOP/state
	mkdir -p "$BERTH_ROOT" "$BERTH_RUNROOT" "$BERTH_TEST_STATE"
	: >"$BERTH_TEST_STATE/keep-images"
	export BERTH_ROOT BERTH_RUNROOT BERTH_TEST_TOP BERTH_TEST_STATE
	export BERTH_TEST_SUITE_SET_UP=1
}

# Removes whatever is left in the suite's roots, then the roots.
berth_teardown_suite() {
	[[ -n ${BERTH_TEST_TOP:-} ]] || return 0
	local ids
	ids=$(berth_quiet ps -a -q) || ids=
	# shellcheck disable=SC2086 # one argument per ID
	[[ -z $ids ]] || berth_quiet rm -f $ids >/dev/null
	berth_unmount_below "$BERTH_ROOT" "$BERTH_RUNROOT"
	[[ -n ${BERTH_TEST_ROOT:-} ]] || rm -rf "$BERTH_ROOT"
	[[ -n ${BERTH_TEST_RUNROOT:-} ]] || rm -rf "$BERTH_RUNROOT"
	rm -rf "$BERTH_TEST_TOP"
}

berth_setup_file() {
	if [[ -z ${BERTH_TEST_SUITE_SET_UP:-} ]]; then
		berth_setup_suite
		BERTH_TEST_FILE_OWNS_SUITE=1
	fi
}

berth_teardown_file() {
	if [[ -n ${BERTH_TEST_FILE_OWNS_SUITE:-} ]]; then
		berth_teardown_suite
	fi
}

berth_setup() {
	# cgroups that exist before the test are not its leaks (other suites may run)
	BERTH_CGROUPS_BEFORE=$(berth_cgroup_list)
}

berth_teardown() {
	berth_check_leaks
}

setup_file() { berth_setup_file; }
teardown_file() { berth_teardown_file; }
setup() { berth_setup; }
teardown() { berth_teardown; }

# ---------------------------------------------------------------- running berth

# Prints why the test fails and returns 1: under bats's `set -e` the test stops there.
die() {
	printf '#| FAIL: %s\n' "$*" >&2
	return 1
}

# berth with the suite's roots, output discarded on failure; for helpers only.
berth_quiet() {
	timeout -k 10 "$BERTH_TIMEOUT" "$BERTH" "$@" 2>/dev/null
}

# run_berth [EXPECTED_RC] ARGS...: runs berth under `timeout`, prints the command and
# its output (bats shows them when the test fails), sets $output (stdout and stderr),
# $lines and $status, and fails unless the exit code is EXPECTED_RC (default 0; `?`
# accepts any). Standard input is the caller's.
run_berth() {
	local expected=0
	if [[ $1 == '?' || $1 =~ ^[0-9]+$ ]]; then
		expected=$1
		shift
	fi
	printf '$ berth %s\n' "${*@Q}"
	status=0
	output=$(timeout -k 10 "$BERTH_TIMEOUT" "$BERTH" "$@" 2>&1) || status=$?
	# shellcheck disable=SC2034 # lines is for the tests, as bats's run sets it
	mapfile -t lines <<<"$output"
	[[ -z $output ]] || printf '%s\n' "$output"
	if [[ $status == 124 && $expected != 124 ]]; then
		die "berth $1 timed out after ${BERTH_TIMEOUT}s"
		return
	fi
	if [[ $expected != '?' && $status != "$expected" ]]; then
		die "exit code is $status; expected $expected"
		return
	fi
}

# assert ACTUAL OP EXPECTED DESCRIPTION
assert() {
	local actual=$1 op=$2 expected=$3 what=${4:-}
	local ok=0
	case $op in
	'==') [[ $actual == "$expected" ]] && ok=1 ;;
	'!=') [[ $actual != "$expected" ]] && ok=1 ;;
	'=~') [[ $actual =~ $expected ]] && ok=1 ;;
	'!~') [[ ! $actual =~ $expected ]] && ok=1 ;;
	*)
		die "assert: unknown operator '$op'"
		return
		;;
	esac
	((ok)) && return 0
	[[ -n $what ]] || what="'$actual' $op '$expected'"
	{
		printf '#| FAIL: %s\n' "$what"
		printf '#| expected: %s %s\n' "$op" "$(berth_quote "$expected")"
		printf '#| actual:      %s\n' "$(berth_quote "$actual")"
	} >&2
	return 1
}

# Multi-line values on indented lines
berth_quote() {
	if [[ $1 == *$'\n'* ]]; then
		printf "'%s'" "${1//$'\n'/$'\n#|              '}"
	else
		printf "'%s'" "$1"
	fi
}

# probe_value KEY: KEY's value in $output, as printed by berth-probe
probe_value() {
	local line
	for line in "${lines[@]}"; do
		if [[ $line == "$1="* ]]; then
			printf '%s\n' "${line#*=}"
			return 0
		fi
	done
	die "no '$1=' in the output of berth-probe"
}

random_name() {
	printf '%s-%s\n' "${1:-test}" "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
}

# ---------------------------------------------------------------- images

# busybox:latest in the suite's root, checked once per file (a test that removes it
# calls ensure_busybox --force afterwards).
# shellcheck disable=SC2120 # --force is for the tests
ensure_busybox() {
	local mark=$BATS_FILE_TMPDIR/busybox-image
	[[ -e $mark && ${1:-} != --force ]] && return 0
	"$BERTH_TOP/scripts/busybox-image" "$BERTH" "$BERTH_ROOT" ||
		die "cannot import busybox:latest (scripts/busybox-image)"
	berth_keep_image busybox:latest
	touch "$mark"
}

# berth-probe:latest: the busybox rootfs plus the probe at /usr/local/bin/berth-probe.
ensure_probe_image() {
	local mark=$BATS_FILE_TMPDIR/probe-image tar=$BUILD/tests/helpers/berth-probe-rootfs.tar
	local id
	[[ -e $mark && ${1:-} != --force ]] && return 0
	[[ -x $BERTH_PROBE ]] ||
		die "no $BERTH_PROBE (build it: ninja -C $BUILD tests/helpers/berth-probe)"
	ensure_busybox
	if [[ ! -s $tar || $BERTH_PROBE -nt $tar || $BUSYBOX_TAR -nt $tar ]]; then
		berth_make_probe_tar "$tar" || die "cannot make $tar"
	fi
	id=$(berth_quiet images -q berth-probe:latest) || id=
	if [[ -z $id ]]; then
		run_berth import -c 'CMD ["/usr/local/bin/berth-probe"]' "$tar" berth-probe:latest
	fi
	berth_keep_image berth-probe:latest
	touch "$mark"
}

berth_make_probe_tar() {
	local tar=$1 dir
	dir=$(mktemp -d "$BATS_FILE_TMPDIR/probe.XXXXXX")
	install -D -m 0755 "$BERTH_PROBE" "$dir/usr/local/bin/berth-probe"
	cp "$BUSYBOX_TAR" "$dir/rootfs.tar" &&
		tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
			--format=gnu -rf "$dir/rootfs.tar" ./usr/local/bin/berth-probe &&
		mv -f "$dir/rootfs.tar" "$tar"
	local rc=$?
	rm -rf "$dir"
	return $rc
}

# Images a leak check must not count: those the helpers import for the whole suite.
berth_keep_image() {
	local id
	id=$(berth_quiet images -q "$1") || id=
	[[ -n $id ]] && printf '%s\n' "$id" >>"$BERTH_TEST_STATE/keep-images"
	return 0
}

# ---------------------------------------------------------------- skips

# requires FEATURE...: skips the test unless every feature is present. Under CI=true a
# missing feature fails the test instead, unless a skip is expected for it: the other
# cgroup version, and features listed in BERTH_CI_SKIP_OK.
#
# Features: root, busybox, probe, overlay, userns, seccomp, cgroup-v1, cgroup-v2,
# cgroup:CONTROLLER (e.g. cgroup:memory), tool:NAME (a program in PATH), registry
# (Debian's docker-registry), not-asan (skipped in the sanitizer build).
requires() {
	local feature why
	for feature in "$@"; do
		why=$(berth_feature_missing "$feature") || continue
		if [[ $why == unknown* ]]; then
			die "requires: unknown feature '$feature'"
			return
		fi
		if [[ ${CI:-} == true ]] && ! berth_skip_expected "$feature"; then
			die "requires $feature: $why (an unexpected skip fails under CI=true)"
			return
		fi
		skip "requires $feature: $why"
	done
}

# Prints why FEATURE is missing and succeeds; fails when it is present.
berth_feature_missing() {
	case $1 in
	root) [[ $(id -u) == 0 ]] || { echo "not root"; return 0; } ;;
	busybox) [[ -x /bin/busybox ]] || { echo "no /bin/busybox (busybox-static)"; return 0; } ;;
	probe) [[ -x $BERTH_PROBE ]] || { echo "no $BERTH_PROBE"; return 0; } ;;
	overlay)
		grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
			{ echo "no overlayfs"; return 0; } ;;
	userns)
		[[ $(cat /proc/sys/user/max_user_namespaces 2>/dev/null) -gt 0 ]] ||
			{ echo "user namespaces disabled"; return 0; } ;;
	seccomp) grep -q '^Seccomp:' /proc/self/status || { echo "no seccomp"; return 0; } ;;
	cgroup-v2)
		[[ -e /sys/fs/cgroup/cgroup.controllers ]] ||
			{ echo "not a pure cgroup v2 host"; return 0; } ;;
	cgroup-v1)
		[[ ! -e /sys/fs/cgroup/cgroup.controllers ]] ||
			{ echo "no cgroup v1 hierarchies"; return 0; } ;;
	cgroup:*)
		[[ -d /sys/fs/cgroup/${1#cgroup:} ]] ||
			grep -qw "${1#cgroup:}" /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
			{ echo "no ${1#cgroup:} controller"; return 0; } ;;
	tool:*) command -v "${1#tool:}" >/dev/null || { echo "no ${1#tool:} in PATH"; return 0; } ;;
	registry)
		command -v docker-registry >/dev/null ||
			{ echo "no docker-registry (Debian package docker-registry)"; return 0; } ;;
	not-asan) [[ $BUILD != *asan* ]] || { echo "sanitizer build"; return 0; } ;;
	*) echo "unknown feature"; return 0 ;;
	esac
	return 1
}

berth_skip_expected() {
	case $1 in
	cgroup-v1 | cgroup-v2 | not-asan) return 0 ;;
	esac
	[[ " ${BERTH_CI_SKIP_OK:-} " == *" $1 "* ]]
}

# ---------------------------------------------------------------- leak checks

# A container that a file starts in setup_file for all its tests is not a leak of each
# test: setup_file calls berth_keep_container ID, teardown_file removes it.
berth_keep_container() {
	printf '%s\n' "$1" >>"$BATS_FILE_TMPDIR/keep-containers"
}

# Runs the checks named in BERTH_LEAK_CHECKS. Each prints what leaked and cleans it up so
# that the next test starts clean; any output fails the test. The cost is two berth
# commands (ps, images) and a few reads of /proc and /sys.
berth_check_leaks() {
	local check found report=""
	local keep=$BATS_FILE_TMPDIR/keep-containers
	[[ -e $keep ]] || : >"$keep"
	for check in $BERTH_LEAK_CHECKS; do
		found=$("berth_leaks_$check" 2>&1)
		[[ -z $found ]] || report+="leaked $check:"$'\n'"$found"$'\n'
	done
	[[ -z $report ]] && return 0
	{
		echo "#| FAIL: the test left things behind"
		printf '%s' "$report" | sed 's/^/#|   /'
	} >&2
	return 1
}

# berth_is_kept ID: a container of berth_keep_container (IDs compared by prefix)
berth_is_kept() {
	local k
	while read -r k; do
		[[ -n $k && ($1 == "$k"* || $k == "$1"*) ]] && return 0
	done <"$BATS_FILE_TMPDIR/keep-containers"
	return 1
}

berth_leaks_containers() {
	local ids id leaked=()
	if ! ids=$(berth_quiet ps -a -q); then
		echo "'berth ps -a -q' failed"
		return
	fi
	for id in $ids; do
		berth_is_kept "$id" || leaked+=("$id")
	done
	((${#leaked[@]})) || return 0
	berth_quiet ps -a
	berth_quiet rm -f "${leaked[@]}" >/dev/null
}

# Volumes left by the test (the containers' check runs first: rm -f keeps anonymous ones,
# so a leaked container's volumes show here too).
berth_leaks_volumes() {
	local names
	if ! names=$(berth_quiet volume ls -q); then
		echo "'berth volume ls -q' failed"
		return
	fi
	[[ -n $names ]] || return 0
	printf '%s\n' "$names"
	# shellcheck disable=SC2086 # one argument per name
	berth_quiet volume rm -f $names >/dev/null
}

berth_leaks_images() {
	local ids id leaked=()
	if ! ids=$(berth_quiet images -q); then
		echo "'berth images -q' failed"
		return
	fi
	for id in $ids; do
		grep -qxF "$id" "$BERTH_TEST_STATE/keep-images" || leaked+=("$id")
	done
	((${#leaked[@]})) || return 0
	printf '%s\n' "${leaked[@]}" | sort -u
	berth_quiet rmi -f "${leaked[@]}" >/dev/null
}

# User networks left in the suite's store (their bridges, rules and DNS processes go
# with them), after the containers' check: a network in use cannot be removed.
berth_leaks_networks() {
	local ids
	ids=$("$BERTH" network ls -q --filter type=custom 2>/dev/null) || return 0
	[[ -n $ids ]] || return 0
	printf 'network %s\n' $ids
	# shellcheck disable=SC2086 # one argument per ID
	berth_quiet network rm $ids >/dev/null
}

# The host sides of the veths of the suite's containers (their alias names the run
# root) and the store's address leases, but those of kept containers. The kernel
# removes a container's links in the background once its processes are gone: a
# moment is allowed for it.
berth_leaks_network() {
	local i veths leases
	for i in $(seq 40); do
		veths=$(berth_veths)
		[[ -z $veths ]] && break
		sleep 0.05
	done
	[[ -z $veths ]] || printf 'veth %s\n' $veths
	command -v sqlite3 >/dev/null && [[ -e $BERTH_ROOT/berth.db ]] || return 0
	leases=$(sqlite3 "$BERTH_ROOT/berth.db" 'SELECT address || " " || container_id FROM leases' 2>/dev/null) ||
		return 0
	while read -r i; do
		[[ -n $i ]] && ! berth_is_kept "${i#* }" && printf 'lease %s\n' "$i"
	done <<<"$leases"
	return 0
}

# berth_veths: the veths of the suite's containers, but kept ones (their alias is
# "berth RUNROOT ID")
berth_veths() {
	local name id
	ip -d -o link show type veth 2>/dev/null |
		awk -v root="$BERTH_RUNROOT" '{ for (i = 1; i < NF; i++) if ($i == "alias" && $(i + 1) == "berth" && $(i + 2) == root) { split($2, n, "@"); sub(/:$/, "", n[1]); print n[1], $(i + 3) } }' |
		while read -r name id; do
			berth_is_kept "$id" || printf '%s\n' "$name"
		done
}

# The nftables chains of the suite's containers' published ports (their comment is the
# container's run folder), but kept ones'. Their proxies are the processes check's.
berth_leaks_ports() {
	local chain dir
	command -v nft >/dev/null || return 0
	nft list table ip berth 2>/dev/null |
		awk '/^\tchain ctr-/ { name = $2 } /^\t\tcomment "/ && name { gsub(/"/, "", $2); print name, $2; name = "" }' |
		while read -r chain dir; do
			[[ $dir == "$BERTH_RUNROOT"/* ]] || continue
			berth_is_kept "${dir##*/}" && continue
			printf 'nftables chain %s (%s)\n' "$chain" "$dir"
			"$BUILD/tests/helpers/berth-ports" unpublish "${dir##*/}" "$dir" >/dev/null 2>&1
		done
	return 0
}

berth_leaks_mounts() {
	local m
	m=$(berth_mounts_below "$BERTH_ROOT" "$BERTH_RUNROOT")
	[[ -z $m ]] && return 0
	printf '%s\n' "$m"
	berth_unmount_below "$BERTH_ROOT" "$BERTH_RUNROOT"
}

# cgroups berth/<id> that appeared during the test and are still there after its
# containers were removed (kept containers' cgroups predate the test). Another berth
# running on the machine at the same time can make one appear too; leave cgroups out
# of BERTH_LEAK_CHECKS then.
berth_leaks_cgroups() {
	local cg
	while read -r cg; do
		[[ -n $cg ]] || continue
		[[ $'\n'$BERTH_CGROUPS_BEFORE$'\n' == *$'\n'"$cg"$'\n'* ]] && continue
		berth_is_kept "${cg##*/}" && continue
		echo "$cg"
	done <<<"$(berth_cgroup_list)"
}

# Processes whose command line names the suite's roots: monitors, hung commands. Not
# checked while the file keeps containers (their monitors are legitimate).
berth_leaks_processes() {
	local patterns=$BATS_FILE_TMPDIR/root-patterns pids pid
	[[ -s $BATS_FILE_TMPDIR/keep-containers ]] && return 0
	printf '%s\n' "$BERTH_ROOT" "$BERTH_RUNROOT" >"$patterns"
	# patterns from a file, so that grep's own command line does not match
	pids=$(grep -laF -f "$patterns" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3)
	for pid in $pids; do
		[[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
		[[ -e /proc/$pid ]] || continue
		printf '%s: %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
		berth_kill_tree "$pid"
	done
	return 0
}

# SIGKILL to a leaked process and its descendants; to its whole process group when
# that is not ours (a monitor that called setsid).
berth_kill_tree() {
	local pid=$1 pgid child
	pgid=$(ps -o pgid= -p "$pid" 2>/dev/null) || return 0
	pgid=${pgid// /}
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		berth_kill_tree "$child"
	done
	if [[ -n $pgid && $pgid != "$(ps -o pgid= -p $$ | tr -d ' ')" ]]; then
		kill -9 -- "-$pgid" 2>/dev/null
	fi
	kill -9 "$pid" 2>/dev/null
	return 0
}

berth_cgroup_list() {
	local d
	for d in /sys/fs/cgroup/*/berth/*/ /sys/fs/cgroup/berth/*/; do
		[[ -d $d ]] && printf '%s\n' "${d%/}"
	done
	return 0
}

# Mount points below the given folders, deepest first
berth_mounts_below() {
	local dirs
	dirs=$(printf '%s/\n' "$@")
	DIRS=$dirs awk 'BEGIN { n = split(ENVIRON["DIRS"], d, "\n") }
		{ for (i = 1; i <= n; i++) if (d[i] != "" && index($5, d[i]) == 1) { print $5; next } }' \
		/proc/self/mountinfo | sort -r
}

berth_unmount_below() {
	local m
	berth_mounts_below "$@" | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	return 0
}
