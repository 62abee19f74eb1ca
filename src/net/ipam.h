/*
 * IPv4 address arithmetic for IPAM: subnets, pools of subnets (Docker's
 * default-address-pools), the choice of a subnet that no host route overlaps
 * and of a free address in a subnet. Pure functions over memory; addresses are
 * uint32_t in host byte order.
 */
#ifndef BERTH_NET_IPAM_H
#define BERTH_NET_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct net_subnet {
	uint32_t addr; /* the network's address: host bits zero */
	int prefix;    /* 0..32 */
};

/* A pool: subnets of /size carved out of base, in order (base=172.17.0.0/16,size=16). */
struct net_pool {
	struct net_subnet base;
	int size;
};

/* "172.17.0.2" → 0xac110002. -1 when not a dotted quad. */
int net_addr_parse(const char *s, uint32_t *out);
/* 0xac110002 → "172.17.0.2" (buf of at least 16 bytes). */
void net_addr_format(uint32_t a, char *buf, size_t len);
/* "172.17.0.0/16" → the subnet; host bits set are an error (-1), as Docker refuses them. */
int net_subnet_parse(const char *s, struct net_subnet *out);
/* "172.17.0.0/16" (buf of at least 19 bytes). */
void net_subnet_format(const struct net_subnet *n, char *buf, size_t len);
uint32_t net_subnet_mask(int prefix);
/* The last address of the subnet (its broadcast address). */
uint32_t net_subnet_last(const struct net_subnet *n);
bool net_subnet_contains(const struct net_subnet *n, uint32_t a);
bool net_subnet_overlaps(const struct net_subnet *a, const struct net_subnet *b);

/*
 * Pools from text: entries separated by spaces, newlines or ';', each Docker's
 * "base=CIDR,size=N" or a bare CIDR (one subnet); '#' starts a comment.
 * *pools is new (free()). BERTH_ERR_INVALID on a malformed entry.
 */
int net_pool_parse(const char *text, struct net_pool **pools, size_t *n, struct berth_error **err);
/* Docker's default pools: 172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16 in /20s. */
const struct net_pool *net_pool_default(size_t *n);

/*
 * The first subnet of the pools, in order, that overlaps none of avoid (the
 * host's routes, the other networks). -1 when every one does.
 */
int net_pool_pick(const struct net_pool *pools, size_t n_pools, const struct net_subnet *avoid,
		  size_t n_avoid, struct net_subnet *out);

/*
 * The lowest free address of subnet sn: neither the network's address, nor its
 * broadcast, nor gateway, nor one of used (any order; sorted in place). -1 when
 * the subnet is full.
 */
int net_ipam_pick(const struct net_subnet *sn, uint32_t gateway, uint32_t *used, size_t n_used,
		  uint32_t *out);

/* Docker's MAC for an address: 02:42 and the address's four bytes ("02:42:ac:11:00:02"). */
void net_mac_of(uint32_t a, unsigned char mac[6]);
void net_mac_format(const unsigned char mac[6], char *buf, size_t len);

#endif
