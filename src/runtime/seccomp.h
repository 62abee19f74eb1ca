/*
 * The default seccomp profile, equivalent to Docker's (moby
 * profiles/seccomp/default.json): an allow list over a default action of
 * ERRNO(EPERM), with the same conditional rules (syscalls allowed only with
 * given capabilities, clone without namespace flags, personality values,
 * socket families, clone3 answering ENOSYS so libc falls back to clone).
 */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct seccomp_bpf {
	void *filter; /* struct sock_filter[] */
	size_t len;   /* number of instructions */
};

/*
 * Compiles the default profile for a container whose capability set is caps
 * into a BPF program for the native architecture (and its compat
 * architectures, as Docker does for x86_64: x86, x32). Free with
 * seccomp_bpf_release().
 */
int seccomp_build_default(uint64_t caps, struct seccomp_bpf *out, struct berth_error **err);

/*
 * As seccomp_build_default(), through a cache of compiled programs in
 * cache_dir (under the run root, so a reboot or a new kernel starts afresh),
 * keyed by the capability set, berth's version and libseccomp's version.
 * Compiling takes 10-20 ms; reading the cache a fraction of one.
 */
int seccomp_build_default_cached(const char *cache_dir, uint64_t caps, struct seccomp_bpf *out,
				 struct berth_error **err);

/*
 * Loads a compiled program into the calling thread (seccomp(2), falling back
 * to prctl). Needs no_new_privs or CAP_SYS_ADMIN. Safe to call after fork and
 * before execve: it allocates nothing.
 */
int seccomp_bpf_load(const struct seccomp_bpf *bpf, struct berth_error **err);

void seccomp_bpf_release(struct seccomp_bpf *bpf);

#endif
