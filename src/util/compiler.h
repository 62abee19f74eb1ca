/* Compiler helpers and cleanup attributes (lxc's style). */
#ifndef BERTH_UTIL_COMPILER_H
#define BERTH_UTIL_COMPILER_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _noreturn_     __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_  __attribute__((warn_unused_result))
#define ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define STRINGIFY_(x)  #x
#define STRINGIFY(x)   STRINGIFY_(x)

/*
 * qsort() of n elements, also of none: qsort's contract wants a non-NULL base
 * even then, and an empty array is often NULL (UBSan says so).
 */
static inline void sort_array(void *base, size_t n, size_t size,
			      int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* Cleanup functions keep errno so that error paths can still report it. */
static inline void freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void closep(int *fd)
{
	int saved = errno;
	if (*fd >= 0)
		close(*fd);
	*fd = -EBADF;
	errno = saved;
}

static inline void fclosep(FILE **f)
{
	int saved = errno;
	if (*f)
		fclose(*f);
	errno = saved;
}

static inline void closedirp(DIR **d)
{
	int saved = errno;
	if (*d)
		closedir(*d);
	errno = saved;
}

/* Frees a NULL-terminated array of strings and the array. */
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
	int saved = errno;
	strv_free(*v);
	errno = saved;
}

#define _cleanup_free_	   _cleanup_(freep)
#define _cleanup_close_	   _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_	   _cleanup_(strv_freep)

/* Hand ownership on: returns the pointer and clears the variable. */
#define steal_ptr(pp)                                                                              \
	({                                                                                         \
		__typeof__(*(pp)) steal_tmp_ = *(pp);                                              \
		*(pp) = NULL;                                                                      \
		steal_tmp_;                                                                        \
	})

static inline int steal_fd(int *fd)
{
	int r = *fd;
	*fd = -EBADF;
	return r;
}

/* Last, so that the system headers above are already declared. */
#include "util/banned.h"

#endif
