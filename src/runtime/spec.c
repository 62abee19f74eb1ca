/* The runtime spec written out as an OCI runtime config.json (for people and tools). */
#include <ctype.h>
#include <stdio.h>
#include <sys/mount.h>

#include "runtime/caps.h"
#include "runtime/internal.h"
#include "runtime/runtime.h"
#include "util/json.h"
#include "util/strutil.h"

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *mount_options(unsigned long flags, const char *data)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} names[] = {{MS_RDONLY, "ro"},	    {MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"},
		     {MS_NOEXEC, "noexec"}, {MS_BIND, "bind"},	   {MS_REC, "rec"}};
	json_t *a = json_array();

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & names[i].flag)
			json_array_append_new(a, json_string(names[i].name));
	for (const char *p = data ? data : ""; *p;) {
		size_t n = strcspn(p, ",");
		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return a;
}

static json_t *oci_mount(const char *dest, const char *type, const char *source,
			 unsigned long flags, const char *data)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source",
			 source, "options", mount_options(flags, data));
}

/* "rslave", "private"... as the OCI options name a propagation. */
static const char *propagation_name(unsigned long p)
{
	const char *name = p & MS_SHARED ? "shared" : p & MS_SLAVE ? "slave" : "private";

	return p & MS_REC ? (name[0] == 's' && name[1] == 'h' ? "rshared"
			     : name[0] == 's'		      ? "rslave"
							      : "rprivate")
			  : name;
}

static json_t *oci_mounts(const struct runtime_spec *spec)
{
	unsigned long ro = spec->privileged ? 0 : MS_RDONLY;
	json_t *a = json_array();

	for (size_t i = 0; i < runtime_n_default_mounts; i++) {
		const struct runtime_default_mount *m = &runtime_default_mounts[i];
		unsigned long flags = m->flags;

		if (strcmp(m->type, "sysfs") == 0)
			flags = (flags & ~(unsigned long)MS_RDONLY) | ro;
		json_array_append_new(a, oci_mount(m->dest, m->type, m->type, flags, m->data));
		if (strcmp(m->type, "sysfs") == 0)
			json_array_append_new(a, oci_mount("/sys/fs/cgroup", "cgroup", "cgroup",
							   MS_NOSUID | MS_NOEXEC | MS_NODEV | ro,
							   NULL));
	}
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct runtime_mount *m = &spec->mounts[i];
		json_t *om = oci_mount(m->dest, m->type ? m->type : "bind",
				       m->source ? m->source : "", m->flags, m->data);

		if (m->propagation)
			json_array_append_new(json_object_get(om, "options"),
					      json_string(propagation_name(m->propagation)));
		json_array_append_new(a, om);
	}
	return a;
}

static json_t *oci_process(const struct runtime_spec *spec)
{
	char **names = caps_to_strv(spec->caps);
	json_t *caps = json_from_strv(names), *rl = json_array();

	strv_free(names);
	for (size_t i = 0; i < spec->n_rlimits; i++) {
		const char *name = runtime_rlimit_name(spec->rlimits[i].resource);
		char type[32];
		size_t n = (size_t)snprintf(type, sizeof(type), "RLIMIT_%s", name ? name : "?");

		for (size_t k = 7; k < n && k < sizeof(type); k++)
			type[k] = (char)toupper((unsigned char)type[k]);
		json_array_append_new(rl, json_pack("{s:s, s:I, s:I}", "type", type, "soft",
						    (json_int_t)spec->rlimits[i].soft, "hard",
						    (json_int_t)spec->rlimits[i].hard));
	}
	/* The user is resolved in the container's /etc/passwd when it starts: 0 until then. */
	return json_pack("{s:b, s:{s:i, s:i, s:s}, s:o, s:o, s:s, s:{s:O, s:O, s:o}, s:o, s:b}",
			 "terminal", spec->tty, "user", "uid", 0, "gid", 0, "username", spec->user,
			 "args", json_from_strv(spec->argv), "env", json_from_strv(spec->env),
			 "cwd", spec->cwd, "capabilities", "bounding", caps, "effective", caps,
			 "permitted", caps, "rlimits", rl, "noNewPrivileges", spec->no_new_privs);
}

json_t *runtime_spec_to_oci(const struct runtime_spec *spec, const char *cgroup_path)
{
	const struct cgroup_limits *l = &spec->limits;
	json_t *ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "ipc",
			       "type", "uts", "type", "mount", "type", "cgroup");
	json_t *res = json_object(), *process = oci_process(spec);

	if (spec->net == RUNTIME_NET_NONE)
		json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
	else if (spec->net == RUNTIME_NET_JOIN && spec->netns_path)
		json_array_append_new(
			ns, json_pack("{s:s, s:s}", "type", "network", "path", spec->netns_path));
	if (l->memory)
		json_object_set_new(res, "memory",
				    json_pack("{s:I}", "limit", (json_int_t)l->memory));
	if (l->cpu_quota_us || l->cpu_shares)
		json_object_set_new(res, "cpu",
				    json_pack("{s:I, s:I, s:I}", "quota",
					      (json_int_t)l->cpu_quota_us, "period",
					      (json_int_t)l->cpu_period_us, "shares",
					      (json_int_t)l->cpu_shares));
	if (l->pids)
		json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)l->pids));
	return json_pack(
		"{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:{s:o, s:o, s:s, s:o, s:o}}", "ociVersion",
		"1.0.2", "process", process, "root", "path", spec->merged, "readonly",
		spec->readonly, "hostname", spec->hostname, "mounts", oci_mounts(spec), "linux",
		"namespaces", ns, "resources", res, "cgroupsPath", cgroup_path, "maskedPaths",
		strings(runtime_masked_paths, spec->privileged ? 0 : runtime_n_masked_paths),
		"readonlyPaths",
		strings(runtime_readonly_paths, spec->privileged ? 0 : runtime_n_readonly_paths));
}
