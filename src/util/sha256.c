#include <openssl/evp.h>
#include <stdio.h>

#include "util/compiler.h"
#include "util/error.h"
#include "util/sha256.h"

struct sha256_ctx {
	EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_new(void)
{
	struct sha256_ctx *c = malloc(sizeof(*c));

	if (!c || !(c->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(c->md, EVP_sha256(), NULL))
		BUG("cannot initialise sha256");
	return c;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	EVP_DigestUpdate(c->md, data, len);
}

void sha256_finish(struct sha256_ctx *c, char out[SHA256_DIGEST_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;
	char *p = out;

	EVP_DigestFinal_ex(c->md, md, &n);
	memcpy(p, "sha256:", 7);
	p += 7;
	for (unsigned int i = 0; i < 32; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
	sha256_free(c);
}

void sha256_free(struct sha256_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

void sha256_digest(const void *data, size_t len, char out[SHA256_DIGEST_LEN])
{
	struct sha256_ctx *c = sha256_new();
	sha256_update(c, data, len);
	sha256_finish(c, out);
}

const char *digest_hex(const char *digest)
{
	const char *c = strchr(digest, ':');
	return c ? c + 1 : digest;
}
