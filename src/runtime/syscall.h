/*
 * Raw wrappers of syscalls glibc lacks or wraps differently. Each returns -1
 * with errno ENOSYS where the kernel lacks it; callers probe once and fall back.
 */
#ifndef BERTH_RUNTIME_SYSCALL_H
#define BERTH_RUNTIME_SYSCALL_H

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
#ifdef SYS_openat2
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
#else
	errno = ENOSYS;
	return -1;
#endif
}

static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* clone(2) without a new stack: returns like fork() (0 in the child). */
static inline pid_t sys_clone_fork(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
}

#endif
