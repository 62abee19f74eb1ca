/*
 * berth's nftables rules for published ports, through libnftables (loaded
 * with dlopen on first use: linking it would cost every berth command the
 * loading of five libraries).
 *
 * Everything lives in berth's own table "ip berth"; no other table is read or
 * touched. Two base chains, ports-prerouting (traffic from elsewhere) and
 * ports-output (the host's own traffic to its non-loopback addresses), jump
 * to one chain per container, "ctr-<id12>", which holds its DNAT rules:
 *
 *   table ip berth {
 *     chain ports-prerouting { type nat hook prerouting priority -100; ...
 *       fib daddr type local jump ctr-0123456789ab }
 *     chain ports-output { type nat hook output priority -100; ...
 *       ip daddr != 127.0.0.0/8 fib daddr type local jump ctr-0123456789ab }
 *     chain ctr-0123456789ab {
 *       iifname "berth0" return            # hairpin: to the proxy
 *       iifname @bridges return            # (every bridge of berth's)
 *       tcp dport 8080 dnat to 10.88.0.2:80
 *       ip daddr 192.0.2.7 udp dport 53 dnat to 10.88.0.2:53 }
 *   }
 *
 * Loopback destinations are left alone: the kernel drops packets to 127/8
 * that DNAT would send out of lo (unless net.ipv4.conf.*.route_localnet is
 * set, which opens the host's loopback services to the network); berth-proxy
 * serves them. A container's rules go as a group: its jumps (found by their
 * handles) and its chain, in one transaction.
 *
 * NEEDSWORK: conntrack entries of UDP flows DNATed to a container outlive its
 * rules until they time out (Docker deletes them); IPv6 (table ip6) is not
 * done; a container's chain outlives a run root deleted by hand (nothing
 * collects chains whose container is gone but net_nft_ports_list()).
 */
#ifndef BERTH_NET_NFT_H
#define BERTH_NET_NFT_H

#include <netinet/in.h>
#include <stddef.h>

#include "net/ports.h"
#include "util/error.h"

#define NET_NFT_TABLE "berth"

/*
 * Adds the DNAT rules of a container (id: 64 or at least 12 hex digits) for
 * its mappings to addr, replacing any it had. bridge (or NULL): traffic coming
 * in from there is not DNATed. Mappings on a loopback host address get none.
 * comment (or NULL): its chain's, which says whose it is (the container's run
 * folder, as berth writes it).
 */
int net_nft_ports_add(const char *id, struct in_addr addr, const char *bridge, const char *comment,
		      const struct net_ports_mapping *m, size_t n, struct berth_error **err);
/* Removes them; a container without rules (or no table) is no error. */
int net_nft_ports_remove(const char *id, struct berth_error **err);
/* The 12-digit IDs of the containers that have rules; NULL-terminated, free with strv. */
int net_nft_ports_list(char ***ids, struct berth_error **err);

/*
 * Runs nft commands (one transaction) with libnftables; *out (if not NULL)
 * gets the output. The error is nft's own message.
 */
int net_nft_run(const char *cmds, char **out, struct berth_error **err);

#endif
