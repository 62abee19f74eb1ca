/*
 * The main() of a fuzz target built without libFuzzer: runs every file of the
 * corpus folder argv[1] through LLVMFuzzerTestOneInput and prints TAP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>

#include "util/fs.h"
#include "util/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int main(int argc, char **argv);

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	struct dirent **list = NULL;
	int n, failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &list, not_hidden, alphasort);
	if (n < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("1..%d\n", n);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", argv[1], list[i]->d_name);
		_cleanup_error_ struct berth_error *err = NULL;
		size_t len = 0;
		_cleanup_free_ char *data = fs_read_file(path, &len, &err);

		if (!data) {
			printf("not ok %d - %s # %s\n", i + 1, list[i]->d_name, err->msg);
			failed = 1;
		} else {
			LLVMFuzzerTestOneInput((const uint8_t *)data, len);
			printf("ok %d - %s\n", i + 1, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return failed;
}
