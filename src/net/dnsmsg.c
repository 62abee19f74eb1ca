/* DNS messages of berth-dns (dnsmsg.h): libc only, as it is built into berth-dns too. */
#include <string.h>

#include "net/dnsmsg.h"

#define HEADER_LEN   12
#define A_RECORD_LEN 16

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

int net_dns_question(const unsigned char *msg, size_t len, char name[256], size_t *end,
		     uint16_t *qtype)
{
	size_t off = HEADER_LEN, n = 0;

	if (len < HEADER_LEN || (msg[4] << 8 | msg[5]) != 1)
		return -1;
	while (off < len && msg[off]) {
		size_t l = msg[off];

		/* labels only (no compression in a question), a name of 255 bytes at most */
		if (l > 63 || off + 1 + l >= len || n + l + 1 >= 256)
			return -1;
		if (n)
			name[n++] = '.';
		memcpy(name + n, msg + off + 1, l);
		n += l;
		off += 1 + l;
	}
	if (off + 5 > len)
		return -1;
	name[n] = '\0';
	*qtype = (uint16_t)(msg[off + 1] << 8 | msg[off + 2]);
	*end = off + 5;
	return 0;
}

size_t net_dns_reply(unsigned char *msg, size_t end, size_t cap, uint16_t qtype,
		     const struct in_addr *addrs, size_t n)
{
	size_t out = end;
	unsigned count = 0;

	for (size_t i = 0; qtype == NET_DNS_TYPE_A && i < n && out + A_RECORD_LEN <= cap; i++) {
		put16(msg + out, 0xc00c); /* the question's name */
		put16(msg + out + 2, NET_DNS_TYPE_A);
		put16(msg + out + 4, 1); /* IN */
		put16(msg + out + 6, 0); /* TTL: 600 s */
		put16(msg + out + 8, 600);
		put16(msg + out + 10, 4);
		memcpy(msg + out + 12, &addrs[i], 4);
		out += A_RECORD_LEN;
		count++;
	}
	msg[2] = (unsigned char)(0x84 | (msg[2] & 0x01)); /* response, authoritative, RD kept */
	msg[3] = 0x80;					  /* RA, NOERROR */
	put16(msg + 6, count);
	put16(msg + 8, 0);
	put16(msg + 10, 0);
	return out;
}

void net_dns_error(unsigned char *msg, size_t len, unsigned rcode)
{
	if (len < HEADER_LEN)
		return;
	msg[2] = (unsigned char)(0x80 | (msg[2] & 0x01));
	msg[3] = (unsigned char)(0x80 | (rcode & 0x0f));
}
