/*
 * Capability sets as 64-bit masks, Docker's add/drop rules, and the two
 * calls that apply a set to the container's init before execve.
 */
#include <ctype.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "util/strutil.h"

#define CAPS_KNOWN_LAST 40 /* CAP_CHECKPOINT_RESTORE */

/* Indexed by capability number. */
static const char *const cap_names[CAPS_KNOWN_LAST + 1] = {
	[0] = "CAP_CHOWN",
	[1] = "CAP_DAC_OVERRIDE",
	[2] = "CAP_DAC_READ_SEARCH",
	[3] = "CAP_FOWNER",
	[4] = "CAP_FSETID",
	[5] = "CAP_KILL",
	[6] = "CAP_SETGID",
	[7] = "CAP_SETUID",
	[8] = "CAP_SETPCAP",
	[9] = "CAP_LINUX_IMMUTABLE",
	[10] = "CAP_NET_BIND_SERVICE",
	[11] = "CAP_NET_BROADCAST",
	[12] = "CAP_NET_ADMIN",
	[13] = "CAP_NET_RAW",
	[14] = "CAP_IPC_LOCK",
	[15] = "CAP_IPC_OWNER",
	[16] = "CAP_SYS_MODULE",
	[17] = "CAP_SYS_RAWIO",
	[18] = "CAP_SYS_CHROOT",
	[19] = "CAP_SYS_PTRACE",
	[20] = "CAP_SYS_PACCT",
	[21] = "CAP_SYS_ADMIN",
	[22] = "CAP_SYS_BOOT",
	[23] = "CAP_SYS_NICE",
	[24] = "CAP_SYS_RESOURCE",
	[25] = "CAP_SYS_TIME",
	[26] = "CAP_SYS_TTY_CONFIG",
	[27] = "CAP_MKNOD",
	[28] = "CAP_LEASE",
	[29] = "CAP_AUDIT_WRITE",
	[30] = "CAP_AUDIT_CONTROL",
	[31] = "CAP_SETFCAP",
	[32] = "CAP_MAC_OVERRIDE",
	[33] = "CAP_MAC_ADMIN",
	[34] = "CAP_SYSLOG",
	[35] = "CAP_WAKE_ALARM",
	[36] = "CAP_BLOCK_SUSPEND",
	[37] = "CAP_AUDIT_READ",
	[38] = "CAP_PERFMON",
	[39] = "CAP_BPF",
	[40] = "CAP_CHECKPOINT_RESTORE",
};

#define BIT(n) (UINT64_C(1) << (n))

uint64_t caps_default(void)
{
	return BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) | BIT(CAP_FSETID) |
	       BIT(CAP_KILL) | BIT(CAP_SETGID) | BIT(CAP_SETUID) | BIT(CAP_SETPCAP) |
	       BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_NET_RAW) | BIT(CAP_SYS_CHROOT) | BIT(CAP_MKNOD) |
	       BIT(CAP_AUDIT_WRITE) | BIT(CAP_SETFCAP);
}

