#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "net/ipam.h"

static uint32_t A(const char *s)
{
	uint32_t a = 0;

	assert_int_equal(net_addr_parse(s, &a), 0);
	return a;
}

static struct net_subnet N(const char *s) {
	struct net_subnet n = {0};

	assert_int_equal(net_subnet_parse(s, &n), 0);
	return n;
}

static void
test_addr(void **state)
{
	uint32_t a;
	char buf[16];

	(void)state;
	assert_int_equal(A("172.17.0.2"), 0xac110002);
	assert_int_equal(A("0.0.0.0"), 0);
	assert_int_equal(A("255.255.255.255"), 0xffffffffu);
	net_addr_format(0xc0a80a01, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.10.1");
	assert_int_equal(net_addr_parse("256.1.1.1", &a), -1);
	assert_int_equal(net_addr_parse("1.2.3", &a), -1);
	assert_int_equal(net_addr_parse("1.2.3.4.5", &a), -1);
	assert_int_equal(net_addr_parse("1.2.3.04", &a), -1);
	assert_int_equal(net_addr_parse("1..3.4", &a), -1);
	assert_int_equal(net_addr_parse("1.2.3.4 ", &a), -1);
	assert_int_equal(net_addr_parse("", &a), -1);
}

static void test_subnet(void **state)
{
	struct net_subnet n;
	char buf[20];

	(void)state;
	n = N("172.17.0.0/16");
	assert_int_equal(n.addr, 0xac110000);
	assert_int_equal(n.prefix, 16);
	assert_int_equal(net_subnet_last(&n), 0xac11ffff);
	net_subnet_format(&n, buf, sizeof(buf));
	assert_string_equal(buf, "172.17.0.0/16");
	/* host bits set, as Docker refuses them */
	assert_int_equal(net_subnet_parse("172.17.0.1/16", &n), -1);
	assert_int_equal(net_subnet_parse("172.17.0.0", &n), -1);
	assert_int_equal(net_subnet_parse("172.17.0.0/33", &n), -1);
	assert_int_equal(net_subnet_parse("172.17.0.0/", &n), -1);
	assert_int_equal(net_subnet_parse("172.17.0.0/-1", &n), -1);
	n = N("0.0.0.0/0");
	assert_int_equal(net_subnet_mask(0), 0);
	assert_int_equal(net_subnet_last(&n), 0xffffffffu);
	assert_int_equal(net_subnet_mask(32), 0xffffffffu);
}

static void test_overlap(void **state)
{
	struct net_subnet a = N("172.17.0.0/16"), b = N("172.17.5.0/24"), c = N("172.18.0.0/16");
	struct net_subnet wide = N("172.16.0.0/12"), host = N("172.17.200.7/32");

	(void)state;
	assert_true(net_subnet_overlaps(&a, &b));
	assert_true(net_subnet_overlaps(&b, &a));
	assert_false(net_subnet_overlaps(&a, &c));
	assert_true(net_subnet_overlaps(&wide, &c));
	assert_true(net_subnet_overlaps(&a, &host));
	assert_true(net_subnet_contains(&a, A("172.17.255.255")));
	assert_false(net_subnet_contains(&a, A("172.18.0.0")));
}

static void test_pool_parse(void **state)
{
	struct net_pool *p = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(net_pool_parse("base=10.10.0.0/16,size=24 # a comment\n"
					"192.168.99.0/24;172.30.0.0/16",
					&p, &n, NULL),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].base.addr, A("10.10.0.0"));
	assert_int_equal(p[0].base.prefix, 16);
	assert_int_equal(p[0].size, 24);
	assert_int_equal(p[1].size, 24);
	assert_int_equal(p[2].size, 16);
	free(p);
	assert_int_equal(net_pool_parse("base=10.10.0.0/16,size=8", &p, &n, NULL), -1);
	assert_int_equal(net_pool_parse("base=10.10.0.0/16,size=", &p, &n, NULL), -1);
	assert_int_equal(net_pool_parse("base=10.10.0.0/16,sise=24", &p, &n, NULL), -1);
	assert_int_equal(net_pool_parse("10.10.0.1/16", &p, &n, NULL), -1);
	assert_int_equal(net_pool_parse("  # nothing\n", &p, &n, NULL), -1);
}

