#include <stdio.h>
#include <stdlib.h>

#include "net/ipam.h"
#include "util/strutil.h"

int net_addr_parse(const char *s, uint32_t *out)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;

		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (!digits || digits > 3 || v > 255 || (digits > 1 && s[-digits] == '0'))
			return -1;
		a = a << 8 | v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	if (*s)
		return -1;
	*out = a;
	return 0;
}

void net_addr_format(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

uint32_t net_subnet_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
}

uint32_t net_subnet_last(const struct net_subnet *n)
{
	return n->addr | ~net_subnet_mask(n->prefix);
}

int net_subnet_parse(const char *s, struct net_subnet *out)
{
	const char *slash = strchr(s, '/');
	char addr[16], *end;
	long prefix;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -1;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (!slash[1] || slash[1] == '-' || slash[1] == '+')
		return -1;
	prefix = strtol(slash + 1, &end, 10);
	if (*end || prefix < 0 || prefix > 32 || net_addr_parse(addr, &out->addr) < 0)
		return -1;
	out->prefix = (int)prefix;
	return out->addr & ~net_subnet_mask(out->prefix) ? -1 : 0;
}

void net_subnet_format(const struct net_subnet *n, char *buf, size_t len)
{
	char a[16];

	net_addr_format(n->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, n->prefix);
}

bool net_subnet_contains(const struct net_subnet *n, uint32_t a)
{
	return (a & net_subnet_mask(n->prefix)) == n->addr;
}

bool net_subnet_overlaps(const struct net_subnet *a, const struct net_subnet *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;

	return ((a->addr ^ b->addr) & net_subnet_mask(p)) == 0;
}

static const struct net_pool default_pools[] = {
	{{0xac110000, 16}, 16}, /* 172.17.0.0/16 */
	{{0xac120000, 15}, 16}, /* 172.18.0.0/16, 172.19.0.0/16 */
	{{0xac140000, 14}, 16}, /* 172.20.0.0/16 … 172.23.0.0/16 */
	{{0xac180000, 13}, 16}, /* 172.24.0.0/16 … 172.31.0.0/16 */
	{{0xc0a80000, 16}, 20}, /* 192.168.0.0/20 … 192.168.240.0/20 */
};

const struct net_pool *net_pool_default(size_t *n)
{
	*n = ARRAY_SIZE(default_pools);
	return default_pools;
}

/* One entry: "base=CIDR,size=N" or "CIDR". */
static int parse_pool(const char *word, struct net_pool *p)
{
	_cleanup_free_ char *w = xstrdup(word);
	char *comma, *end;
	long size;

	if (!str_has_prefix(w, "base="))
		return net_subnet_parse(w, &p->base) < 0 ? -1 : (p->size = p->base.prefix, 0);
	comma = strchr(w, ',');
	if (comma)
		*comma++ = '\0';
	if (net_subnet_parse(w + 5, &p->base) < 0)
		return -1;
	p->size = p->base.prefix;
	if (!comma)
		return 0;
	if (!str_has_prefix(comma, "size=") || !comma[5])
		return -1;
	size = strtol(comma + 5, &end, 10);
	if (*end || size < p->base.prefix || size > 30)
		return -1;
	p->size = (int)size;
	return 0;
}

int net_pool_parse(const char *text, struct net_pool **pools, size_t *n, struct berth_error **err)
{
	_cleanup_free_ char *copy = xstrdup(text);
	struct net_pool *v = NULL;
	size_t k = 0;
	char *p = copy;

	while (*p) {
		size_t len;
		char *word;

		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		len = strcspn(p, " \t\r\n;");
		if (!len) {
			p++;
			continue;
		}
		word = xstrndup(p, len);
		p += len;
		v = xrealloc(v, (k + 1) * sizeof(*v));
		if (parse_pool(word, &v[k]) < 0) {
			berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid address pool '%s'",
					 word);
			free(word);
			free(v);
			return -1;
		}
		free(word);
		k++;
	}
	if (!k) {
		free(v);
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "no address pool in '%s'", text);
	}
	*pools = v;
	*n = k;
	return 0;
}

static bool overlaps_any(const struct net_subnet *sn, const struct net_subnet *avoid, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (net_subnet_overlaps(sn, &avoid[i]))
			return true;
	return false;
}

int net_pool_pick(const struct net_pool *pools, size_t n_pools, const struct net_subnet *avoid,
		  size_t n_avoid, struct net_subnet *out)
{
	for (size_t i = 0; i < n_pools; i++) {
		const struct net_pool *p = &pools[i];
		uint64_t step = 1ULL << (32 - p->size);
		uint64_t end = (uint64_t)net_subnet_last(&p->base) + 1;

		for (uint64_t a = p->base.addr; a < end; a += step) {
			struct net_subnet sn = {(uint32_t)a, p->size};

			if (!overlaps_any(&sn, avoid, n_avoid)) {
				*out = sn;
				return 0;
			}
		}
	}
	return -1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int net_ipam_pick(const struct net_subnet *sn, uint32_t gateway, uint32_t *used, size_t n_used,
		  uint32_t *out)
{
	uint32_t last = net_subnet_last(sn);
	size_t i = 0;

	if (sn->prefix > 30)
		return -1;
	sort_array(used, n_used, sizeof(*used), cmp_u32);
	for (uint32_t a = sn->addr + 1; a < last; a++) {
		while (i < n_used && used[i] < a)
			i++;
		if (a == gateway || (i < n_used && used[i] == a))
			continue;
		*out = a;
		return 0;
	}
	return -1;
}

void net_mac_of(uint32_t a, unsigned char mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (unsigned char)(a >> 24);
	mac[3] = (unsigned char)(a >> 16);
	mac[4] = (unsigned char)(a >> 8);
	mac[5] = (unsigned char)a;
}

void net_mac_format(const unsigned char mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
