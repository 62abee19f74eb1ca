#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/ports.h"
#include "util/json.h"
#include "util/strutil.h"

/* -p spec → {"exposed": ..., "bindings": ...} as compact JSON (keys sorted), or the error. */
static char *publish(const char *const *specs)
{
	json_auto_t *exposed = json_object(), *bindings = json_object(), *both = NULL;
	struct berth_error *err = NULL;
	char *out;

	for (; *specs; specs++)
		if (net_ports_parse_publish(*specs, exposed, bindings, &err) < 0) {
			out = xstrdup(err->msg);
			assert_int_equal(err->kind, BERTH_ERR_INVALID);
			berth_error_free(err);
			return out;
		}
	both = json_pack("{s:O, s:O}", "exposed", exposed, "bindings", bindings);
	return json_dumps(both, JSON_COMPACT | JSON_SORT_KEYS);
}

static void check_publish1(const char *spec, const char *want)
{
	const char *specs[] = {spec, NULL};
	char *got = publish(specs);

	assert_string_equal(got, want);
	free(got);
}

static void test_publish(void **state)
{
	(void)state;
	check_publish1("80", "{\"bindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]},"
			     "\"exposed\":{\"80/tcp\":{}}}");
	check_publish1("8080:80", "{\"bindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":"
				  "\"8080\"}]},\"exposed\":{\"80/tcp\":{}}}");
	check_publish1("127.0.0.1:8080:80/udp",
		       "{\"bindings\":{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":"
		       "\"8080\"}]},\"exposed\":{\"80/udp\":{}}}");
	/* ephemeral on an address; the proto lowercased */
	check_publish1("127.0.0.1::80/TCP",
		       "{\"bindings\":{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]},"
		       "\"exposed\":{\"80/tcp\":{}}}");
	check_publish1(":80", "{\"bindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]},"
			      "\"exposed\":{\"80/tcp\":{}}}");
	check_publish1("1234/sctp", "{\"bindings\":{\"1234/sctp\":[{\"HostIp\":\"\",\"HostPort\":"
				    "\"\"}]},\"exposed\":{\"1234/sctp\":{}}}");
	/* ranges on both sides pair up */
	check_publish1(
		"0.0.0.0:1234-1235:3333-3334/tcp",
		"{\"bindings\":{\"3333/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"1234\"}],"
		"\"3334/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"1235\"}]},"
		"\"exposed\":{\"3333/tcp\":{},\"3334/tcp\":{}}}");
	/* a host range for one port: picked from at start */
	check_publish1("8000-8010:80",
		       "{\"bindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8000-8010\"}]},"
		       "\"exposed\":{\"80/tcp\":{}}}");
	/* a container range without host ports */
	check_publish1("1234-1235/udp",
		       "{\"bindings\":{\"1234/udp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],"
		       "\"1235/udp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]},"
		       "\"exposed\":{\"1234/udp\":{},\"1235/udp\":{}}}");
	/* leading zeros, as Go's ParseUint takes them */
	check_publish1("0080:080", "{\"bindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":"
				   "\"80\"}]},\"exposed\":{\"80/tcp\":{}}}");
}

/* Two -p of one port add two bindings to it. */
static void test_publish_twice(void **state)
{
	const char *specs[] = {"8080:80", "127.0.0.1:8081:80", NULL};
	char *got = publish(specs);

	(void)state;
	assert_string_equal(got,
			    "{\"bindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},"
			    "{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8081\"}]},"
			    "\"exposed\":{\"80/tcp\":{}}}");
	free(got);
}

/* go-connections' messages, in its order of checks. */
static void test_publish_errors(void **state)
{
	(void)state;
	check_publish1("abc", "invalid containerPort: abc");
	check_publish1("8080:abc", "invalid containerPort: abc");
	check_publish1("abc:80", "invalid hostPort: abc");
	check_publish1("70000:80", "invalid hostPort: 70000");
	check_publish1("80:70000", "invalid containerPort: 70000");
	check_publish1("90-80", "invalid containerPort: 90-80");
	check_publish1("655:0", "invalid containerPort: 0");
	check_publish1("192.168.1.100:-1:-1", "invalid containerPort: -1");
	check_publish1("8000-8005:80-90",
		       "invalid ranges specified for container and host Ports: 80-90 and "
		       "8000-8005");
	check_publish1("8080:80/xyz", "invalid proto: xyz");
	check_publish1("8080:/udp", "no port specified: 8080:/udp<empty>");
	check_publish1("", "no port specified: <empty>");
	check_publish1("localhost:8080:80", "invalid IP address: localhost");
	check_publish1("1.2.3:8080:80", "invalid IP address: 1.2.3");
	check_publish1("[::1]:80:80", "cannot publish '[::1]:80:80': IPv6 host addresses are not "
				      "supported");
	check_publish1("::1:80:80", "cannot publish '::1:80:80': IPv6 host addresses are not "
				    "supported");
	check_publish1("::::80", "cannot publish '::::80': IPv6 host addresses are not supported");
}