/* Allocation-free: it may first run in a forked child. */
static int read_cap_last_cap(void)
{
	char buf[16];
	ssize_t n;
	long v;
	char *end;
	int fd;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CAPS_KNOWN_LAST;
	do {
		n = read(fd, buf, sizeof(buf) - 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return CAPS_KNOWN_LAST;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || v < 0 || v > 63)
		return CAPS_KNOWN_LAST;
	return (int)v;
}

int caps_last_cap(void)
{
	static int cached = -1;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	int saved = errno;

	if (v < 0) {
		v = read_cap_last_cap();
		__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	}
	errno = saved;
	return v;
}

static uint64_t mask_upto(int last)
{
	return last >= 63 ? UINT64_MAX : BIT(last + 1) - 1;
}

uint64_t caps_all(void)
{
	int last = caps_last_cap();

	/* Docker's "all" is what both it and the kernel know. */
	return mask_upto(last < CAPS_KNOWN_LAST ? last : CAPS_KNOWN_LAST);
}

int caps_from_name(const char *name)
{
	if (!name)
		return -1;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (int i = 0; i <= CAPS_KNOWN_LAST; i++)
		if (strcasecmp(name, cap_names[i] + 4) == 0)
			return i;
	return -1;
}

const char *caps_to_name(int cap)
{
	if (cap < 0 || cap > CAPS_KNOWN_LAST)
		return NULL;
	return cap_names[cap];
}

char **caps_to_strv(uint64_t set)
{
	char **v = xcalloc(1, sizeof(char *));

	for (int i = 0; i <= CAPS_KNOWN_LAST; i++)
		if (set & BIT(i))
			strv_push(&v, cap_names[i]);
	return v;
}

/* Docker's normalised spelling, for messages: upper case with "CAP_". */
static char *normalized_name(const char *name)
{
	char *s = strncasecmp(name, "CAP_", 4) == 0 ? xstrdup(name) : xasprintf("CAP_%s", name);

	for (char *p = s; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}

/*
 * Parses a list of names into a mask; *has_all tells whether "ALL" was in
 * it. Messages as moby's NormalizeLegacyCapabilities.
 */
static int parse_list(char *const *names, uint64_t *mask, bool *has_all, struct berth_error **err)
{
	*mask = 0;
	*has_all = false;
	for (; names && *names; names++) {
		_cleanup_free_ char *norm = NULL;
		int cap;

		if (strcasecmp(*names, "ALL") == 0) {
			*has_all = true;
			continue;
		}
		cap = caps_from_name(*names);
		if (cap < 0) {
			norm = normalized_name(*names);
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"unknown capability: \"%s\"", norm);
		}
		if (cap > caps_last_cap())
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"capability not supported by your kernel or not "
						"available in the current environment: \"%s\"",
						cap_names[cap]);
		*mask |= BIT(cap);
	}
	return 0;
}

int caps_compute(char *const *add, char *const *drop, bool privileged, uint64_t *out,
		 struct berth_error **err)
{
	uint64_t add_mask, drop_mask;
	bool add_all, drop_all;

	if (privileged) {
		*out = caps_all();
		return 0;
	}
	if (strv_len(add) == 0 && strv_len(drop) == 0) {
		*out = caps_default();
		return 0;
	}
	/* Drops first, as moby validates them first. */
	if (parse_list(drop, &drop_mask, &drop_all, err) < 0)
		return -1;
	if (parse_list(add, &add_mask, &add_all, err) < 0)
		return -1;

	if (add_all)
		*out = caps_all() & ~drop_mask;
	else if (drop_all)
		*out = add_mask;
	else
		*out = (caps_default() & ~drop_mask) | add_mask;
	return 0;
}

int caps_drop_bounding(uint64_t keep, struct berth_error **err)
{
	int last = caps_last_cap();

	for (int cap = 0; cap <= last; cap++) {
		if (keep & BIT(cap))
			continue;
		/* Already gone: no need for CAP_SETPCAP. */
		if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				continue; /* unknown to this kernel after all */
			return berth_error_set(err, errno,
					       "drop capability %d from the bounding set", cap);
		}
	}
	return 0;
}

int caps_set_process(uint64_t effective, uint64_t permitted, uint64_t inheritable,
		     struct berth_error **err)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
		{
			.effective = (uint32_t)effective,
			.permitted = (uint32_t)permitted,
			.inheritable = (uint32_t)inheritable,
		},
		{
			.effective = (uint32_t)(effective >> 32),
			.permitted = (uint32_t)(permitted >> 32),
			.inheritable = (uint32_t)(inheritable >> 32),
		},
	};

	if (syscall(SYS_capset, &hdr, data) < 0)
		return berth_error_set(err, errno, "capset");
	/* EINVAL: a kernel before 4.3 has no ambient set to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berth_error_set(err, errno, "clear the ambient capabilities");
	return 0;
}

uint64_t caps_current_permitted(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {{0}};

	if (syscall(SYS_capget, &hdr, data) < 0)
		return caps_all();
	return ((uint64_t)data[1].permitted << 32) | data[0].permitted;
}
