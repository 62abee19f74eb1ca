/*
 * Linux capabilities as 64-bit masks (bit n = capability number n).
 * Names are Docker's: "NET_RAW" or "CAP_NET_RAW", any case; "ALL".
 */
#ifndef BERTH_RUNTIME_CAPS_H
#define BERTH_RUNTIME_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* Docker's default set: CapEff 00000000a80425fb. */
uint64_t caps_default(void);
/* Every capability the running kernel knows (up to /proc/sys/kernel/cap_last_cap). */
uint64_t caps_all(void);
/* The permitted set of the calling process: what it can hand on to a container. */
uint64_t caps_current_permitted(void);
/*
 * The kernel's highest capability number (/proc/sys/kernel/cap_last_cap,
 * read once and cached; 40 when it cannot be read). Allocation-free.
 */
int caps_last_cap(void);

/* "NET_RAW" / "cap_net_raw" → CAP_NET_RAW. -1 for unknown names (and for "ALL"). */
int caps_from_name(const char *name);
/* "CAP_NET_RAW" for a number; NULL when unknown. Static storage. */
const char *caps_to_name(int cap);

/*
 * Docker's TweakCapabilities: privileged → all; add contains ALL → all minus
 * drop; drop contains ALL → only add; else default minus drop plus add.
 * Unknown names fail with `unknown capability: "FOO"` (BERTH_ERR_INVALID).
 */
int caps_compute(char *const *add, char *const *drop, bool privileged, uint64_t *out,
		 struct berth_error **err);

/* Names of the set bits ("CAP_CHOWN", ...), NULL-terminated; free with strv_free(). */
char **caps_to_strv(uint64_t set);

/*
 * The two below run in the forked child before execve: on success they
 * allocate nothing. On failure they set *err, which allocates; where that
 * matters pass a NULL err and read errno, which they then leave as it failed.
 */

/*
 * For the container's init, after the mounts and before execve. Drops from
 * the bounding set every capability not in keep (needs CAP_SETPCAP).
 */
int caps_drop_bounding(uint64_t keep, struct berth_error **err);
/*
 * Sets effective, permitted and inheritable to set; clears the ambient set.
 * Called after the uid change (with PR_SET_KEEPCAPS if the new uid is not 0
 * and caps are to be kept).
 */
int caps_set_process(uint64_t effective, uint64_t permitted, uint64_t inheritable,
		     struct berth_error **err);

#endif