static char *expose(const char *spec)
{
	json_auto_t *exposed = json_object();
	struct berth_error *err = NULL;
	char *out;

	if (net_ports_parse_expose(spec, exposed, &err) < 0) {
		out = xstrdup(err->msg);
		berth_error_free(err);
		return out;
	}
	return json_dumps(exposed, JSON_COMPACT | JSON_SORT_KEYS);
}

static void check_expose(const char *spec, const char *want)
{
	char *got = expose(spec);

	assert_string_equal(got, want);
	free(got);
}

static void test_expose(void **state)
{
	(void)state;
	check_expose("80", "{\"80/tcp\":{}}");
	check_expose("53/udp", "{\"53/udp\":{}}");
	check_expose("7000-7002", "{\"7000/tcp\":{},\"7001/tcp\":{},\"7002/tcp\":{}}");
	check_expose("127.0.0.1:80", "invalid port format for --expose: 127.0.0.1:80");
	check_expose("abc", "invalid range format for --expose: abc, error: "
			    "strconv.ParseUint: parsing \"abc\": invalid syntax");
	check_expose("70000", "invalid range format for --expose: 70000, error: "
			      "strconv.ParseUint: parsing \"70000\": value out of range");
	check_expose("90-80", "invalid range format for --expose: 90-80, error: "
			      "invalid range specified for port: 90-80");
}

static json_t *config(const char *text)
{
	json_t *c = json_loads(text, 0, NULL);

	assert_non_null(c);
	return c;
}

