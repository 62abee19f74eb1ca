#define LOG_DOMAIN "mounts"
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/internal.h"
#include "runtime/syscall.h"
#include "util/compiler.h"
#include "util/strutil.h"

#define PROC_FD_PATH_LEN 32

static void proc_fd_path(int fd, char buf[PROC_FD_PATH_LEN])
{
	snprintf(buf, PROC_FD_PATH_LEN, "/proc/self/fd/%d", fd);
}

/* Makes the bind mount now at path read-only (a fresh fd: the old one sees what is below). */
static int remount_ro(int rootfd, const char *path, unsigned long rec)
{
	char target[PROC_FD_PATH_LEN];
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_PATH);

	if (fd < 0)
		return -1;
	proc_fd_path(fd, target);
	return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | rec, NULL);
}

/* Mounts at dest inside the root, creating the mount point (a file when is_file). */
static int mount_in_root(int rootfd, const char *dest, const char *type, const char *source,
			 unsigned long flags, const char *data, int is_file, struct child_error *ce)
{
	char target[PROC_FD_PATH_LEN];
	_cleanup_close_ int fd =
		is_file ? touch_in_root(rootfd, dest) : mkdir_in_root(rootfd, dest, 0755);

	if (fd < 0)
		return child_fail(ce, 0, errno, "create mount point '%s'", dest);
	proc_fd_path(fd, target);
	if (mount(source, target, type, flags, data) < 0)
		return child_fail(ce, 0, errno, "mount %s on '%s'", type ? type : source, dest);
	if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
	    remount_ro(rootfd, dest, flags & MS_REC) < 0)
		return child_fail(ce, 0, errno, "remount '%s' read-only", dest);
	return 0;
}

static int mount_overlay(const struct runtime_spec *spec, struct child_error *ce)
{
	char opts[4096];
	size_t n;

	/* Lower dirs are relative to the layers folder: short options, more layers. */
	if (chdir(spec->layers_dir) < 0)
		return child_fail(ce, 0, errno, "chdir '%s'", spec->layers_dir);
	n = (size_t)snprintf(opts, sizeof(opts), "lowerdir=");
	for (size_t i = 0; spec->lowers[i]; i++)
		n += (size_t)snprintf(opts + n, n < sizeof(opts) ? sizeof(opts) - n : 0, "%s%s",
				      i ? ":" : "", spec->lowers[i]);
	n += (size_t)snprintf(opts + n, n < sizeof(opts) ? sizeof(opts) - n : 0,
			      ",upperdir=%s,workdir=%s", spec->upper, spec->work);
	if (n >= sizeof(opts))
		/* short link names fit about 170 layers; NEEDSWORK: fsconfig lowerdir+ beyond */
		return child_fail(ce, 0, 0, "too many layers for the overlay mount options");
	if (mount("overlay", spec->merged, "overlay", 0, opts) < 0)
		return child_fail(ce, 0, errno, "mount overlay on '%s'", spec->merged);
	return 0;
}

struct dev_node {
	const char *name;
	unsigned int major, minor;
};

