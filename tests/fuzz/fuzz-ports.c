/*
 * Fuzz target for the -p and --expose parsers and the formatting of
 * NetworkSettings.Ports (net/ports.h). The input's first line is a spec, the
 * rest (when it parses as JSON) a NetworkSettings.Ports to format. Besides not
 * crashing, what parses keeps the invariants below; a broken one aborts.
 *
 * Built without libFuzzer, tests/fuzz/replay.c's main() replays the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/ports.h"
#include "util/json.h"
#include "util/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _noreturn_ void broken(const char *what, const char *spec)
{
	fprintf(stderr, "%s: '%s'\n", what, spec);
	abort();
}

/* Every binding's port is exposed, and the config they make resolves. */
static void check_parsed(const char *spec, json_t *exposed, json_t *bindings)
{
	json_auto_t *config = NULL;
	_cleanup_free_ struct net_ports_mapping *m = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	const char *key;
	json_t *v;
	size_t n;

	json_object_foreach(bindings, key, v)
	{
		if (!json_object_get(exposed, key) || json_array_size(v) == 0)
			broken("a binding of a port not exposed", spec);
	}
	config = json_pack("{s:{s:O}, s:{s:O, s:b}}", "Config", "ExposedPorts", exposed,
			   "HostConfig", "PortBindings", bindings, "PublishAllPorts", 1);
	/* IPv4 host addresses only (IPv6 ones are refused by the parser) */
	if (net_ports_resolve(config, &m, &n, &err) < 0)
		broken("parsed but does not resolve", spec);
	for (size_t i = 0; i < n; i++)
		if (m[i].ctr_port == 0 || m[i].host_first > m[i].host_last)
			broken("a bad mapping", spec);
}

static void format(const char *text)
{
	json_auto_t *ports = json_loads(text, 0, NULL);
	_cleanup_free_ char *ps = NULL, *all = NULL, *one = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct berth_error *err2 = NULL;

	if (!json_is_object(ports))
		return;
	ps = net_ports_format_ps(ports);
	all = net_ports_format_port(ports, NULL, "x", &err);
	one = net_ports_format_port(ports, "80/tcp", "x", &err2);
	berth_error_free(err2);
	if (!ps || !all)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = xstrndup((const char *)data, size);
	char *nl = strchr(s, '\n');
	json_auto_t *exposed = json_object(), *bindings = json_object(), *exposed2 = json_object();
	_cleanup_error_ struct berth_error *err = NULL;
	struct berth_error *err2 = NULL;

	if (nl)
		*nl = '\0';
	if (net_ports_parse_publish(s, exposed, bindings, &err) == 0)
		check_parsed(s, exposed, bindings);
	else if (!err || err->kind != BERTH_ERR_INVALID)
		broken("failure without an invalid-input error", s);
	if (net_ports_parse_expose(s, exposed2, &err2) < 0 &&
	    (!err2 || err2->kind != BERTH_ERR_INVALID))
		broken("--expose failure without an invalid-input error", s);
	berth_error_free(err2);
	if (nl)
		format(nl + 1);
	return 0;
}

/* Without libFuzzer, tests/fuzz/replay.c gives the main() that replays the corpus. */
