/* SHA-256 digests as "sha256:<64 hex>". */
#ifndef BERTH_UTIL_SHA256_H
#define BERTH_UTIL_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define SHA256_DIGEST_LEN 72

/* A digest computed over a stream of data. */
struct sha256_stream;

struct sha256_stream *sha256_stream_new(void);
void sha256_stream_update(struct sha256_stream *s, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (SHA256_DIGEST_LEN bytes) and frees s. */
void sha256_stream_finish(struct sha256_stream *s, char out[SHA256_DIGEST_LEN]);
void sha256_stream_free(struct sha256_stream *s);

/* One shot: "sha256:<hex>" of data. */
void sha256_of(const void *data, size_t len, char out[SHA256_DIGEST_LEN]);

/* The hex part of "sha256:<hex>" (or the whole string without an algorithm). */
const char *digest_hex(const char *digest);

#endif