static const struct dev_node default_devices[] = {
	{"null", 1, 3},	  {"zero", 1, 5},    {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static int populate_dev(int rootfd, const struct runtime_spec *spec, struct child_error *ce)
{
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		{"pts/ptmx", "ptmx"},	       {"/proc/kcore", "core"},
	};
	_cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY);

	if (dev < 0)
		return child_fail(ce, 0, errno, "open /dev");
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		const struct dev_node *d = &default_devices[i];
		if (mknodat(dev, d->name, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0 &&
		    errno != EEXIST)
			return child_fail(ce, 0, errno, "mknod /dev/%s", d->name);
		fchmodat(dev, d->name, 0666, 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return child_fail(ce, 0, errno, "symlink /dev/%s", links[i][1]);
	(void)spec;
	return 0;
}

const struct runtime_default_mount runtime_default_mounts[] = {
	{"/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL},
	{"/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"},
	{"/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	{"/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL},
	{"/dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL},
	{"/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k"},
};
const size_t runtime_n_default_mounts = ARRAY_SIZE(runtime_default_mounts);

const char *const runtime_masked_paths[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
};
const size_t runtime_n_masked_paths = ARRAY_SIZE(runtime_masked_paths);

const char *const runtime_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
const size_t runtime_n_readonly_paths = ARRAY_SIZE(runtime_readonly_paths);

static int mask_paths(int rootfd, struct child_error *ce)
{
	char target[PROC_FD_PATH_LEN];

	for (size_t i = 0; i < runtime_n_masked_paths; i++) {
		_cleanup_close_ int fd = open_in_root(rootfd, runtime_masked_paths[i], O_PATH);
		struct stat st;
		int r;

		if (fd < 0 || fstat(fd, &st) < 0)
			continue; /* absent on this kernel */
		proc_fd_path(fd, target);
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL);
		else
			r = mount("/dev/null", target, NULL, MS_BIND, NULL);
		if (r < 0)
			return child_fail(ce, 0, errno, "mask '%s'", runtime_masked_paths[i]);
	}
	for (size_t i = 0; i < runtime_n_readonly_paths; i++) {
		_cleanup_close_ int fd = open_in_root(rootfd, runtime_readonly_paths[i], O_PATH);
		if (fd < 0)
			continue;
		proc_fd_path(fd, target);
		if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    remount_ro(rootfd, runtime_readonly_paths[i], MS_REC) < 0)
			return child_fail(ce, 0, errno, "make '%s' read-only",
					  runtime_readonly_paths[i]);
	}
	return 0;
}

/* Splits a mountinfo line into its mount point, file system type and super options. */
static bool parse_mountinfo_line(char *line, char **mnt, char **type, char **opts)
{
	char *f[10];
	int n = 0;
	char *sep = strstr(line, " - ");

	if (!sep)
		return false;
	*sep = '\0';
	for (char *p = line; n < 5 && (p = strchr(p, ' ')); p++)
		f[n++] = p + 1;
	if (n < 5)
		return false;
	*mnt = f[3];
	*strchr(*mnt, ' ') = '\0';
	*type = sep + 3;
	f[0] = strchr(*type, ' ');
	if (!f[0] || !(f[1] = strchr(f[0] + 1, ' ')))
		return false;
	*f[0] = '\0';
	*opts = f[1] + 1;
	(*opts)[strcspn(*opts, "\n")] = '\0';
	/* the access mode is the mount's to choose */
	if (str_has_prefix(*opts, "rw,") || str_has_prefix(*opts, "ro,"))
		*opts += 3;
	else if (!strcmp(*opts, "rw") || !strcmp(*opts, "ro"))
		*opts += 2;
	return true;
}

/*
 * /sys/fs/cgroup as Docker gives it: the host's cgroup hierarchies mounted
 * again from inside the container's cgroup namespace, so the container sees
 * its own cgroup as the root; read-only unless privileged.
 */
static int mount_cgroups(int rootfd, const struct runtime_spec *spec, struct child_error *ce)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	unsigned long ro = spec->privileged ? 0 : MS_RDONLY;
	unsigned long flags = MS_NOSUID | MS_NOEXEC | MS_NODEV;
	size_t cap = 0;
	bool tmpfs = false;

	while (f && getline(&line, &cap, f) > 0) {
		char *mnt, *type, *opts, dest[PATH_MAX];

		if (!parse_mountinfo_line(line, &mnt, &type, &opts) ||
		    (strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0))
			continue;
		if (strcmp(mnt, "/sys/fs/cgroup") == 0)
			return mount_in_root(rootfd, mnt, type, type, flags | ro, NULL, 0, ce);
		if (!str_has_prefix(mnt, "/sys/fs/cgroup/") || strchr(mnt + 15, '/'))
			continue;
		if (!tmpfs && mount_in_root(rootfd, "/sys/fs/cgroup", "tmpfs", "tmpfs", flags,
					    "mode=755", 0, ce) < 0)
			return -1;
		tmpfs = true;
		snprintf(dest, sizeof(dest), "%s", mnt);
		if (mount_in_root(rootfd, dest, type, type, flags | ro, opts, 0, ce) < 0)
			return -1;
	}
	if (tmpfs && ro && remount_ro(rootfd, "/sys/fs/cgroup", 0) < 0)
		return child_fail(ce, 0, errno, "remount /sys/fs/cgroup read-only");
	return 0;
}

static int default_mounts_setup(int rootfd, const struct runtime_spec *spec, struct child_error *ce)
{
	for (size_t i = 0; i < runtime_n_default_mounts; i++) {
		const struct runtime_default_mount *m = &runtime_default_mounts[i];
		unsigned long flags = m->flags;

		if (spec->privileged && strcmp(m->type, "sysfs") == 0)
			flags &= ~(unsigned long)MS_RDONLY;
		if (mount_in_root(rootfd, m->dest, m->type, m->type, flags, m->data, 0, ce) < 0)
			return -1;
		if (strcmp(m->type, "sysfs") == 0 && mount_cgroups(rootfd, spec, ce) < 0)
			return -1;
		if (strcmp(m->dest, "/dev") == 0 && populate_dev(rootfd, spec, ce) < 0)
			return -1;
	}
	return 0;
}

/* A mount's propagation (rslave, rshared...), set once it is in place. */
static int set_propagation(int rootfd, const struct runtime_mount *m, struct child_error *ce)
{
	char target[PROC_FD_PATH_LEN];
	_cleanup_close_ int fd = open_in_root(rootfd, m->dest, O_PATH);

	if (fd < 0)
		return child_fail(ce, 0, errno, "open '%s'", m->dest);
	proc_fd_path(fd, target);
	if (mount(NULL, target, NULL, m->propagation, NULL) < 0)
		return child_fail(ce, 0, errno, "set the propagation of '%s'", m->dest);
	return 0;
}

static int user_mounts_setup(int rootfd, const struct runtime_spec *spec, struct child_error *ce)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct runtime_mount *m = &spec->mounts[i];
		int is_file = 0;

		if (m->flags & MS_BIND) {
			struct stat st;
			if (stat(m->source, &st) < 0)
				return child_fail(ce, 0, errno, "bind source '%s'", m->source);
			is_file = !S_ISDIR(st.st_mode);
		}
		if (mount_in_root(rootfd, m->dest, m->type, m->source, m->flags, m->data, is_file,
				  ce) < 0)
			return -1;
		if (m->propagation && set_propagation(rootfd, m, ce) < 0)
			return -1;
	}
	return 0;
}

