/*
 * Paths inside a container's root file system, resolved as if the root were
 * "/": a symlink in the image (/var/log -> ../../../host, /etc -> /tmp/x) leads
 * to a path inside the root, never out of it. openat2(RESOLVE_IN_ROOT) does it
 * in the kernel; without it (kernels before 5.6) the path is resolved here,
 * then opened one component at a time with O_NOFOLLOW.
 *
 * These run in the container's child before execve: no allocation.
 */
#define LOG_DOMAIN "mounts"
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "runtime/internal.h"
#include "runtime/syscall.h"
#include "util/compiler.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"

/* Symlinks followed in one resolution before ELOOP, as the kernel's limit. */
#define MAX_LINKS 40

static int openat2_state; /* 0 unknown, 1 works, -1 missing */

/* Opens a path without symlinks or "..", each component with O_NOFOLLOW. */
static int walk_nofollow(int rootfd, const char *path, int flags)
{
	const char *p = path;
	int cur = dup(rootfd);

	while (cur >= 0 && *p) {
		char comp[NAME_MAX + 1];
		size_t n = strcspn(p, "/");
		const char *next = p + n;
		int fd;

		while (*next == '/')
			next++;
		if (n > NAME_MAX || (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(cur);
			errno = n > NAME_MAX ? ENAMETOOLONG : EPERM;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (n == 0 || strcmp(comp, ".") == 0)
			fd = dup(cur);
		else
			fd = openat(cur, comp,
				    (*next ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW |
					    O_CLOEXEC);
		close(cur);
		cur = fd;
		p = next;
	}
	return cur;
}

/* Is comp, in the folder out (relative to the root, no symlinks), a symlink? Its target. */
static ssize_t link_in(int rootfd, const char *out, const char *comp, char *target, size_t size)
{
	int parent = walk_nofollow(rootfd, out, O_PATH | O_DIRECTORY);
	ssize_t n;

	if (parent < 0)
		return -1;
	n = readlinkat(parent, comp, target, size - 1);
	close(parent);
	if (n >= 0)
		target[n] = '\0';
	return n;
}

/*
 * path as RESOLVE_IN_ROOT resolves it, into out: relative to the root, without
 * symlinks, "." or ".." ("" for the root itself). Components that do not exist
 * are kept as written (mkdir_in_root() makes them).
 */
static int resolve_in_root(int rootfd, const char *path, char out[PATH_MAX])
{
	char rest[PATH_MAX], target[PATH_MAX], comp[NAME_MAX + 1];
	size_t olen = 0;
	int links = 0;
	char *p = rest;

	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return errno = ENAMETOOLONG, -1;
	out[0] = '\0';
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (!n)
			break;
		if (n > NAME_MAX)
			return errno = ENAMETOOLONG, -1;
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(out, '/');
			olen = slash ? (size_t)(slash - out) : 0;
			out[olen] = '\0';
			continue;
		}
		if (link_in(rootfd, out, comp, target, sizeof(target)) < 0) {
			if (olen + n + 2 > PATH_MAX)
				return errno = ENAMETOOLONG, -1;
			olen += (size_t)snprintf(out + olen, PATH_MAX - olen, "%s%s",
						 olen ? "/" : "", comp);
			continue;
		}
		if (++links > MAX_LINKS)
			return errno = ELOOP, -1;
		/* the rest of the path now follows the link's target */
		if (strlen(target) + strlen(p) + 2 > sizeof(rest))
			return errno = ENAMETOOLONG, -1;
		memmove(rest + strlen(target) + 1, p, strlen(p) + 1);
		memcpy(rest, target, strlen(target));
		rest[strlen(target)] = '/';
		p = rest;
		if (target[0] == '/')
			olen = 0, out[0] = '\0';
	}
	return 0;
}

int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	char resolved[PATH_MAX];
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		return dup(rootfd);
	if (openat2_state >= 0) {
		fd = sys_openat2(rootfd, path, &how);
		if (fd >= 0 || errno != ENOSYS) {
			openat2_state = 1;
			return fd;
		}
		openat2_state = -1;
	}
	if (resolve_in_root(rootfd, path, resolved) < 0)
		return -1;
	return *resolved ? walk_nofollow(rootfd, resolved, flags) : dup(rootfd);
}

int mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
	char resolved[PATH_MAX];
	int cur, fd = open_in_root(rootfd, path, O_PATH | O_DIRECTORY);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	/* a missing component, or a symlink to one: made where the link leads, in the root */
	if (resolve_in_root(rootfd, path, resolved) < 0)
		return -1;
	cur = dup(rootfd);
	for (char *p = resolved; cur >= 0 && *p;) {
		size_t n = strcspn(p, "/");
		char saved = p[n];
		int next;

		p[n] = '\0';
		next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && (mkdirat(cur, p, mode) == 0 || errno == EEXIST))
			next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
		p += n + (saved == '/');
	}
	return cur;
}

int touch_in_root(int rootfd, const char *path)
{
	char resolved[PATH_MAX];
	char *slash, *name;
	int fd = open_in_root(rootfd, path, O_PATH);
	int parent, dir;

	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (resolve_in_root(rootfd, path, resolved) < 0)
		return -1;
	if (!*resolved)
		return errno = EISDIR, -1;
	slash = strrchr(resolved, '/');
	name = slash ? slash + 1 : resolved;
	if (slash)
		*slash = '\0';
	parent = mkdir_in_root(rootfd, slash ? resolved : "", 0755);
	if (parent < 0)
		return -1;
	dir = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(parent);
	if (dir < 0)
		return -1;
	fd = openat(dir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	close(dir);
	return fd;
}

int runtime_open_in_root(int rootfd, const char *path, int flags)
{
	return open_in_root(rootfd, path, flags);
}

/* The child of runtime_with_rootfs(): mounts the layers and calls fn. */
static int rootfs_child(const char *layers_dir, char *const *lowers, const char *target,
			int (*fn)(int rootfd, void *arg, struct berth_error **err), void *arg,
			struct berth_error **err)
{
	struct strbuf opts = STRBUF_INIT;
	_cleanup_close_ int rootfd = -EBADF;
	int r;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berth_error_set(err, errno, "a mount namespace of its own");
	/* relative to the layers folder, as the container's, to keep the options short */
	if (chdir(layers_dir) < 0)
		return berth_error_set(err, errno, "chdir '%s'", layers_dir);
	if (strv_len(lowers) == 1) {
		r = mount(lowers[0], target, NULL, MS_BIND, NULL);
	} else {
		strbuf_addstr(&opts, "lowerdir=");
		for (size_t i = 0; lowers[i]; i++)
			strbuf_addf(&opts, "%s%s", i ? ":" : "", lowers[i]);
		r = mount("overlay", target, "overlay", MS_RDONLY, opts.buf);
		strbuf_release(&opts);
	}
	if (r < 0)
		return berth_error_set(err, errno, "mount the image's layers on '%s'", target);
	rootfd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_set(err, errno, "open '%s'", target);
	return fn(rootfd, arg, err);
}

int runtime_with_rootfs(const char *layers_dir, char *const *lowers, const char *target,
			int (*fn)(int rootfd, void *arg, struct berth_error **err), void *arg,
			struct berth_error **err)
{
	char msg[1024] = "";
	int p[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (!lowers || !lowers[0])
		return berth_error_set(err, 0, "no layers to mount");
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berth_error_set(err, errno, "fork");
	}
	if (pid == 0) {
		struct berth_error *e = NULL;

		close(p[0]);
		if (rootfs_child(layers_dir, lowers, target, fn, arg, &e) < 0) {
			fs_write_all(p[1], e->msg, strlen(e->msg));
			_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	n = fs_read_all(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	msg[n > 0 ? n : 0] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0, "%s", *msg ? msg : "the child died");
	return 0;
}