/* Bindings, ranges, and -P for the exposed ports without one; sorted by port. */
static void test_resolve(void **state)
{
	json_auto_t *c = config(
		"{\"Config\":{\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{},\"53/udp\":{}}},"
		"\"HostConfig\":{\"PublishAllPorts\":true,\"PortBindings\":{"
		"\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"},"
		"{\"HostIp\":\"\",\"HostPort\":\"9000-9010\"}]}}}");
	struct net_ports_mapping *m = NULL;
	struct berth_error *err = NULL;
	char ip[INET_ADDRSTRLEN];
	size_t n;

	(void)state;
	assert_int_equal(net_ports_resolve(c, &m, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(m[0].ctr_port, 53);
	assert_int_equal(m[0].proto, NET_PORTS_UDP);
	assert_true(m[0].host_first < m[0].host_last);
	/* one port's bindings by address: every address first */
	assert_int_equal(m[1].ctr_port, 80);
	assert_int_equal(m[1].host_ip.s_addr, htonl(INADDR_ANY));
	assert_int_equal(m[1].host_first, 9000);
	assert_int_equal(m[1].host_last, 9010);
	assert_int_equal(m[2].ctr_port, 80);
	assert_string_equal(inet_ntop(AF_INET, &m[2].host_ip, ip, sizeof(ip)), "127.0.0.1");
	assert_int_equal(m[2].host_first, 8080);
	assert_int_equal(m[2].host_last, 8080);
	assert_int_equal(m[3].ctr_port, 443);
	assert_int_equal(m[3].proto, NET_PORTS_TCP);
	free(m);
}

/* Without PublishAllPorts, exposed ports are not published. */
static void test_resolve_exposed_only(void **state)
{
	json_auto_t *c = config("{\"Config\":{\"ExposedPorts\":{\"80/tcp\":{}}},"
				"\"HostConfig\":{\"PortBindings\":{}}}");
	struct net_ports_mapping *m = NULL;
	struct berth_error *err = NULL;
	size_t n;

	(void)state;
	assert_int_equal(net_ports_resolve(c, &m, &n, &err), 0);
	assert_int_equal(n, 0);
	free(m);
}

static void check_ps(const char *ports, const char *want)
{
	json_auto_t *p = config(ports);
	char *got = net_ports_format_ps(p);

	assert_string_equal(got, want);
	free(got);
}

/* Docker CLI's own cases of DisplayablePorts, as NetworkSettings.Ports. */
static void test_format_ps(void **state)
{
	(void)state;
	check_ps("{}", "");
	check_ps("{\"9988/tcp\":null}", "9988/tcp");
	check_ps("{\"9988/udp\":[]}", "9988/udp");
	check_ps("{\"9988/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"0\"}]}",
		 "0.0.0.0:0->9988/tcp");
	check_ps("{\"9988/tcp\":[{\"HostIp\":\"4.3.2.1\",\"HostPort\":\"8899\"}]}",
		 "4.3.2.1:8899->9988/tcp");
	check_ps("{\"9988/tcp\":[{\"HostIp\":\"4.3.2.1\",\"HostPort\":\"9988\"}]}",
		 "4.3.2.1:9988->9988/tcp");
	check_ps("{\"9998/udp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"9998\"}],"
		 "\"9999/udp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"9999\"}]}",
		 "1.2.3.4:9998-9999->9998-9999/udp");
	check_ps("{\"9998/udp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"8887\"}],"
		 "\"9999/udp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"8888\"}]}",
		 "1.2.3.4:8887->9998/udp, 1.2.3.4:8888->9999/udp");
	check_ps("{\"9999/udp\":null,\"9998/udp\":null}", "9998-9999/udp");
	check_ps("{\"6677/tcp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"7766\"}],"
		 "\"9988/udp\":null}",
		 "9988/udp, 1.2.3.4:7766->6677/tcp");
	check_ps("{\"9988/udp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"8899\"}],"
		 "\"9988/tcp\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"8899\"}],"
		 "\"2233/tcp\":[{\"HostIp\":\"4.3.2.1\",\"HostPort\":\"3322\"}]}",
		 "4.3.2.1:3322->2233/tcp, 1.2.3.4:8899->9988/tcp, 1.2.3.4:8899->9988/udp");
	check_ps("{\"80/tcp\":[{\"HostIp\":\"1.1.1.1\",\"HostPort\":\"1024\"},"
		 "{\"HostIp\":\"2.1.1.1\",\"HostPort\":\"1024\"}],"
		 "\"80/udp\":[{\"HostIp\":\"1.1.1.1\",\"HostPort\":\"1024\"},"
		 "{\"HostIp\":\"2.1.1.1\",\"HostPort\":\"1024\"}],"
		 "\"1024/tcp\":[{\"HostIp\":\"1.1.1.1\",\"HostPort\":\"80\"},"
		 "{\"HostIp\":\"2.1.1.1\",\"HostPort\":\"80\"}],"
		 "\"1024/udp\":[{\"HostIp\":\"1.1.1.1\",\"HostPort\":\"80\"},"
		 "{\"HostIp\":\"2.1.1.1\",\"HostPort\":\"80\"}],"
		 "\"12345/sctp\":null}",
		 "12345/sctp, 1.1.1.1:1024->80/tcp, 1.1.1.1:1024->80/udp, "
		 "2.1.1.1:1024->80/tcp, 2.1.1.1:1024->80/udp, 1.1.1.1:80->1024/tcp, "
		 "1.1.1.1:80->1024/udp, 2.1.1.1:80->1024/tcp, 2.1.1.1:80->1024/udp");
	/* a gap ends a group early: it is printed before the groups still open */
	check_ps("{\"80/tcp\":null,\"1024/tcp\":null,\"81/tcp\":null,\"53/udp\":null}",
		 "80-81/tcp, 53/udp, 1024/tcp");
	check_ps("{\"80/tcp\":null,\"1024/tcp\":null,\"80/udp\":null,\"1024/udp\":null}",
		 "80/tcp, 80/udp, 1024/tcp, 1024/udp");
	/* the reference's web container, as berth binds it (IPv4 only) */
	check_ps("{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]}",
		 "0.0.0.0:8080->80/tcp");
	check_ps("{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"49153\"}]}",
		 "0.0.0.0:49153->80/tcp");
	check_ps("{\"8000/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8000\"}],"
		 "\"8001/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8001\"}],"
		 "\"8002/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8002\"}]}",
		 "0.0.0.0:8000-8002->8000-8002/tcp");
}

static void check_port(const char *ports, const char *private_port, const char *want)
{
	json_auto_t *p = config(ports);
	struct berth_error *err = NULL;
	char *got = net_ports_format_port(p, private_port, "web", &err);

	if (!got) {
		got = xstrdup(err->msg);
		berth_error_free(err);
	}
	assert_string_equal(got, want);
	free(got);
}

/* docker port, as the reference files show it (docker-port-web*.txt). */
static void test_format_port(void **state)
{
	static const char web[] = "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]}";
	static const char many[] =
		"{\"9876/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"1234\"}],"
		"\"7890/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"4321\"}],"
		"\"10000/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"5000\"}],"
		"\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"5353\"},"
		"{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"49153\"}],\"443/tcp\":null}";

	(void)state;
	check_port(web, NULL, "80/tcp -> 0.0.0.0:8080\n");
	check_port(web, "80", "0.0.0.0:8080\n");
	check_port(web, "80/tcp", "0.0.0.0:8080\n");
	check_port(web, "80/udp", "Error: No public port '80/udp' published for web");
	check_port(web, "81", "Error: No public port '81' published for web");
	check_port(web, "http", "Error: invalid port (http)");
	check_port("{}", NULL, "");
	/* natural order: 10000 after 9876 */
	check_port(many, NULL,
		   "53/udp -> 0.0.0.0:49153\n53/udp -> 127.0.0.1:5353\n"
		   "7890/tcp -> 0.0.0.0:4321\n9876/tcp -> 0.0.0.0:1234\n"
		   "10000/tcp -> 0.0.0.0:5000\n");
	check_port(many, "53/udp", "0.0.0.0:49153\n127.0.0.1:5353\n");
	check_port(many, "443", "Error: No public port '443' published for web");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish),	       cmocka_unit_test(test_publish_twice),
		cmocka_unit_test(test_publish_errors), cmocka_unit_test(test_expose),
		cmocka_unit_test(test_resolve),	       cmocka_unit_test(test_resolve_exposed_only),
		cmocka_unit_test(test_format_ps),      cmocka_unit_test(test_format_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
