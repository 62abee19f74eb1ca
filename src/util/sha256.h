/* SHA-256 digests as "sha256:<64 hex>" (libcrypto). */
#ifndef BERTH_UTIL_SHA256_H
#define BERTH_UTIL_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define SHA256_DIGEST_LEN 72

struct sha256_ctx;

struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (SHA256_DIGEST_LEN bytes) and frees c. */
void sha256_finish(struct sha256_ctx *c, char out[SHA256_DIGEST_LEN]);
void sha256_free(struct sha256_ctx *c);

/* The hex part of "sha256:<hex>" (or the whole string without an algorithm). */
const char *digest_hex(const char *digest);

/* One shot: "sha256:<hex>" of data. */
void sha256_digest(const void *data, size_t len, char out[SHA256_DIGEST_LEN]);

#endif
