/*
 * berth-enosys SYSCALL[,SYSCALL...] COMMAND [ARG...]
 *
 * Runs COMMAND with a seccomp filter that answers ENOSYS for the named
 * syscalls, as an older kernel would, so that berth's fallbacks (openat2 →
 * an O_NOFOLLOW walk, ...) run in the system tests.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	char *list, *name, *save = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: berth-enosys SYSCALL[,SYSCALL...] COMMAND [ARG...]\n");
		return 2;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	list = strdup(argv[1]);
	if (!ctx || !list)
		return 2;
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "berth-enosys: unknown syscall '%s'\n", name);
			return 2;
		}
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) < 0)
			return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0) {
		perror("berth-enosys: load the filter");
		return 2;
	}
	seccomp_release(ctx);
	free(list);
	execvp(argv[2], argv + 2);
	perror("berth-enosys: exec");
	return 127;
}
