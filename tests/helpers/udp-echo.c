/*
 * udp-echo PORT: answers each UDP datagram to PORT with "echo:" and the
 * datagram, for tests of published UDP ports (busybox's nc has no -u). Static,
 * to run in a busybox rootfs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char buf[65536];
	int fd;

	if (argc != 2) {
		fputs("usage: udp-echo PORT\n", stderr);
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udp-echo");
		return 1;
	}
	memcpy(buf, "echo:", 5);
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n =
			recvfrom(fd, buf + 5, sizeof(buf) - 5, 0, (struct sockaddr *)&from, &len);
		if (n >= 0)
			sendto(fd, buf, (size_t)n + 5, 0, (struct sockaddr *)&from, len);
	}
}
