/*
 * Fuzz target for templates: parses the input both as inspect -f and as a
 * --format does, then runs it against a sample container in each mode. Any
 * failure must be an invalid-input error that reads as Go's ("template: ...")
 * and leaves the output as it was; limits keep runaway loops short.
 *
 * Built without libFuzzer (FUZZ_LIBFUZZER undefined), main() replays every
 * file of the folder argv[1] and prints TAP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>

#include "util/fs.h"
#include "util/strutil.h"
#include "util/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sample[] =
	"{\"Id\":\"abc123\",\"Name\":\"/web\",\"Created\":\"2024-01-02T03:04:05Z\","
	"\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Health\":null},"
	"\"Config\":{\"Env\":[\"A=1\",\"B=2\"],\"Labels\":{\"k\":\"v\",\"a.b\":\"c\"},"
	"\"Cmd\":null},\"Ports\":{\"80/tcp\":[{\"HostPort\":\"8080\"}]},"
	"\"L\":[1,2.5,\"s\",true,null,[],{}],\"N\":3,\"F\":0.25,\"S\":\"<x&y>\"}";

static void check_error(const char *what, const struct berth_error *err, const char *text)
{
	if (!err || !err->msg || err->kind != BERTH_ERR_INVALID ||
	    !str_has_prefix(err->msg, "template: ")) {
		fprintf(stderr, "%s failed without a template error for '%s'\n", what, text);
		abort();
	}
}

static void execute(const struct template *t, const json_t *j, enum template_exec_flags flags,
		    const char *text)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const struct template_exec_opts opts = {
		.flags = flags,
		.max_steps = 20000,
		.max_output = 1 << 16,
	};
	struct strbuf out = STRBUF_INIT;

	strbuf_addstr(&out, "kept");
	if (template_execute_opts(t, j, &opts, &out, &err) < 0) {
		check_error("execution", err, text);
		if (strcmp(out.buf, "kept") != 0) {
			fprintf(stderr, "a failed execution changed the output for '%s'\n", text);
			abort();
		}
	}
	strbuf_release(&out);
}

static void parse_and_run(const char *text, enum template_parse_flags pflags, const json_t *j)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(template_freep) struct template *t = template_parse(text, pflags, &err);

	if (!t) {
		check_error("parsing", err, text);
		return;
	}
	execute(t, j, 0, text);
	execute(t, j, TEMPLATE_EXEC_MISSING_KEY_OK, text);
	execute(t, j, TEMPLATE_EXEC_HEADER | TEMPLATE_EXEC_MISSING_KEY_OK, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = xstrndup((const char *)data, size);
	json_auto_t *j = json_loads(sample, 0, NULL);

	if (!j)
		abort();
	parse_and_run(text, 0, j);
	parse_and_run(text, TEMPLATE_PARSE_FORMATTER, j);
	return 0;
}

/* Without libFuzzer, tests/fuzz/replay.c gives the main() that replays the corpus. */
