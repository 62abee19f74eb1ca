/* SHA-256 by nettle: small, and without libcrypto's cost at every berth start. */
#include <nettle/sha2.h>

#include "util/compiler.h"
#include "util/sha256.h"
#include "util/strutil.h"

struct sha256_stream {
	struct sha256_ctx ctx; /* nettle's */
};

struct sha256_stream *sha256_stream_new(void)
{
	struct sha256_stream *s = xmalloc(sizeof(*s));

	sha256_init(&s->ctx);
	return s;
}

void sha256_stream_update(struct sha256_stream *s, const void *data, size_t len)
{
	sha256_update(&s->ctx, len, data);
}

void sha256_stream_finish(struct sha256_stream *s, char out[SHA256_DIGEST_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_SIZE];
	char *p = out;

	sha256_digest(&s->ctx, sizeof(md), md);
	memcpy(p, "sha256:", 7);
	p += 7;
	for (size_t i = 0; i < sizeof(md); i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
	sha256_stream_free(s);
}

void sha256_stream_free(struct sha256_stream *s)
{
	free(s);
}

void sha256_of(const void *data, size_t len, char out[SHA256_DIGEST_LEN])
{
	struct sha256_stream *s = sha256_stream_new();

	sha256_stream_update(s, data, len);
	sha256_stream_finish(s, out);
}

const char *digest_hex(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c ? c + 1 : digest;
}
