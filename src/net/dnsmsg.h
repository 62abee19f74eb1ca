/*
 * DNS messages as berth-dns (dns.c) reads and answers them: the question of a
 * query, and the answer made in its place. Pure functions over memory, shared
 * with the fuzz target. Private to net/.
 */
#ifndef BERTH_NET_DNSMSG_H
#define BERTH_NET_DNSMSG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define NET_DNS_TYPE_A 1

/*
 * The single question of query msg: its name as text ("api", without the
 * final dot; name has 256 bytes), its type, and the offset where it ends.
 * -1 when msg is malformed or has another number of questions than one.
 */
int net_dns_question(const unsigned char *msg, size_t len, char name[256], size_t *end,
		     uint16_t *qtype);

/*
 * Turns query msg, whose question ends at end, into its answer in place: a
 * response, authoritative, NOERROR, with an A record (TTL 600 s) for each of
 * addrs when qtype is A (none otherwise: the name exists, not that type), as
 * many as fit in cap bytes. Returns the answer's length.
 */
size_t net_dns_reply(unsigned char *msg, size_t end, size_t cap, uint16_t qtype,
		     const struct in_addr *addrs, size_t n);

/* Turns query msg into an error answer with rcode (2: SERVFAIL) in place. */
void net_dns_error(unsigned char *msg, size_t len, unsigned rcode);

#endif
