# -*- bash -*-
# bats runs this once for the whole suite (bats >= 1.7): the private roots shared by
# every test file, removed at the end. See helpers.bash.
# shellcheck source=tests/system/helpers.bash
source "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

setup_suite() {
	berth_setup_suite
}

teardown_suite() {
	berth_teardown_suite
}