/*
 * The propagation of the host's mounts into the container's namespace: none
 * (private), unless a mount asks for slave or shared propagation, which needs
 * the host's events (rslave, as runc's default). NEEDSWORK: an rshared mount
 * then gets the host's new mounts but its own do not reach the host; that
 * takes runc's rshared root with a private parent of the rootfs.
 */
static unsigned long root_propagation(const struct runtime_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].propagation & (MS_SHARED | MS_SLAVE))
			return MS_REC | MS_SLAVE;
	return MS_REC | MS_PRIVATE;
}

int rootfs_setup(const struct runtime_spec *spec, struct child_error *ce)
{
	_cleanup_close_ int rootfd = -EBADF;

	if (mount(NULL, "/", NULL, root_propagation(spec), NULL) < 0)
		return child_fail(ce, 0, errno, "set the propagation of /");
	if (mount_overlay(spec, ce) < 0)
		return -1;
	rootfd = open(spec->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return child_fail(ce, 0, errno, "open '%s'", spec->merged);
	if (default_mounts_setup(rootfd, spec, ce) < 0 || user_mounts_setup(rootfd, spec, ce) < 0)
		return -1;
	if (!spec->privileged && mask_paths(rootfd, ce) < 0)
		return -1;
	if (fchdir(rootfd) < 0)
		return child_fail(ce, 0, errno, "chdir to the root file system");
	if (sys_pivot_root(".", ".") < 0)
		return child_fail(ce, 0, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return child_fail(ce, 0, errno, "detach the old root");
	if (chdir("/") < 0)
		return child_fail(ce, 0, errno, "chdir /");
	return 0;
}

int rootfs_finish(const struct runtime_spec *spec, struct child_error *ce)
{
	if (spec->readonly && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return child_fail(ce, 0, errno, "remount the root file system read-only");
	return 0;
}
