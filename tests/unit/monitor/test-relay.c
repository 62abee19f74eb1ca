#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "monitor/relay.h"
#include "util/fs.h"
#include "util/strutil.h"

/* A relay's state, exported and imported: every field, and a partial log line. */
static void test_round_trip(void **state)
{
	char path[] = "/tmp/berth-relay-XXXXXX";
	int fd = mkstemp(path);
	struct relay a, b;
	struct strbuf out = STRBUF_INIT;
	sigset_t mask;
	char *text;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	relay_init(&a);
	sigemptyset(&mask);
	a.epfd = epoll_create1(EPOLL_CLOEXEC);
	a.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	a.listen_fd = 7;
	a.out_fd = 8;
	a.pid = 4242;
	a.exited = true;
	a.exit_code = 137;
	a.stopping = true;
	a.clients[0] = (struct relay_client){.fd = 11, .output = true};
	a.clients[1] = (struct relay_client){.fd = 12, .output = false};
	a.n_clients = 2;
	a.id = "0123456789ab";
	a.root = "/var/lib/with space";
	a.runroot = "/run/x=y";
	a.exe = "/usr/bin/berth";
	a.log_path = path;
	a.log_opts = (struct logfile_opts){.max_size = 1000000, .max_files = 3};
	a.restart_count = 2;
	a.started_at = 123456789012345LL;
	a.log = logfile_open(path, &a.log_opts, NULL);
	assert_non_null(a.log);
	logfile_write(a.log, 1, "whole\nhalf \"of\" a\001", 18);
	relay_export(&a, &out);

	relay_init(&b);
	assert_int_equal(relay_import(&b, out.buf), 0);
	assert_int_equal(b.epfd, a.epfd);
	assert_int_equal(b.sigfd, a.sigfd);
	assert_int_equal(b.listen_fd, 7);
	assert_int_equal(b.out_fd, 8);
	assert_int_equal(b.err_fd, -1);
	assert_int_equal(b.in_fd, -1);
	assert_int_equal(b.pty_master, -1);
	assert_int_equal(b.pid, 4242);
	assert_true(b.exited);
	assert_int_equal(b.exit_code, 137);
	assert_true(b.stopping);
	assert_int_equal(b.n_clients, 2);
	assert_int_equal(b.clients[0].fd, 11);
	assert_true(b.clients[0].output);
	assert_int_equal(b.clients[1].fd, 12);
	assert_false(b.clients[1].output);
	assert_string_equal(b.id, a.id);
	assert_string_equal(b.root, a.root);
	assert_string_equal(b.runroot, a.runroot);
	assert_string_equal(b.exe, a.exe);
	assert_string_equal(b.log_path, path);
	assert_int_equal(b.log_opts.max_size, 1000000);
	assert_int_equal(b.log_opts.max_files, 3);
	assert_int_equal(b.restart_count, 2);
	assert_true(b.started_at == 123456789012345LL);
	assert_non_null(b.log);

	/* the partial line goes on in b's log: one entry, written once */
	logfile_write(b.log, 1, "line\n", 5);
	logfile_close(b.log);
	text = fs_read_file(path, NULL, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "{\"log\":\"whole\\n\""));
	assert_non_null(strstr(text, "{\"log\":\"half \\\"of\\\" a\\u0001line\\n\""));
	assert_null(strstr(strstr(text, "a\\u0001line") + 1, "a\\u0001"));
	free(text);
	logfile_close(a.log);
	strbuf_release(&out);
	unlink(path);
	free((char *)b.id);
	free((char *)b.root);
	free((char *)b.runroot);
	free((char *)b.exe);
	free((char *)b.log_path);
	close(a.epfd);
	close(a.sigfd);
}

static void check_bad(const char *state)
{
	struct relay r;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	struct strbuf full = STRBUF_INIT;

	/* '@' stands for an open epoll descriptor */
	for (const char *p = state; *p; p++)
		if (*p == '@')
			strbuf_addf(&full, "%d", epfd);
		else
			strbuf_addch(&full, *p);
	relay_init(&r);
	assert_int_equal(relay_import(&r, full.buf ? full.buf : ""), -1);
	strbuf_release(&full);
	close(epfd);
}

static void test_malformed(void **state)
{
	(void)state;
	check_bad("");
	check_bad("no equals sign\n");
	check_bad("fds=@ 1 2\n");
	check_bad("fds=@ @ -1 -1 -1 -1 -1\npid=0\nid=a\nroot=/\nrunroot=/\nexe=/\n");
	check_bad("fds=@ @ -1 -1 -1 -1 -1\npid=1\npid=1\nid=a\nroot=/\nrunroot=/\nexe=/\n");
	check_bad("fds=@ @ -1 -1 -1 -1 -1\npid=1\nid=a\nroot=/\nrunroot=/\n");
	check_bad("fds=@ 999 -1 -1 -1 -1 -1\npid=1\nid=a\nroot=/\nrunroot=/\nexe=/\n");
	check_bad("fds=@ @ -1 -1 -1 -1 -1\npid=1\nid=a\nroot=/\nrunroot=/\nexe=/\n"
		  "clients=4:1 x\n");
	check_bad("fds=@ @ -1 -1 -1 -1 -1\npid=1\nid=a\nroot=/\nrunroot=/\nexe=/\n"
		  "partial1=abc\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