/* Docker's order: 172.17/16 first, then 172.18/16 …, then 192.168.0.0/20 … */
static void test_pool_pick(void **state)
{
	size_t n;
	const struct net_pool *def = net_pool_default(&n);
	struct net_subnet out, avoid[3];
	char buf[20];

	(void)state;
	assert_int_equal(net_pool_pick(def, n, NULL, 0, &out), 0);
	net_subnet_format(&out, buf, sizeof(buf));
	assert_string_equal(buf, "172.17.0.0/16");
	/* a route into 172.17 (a VPN's /24) and the whole of 172.18 */
	avoid[0] = N("172.17.3.0/24");
	avoid[1] = N("172.18.0.0/16");
	assert_int_equal(net_pool_pick(def, n, avoid, 2, &out), 0);
	net_subnet_format(&out, buf, sizeof(buf));
	assert_string_equal(buf, "172.19.0.0/16");
	/* 172.16/12 routed: the first /20 of 192.168 */
	avoid[0] = N("172.16.0.0/12");
	assert_int_equal(net_pool_pick(def, n, avoid, 1, &out), 0);
	net_subnet_format(&out, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.0.0/20");
	/* and 192.168.0.0/24 too: the second /20 */
	avoid[1] = N("192.168.0.0/24");
	assert_int_equal(net_pool_pick(def, n, avoid, 2, &out), 0);
	net_subnet_format(&out, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.16.0/20");
	/* everything taken */
	avoid[2] = N("192.168.0.0/16");
	assert_int_equal(net_pool_pick(def, n, avoid, 3, &out), -1);
}

static void test_ipam_pick(void **state)
{
	struct net_subnet sn = N("172.17.0.0/16"), small = N("10.0.0.0/30");
	uint32_t gw = A("172.17.0.1"), out = 0;
	uint32_t used[] = {A("172.17.0.4"), A("172.17.0.2"), A("172.17.0.3")};
	uint32_t full[] = {A("10.0.0.2")};

	(void)state;
	assert_int_equal(net_ipam_pick(&sn, gw, NULL, 0, &out), 0);
	assert_int_equal(out, A("172.17.0.2"));
	/* unsorted leases; the lowest free one after them */
	assert_int_equal(net_ipam_pick(&sn, gw, used, 3, &out), 0);
	assert_int_equal(out, A("172.17.0.5"));
	/* a hole is filled first */
	used[0] = A("172.17.0.9"); /* sorted in place by the call before: 0.2 goes */
	assert_int_equal(net_ipam_pick(&sn, gw, used, 3, &out), 0);
	assert_int_equal(out, A("172.17.0.2"));
	/* a /30 has two hosts: the gateway and one more; never the broadcast */
	assert_int_equal(net_ipam_pick(&small, A("10.0.0.1"), NULL, 0, &out), 0);
	assert_int_equal(out, A("10.0.0.2"));
	assert_int_equal(net_ipam_pick(&small, A("10.0.0.1"), full, 1, &out), -1);
	/* a gateway elsewhere in the subnet is skipped where it is */
	assert_int_equal(net_ipam_pick(&small, A("10.0.0.2"), NULL, 0, &out), 0);
	assert_int_equal(out, A("10.0.0.1"));
}

static void test_mac(void **state)
{
	unsigned char mac[6];
	char buf[18];

	(void)state;
	net_mac_of(A("172.17.0.2"), mac);
	net_mac_format(mac, buf, sizeof(buf));
	assert_string_equal(buf, "02:42:ac:11:00:02");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),	  cmocka_unit_test(test_subnet),
		cmocka_unit_test(test_overlap),	  cmocka_unit_test(test_pool_parse),
		cmocka_unit_test(test_pool_pick), cmocka_unit_test(test_ipam_pick),
		cmocka_unit_test(test_mac),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
