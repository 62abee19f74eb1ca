/*
 * Fuzz target for the DNS messages of berth-dns (net/dnsmsg.h): the question
 * of a query, then the answer made in its place. Besides not crashing, the
 * question ends inside the message, its name is a string of 255 bytes at most,
 * and the answer fits where it was made; a broken one aborts.
 *
 * Built without libFuzzer, tests/fuzz/replay.c's main() replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dnsmsg.h"

#define CAP 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char msg[CAP];
	struct in_addr addrs[40];
	char name[256];
	size_t end, out;
	uint16_t qtype;

	if (size > CAP)
		return 0;
	memcpy(msg, data, size);
	if (net_dns_question(msg, size, name, &end, &qtype) < 0)
		return 0;
	if (end > size || strlen(name) > 255)
		abort();
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		addrs[i].s_addr = htonl(0x0a000000u + (uint32_t)i);
	out = net_dns_reply(msg, end, CAP, qtype, addrs, sizeof(addrs) / sizeof(addrs[0]));
	if (out > CAP || out < end || (msg[2] & 0x80) == 0)
		abort();
	net_dns_error(msg, out, 2);
	return 0;
}
