#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "util/fs.h"
#include "util/strutil.h"

int fs_mkdir_p(const char *path, mode_t mode, struct berth_error **err)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, "mkdir '%s'", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "mkdir '%s'", p);
	return 0;
}

ssize_t fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += n;
	}
	return done;
}

ssize_t fs_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct berth_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	_cleanup_close_ int fd = -EBADF;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return berth_error_set(err, errno, "create '%s'", tmp);
	if (fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		berth_error_set(err, errno, "write '%s'", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		berth_error_set(err, errno, "rename '%s'", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static char *read_fd(int fd, const char *path, size_t *len, struct berth_error **err)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			berth_error_set(err, errno, "read '%s'", path);
			return NULL;
		}
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *fs_read_fileat(int dirfd, const char *path, size_t *len, struct berth_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		berth_error_set(err, errno, "open '%s'", path);
		return NULL;
	}
	return read_fd(fd, path, len, err);
}

char *fs_read_file(const char *path, size_t *len, struct berth_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		berth_error_set(err, errno, "open '%s'", path);
		return NULL;
	}
	return read_fd(fd, path, len, err);
}

static int rm_rf_at(int parent, const char *name, dev_t dev, struct berth_error **err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int fd;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return berth_error_set(err, errno, "unlink '%s'", name);
		return 0;
	}
	if (st.st_dev != dev)
		return berth_error_set(err, EBUSY, "remove '%s'", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", name);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return berth_error_set(err, errno, "opendir '%s'", name);
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_rf_at(dirfd(d), de->d_name, dev, err) < 0)
			return berth_error_wrap(err, "remove '%s'", name);
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "rmdir '%s'", name);
	return 0;
}

int fs_rm_rf(const char *path, struct berth_error **err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "stat '%s'", path);
	return rm_rf_at(AT_FDCWD, path, st.st_dev, err);
}

int fs_write_string(const char *path, const char *value, struct berth_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", path);
	if (write(fd, value, len) != (ssize_t)len)
		return berth_error_set(err, errno, "write '%s' to '%s'", value, path);
	return 0;
}

bool fs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static long long tree_size_at(int fd)
{
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	struct dirent *de;
	long long total = 0;

	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			total += st.st_size;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += tree_size_at(sub);
		}
	}
	return total;
}

long long fs_tree_size(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? 0 : tree_size_at(fd);
}

long fs_temp_owner(const char *name)
{
	const char *t = strstr(name, "tmp-");
	char *end;
	long pid;

	if (t && (t == name || t[-1] == '.'))
		return strtol(t + 4, NULL, 10);
	pid = strtol(name, &end, 10);
	return end != name && *end == '-' ? pid : 0;
}

void fs_remove_orphans(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		long pid = fs_temp_owner(de->d_name);

		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
		fs_rm_rf(path, NULL);
	}
}

char *fs_trash(const char *path, const char *trash_dir, struct berth_error **err)
{
	const char *base = strrchr(path, '/');
	char *dst = xasprintf("%s/%d-%s", trash_dir, (int)getpid(), base ? base + 1 : path);

	if (fs_mkdir_p(trash_dir, 0700, err) < 0)
		goto fail;
	if (rename(path, dst) < 0) {
		berth_error_set(err, errno, "rename '%s'", path);
		goto fail;
	}
	return dst;
fail:
	free(dst);
	return NULL;
}
