/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tongdai-control: one event loop that serves the management socket, keeps
 * the LMDB store and the link to the dataplane. It starts with or without a
 * dataplane and outlives it.
 *
 * Usage: tongdai-control [--state-dir DIR] [--shm NAME] [--socket PATH]
 * Exit: 0 after SIGINT/SIGTERM, 1 when it cannot start, 2 for bad options.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataplane/api/td_dp_shm.h"
#include "log.h"
#include "loop.h"
#include "media/dp_link.h"
#include "mgmt/mgmt.h"
#include "store/store.h"

#define PROG	"tongdai-control"
#define TICK_MS 2

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--state-dir DIR] [--shm NAME] [--socket PATH]\n"
		   "  --state-dir DIR  LMDB, socket and lock live here (default ./state)\n"
		   "  --shm NAME       the dataplane's segment (default " TD_DP_SHM_DEFAULT ")\n"
		   "  --socket PATH    management socket (default STATE-DIR/tongdai.sock)\n"
		   "  -h, --help       this text;  --version  the version\n");
}

static void
on_tick(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	dp_link_tick();
}

static void
on_dp_event(const struct td_dp_msg *m)
{
	char a[16], b[16];
	const struct td_dp_evt_session *e = &m->sevt;
	snprintf(a, sizeof(a), "%u.%u.%u.%u", e->addr & 0xff, (e->addr >> 8) & 0xff, (e->addr >> 16) & 0xff,
		 e->addr >> 24);
	snprintf(b, sizeof(b), "%u.%u.%u.%u", e->old_addr & 0xff, (e->old_addr >> 8) & 0xff, (e->old_addr >> 16) & 0xff,
		 e->old_addr >> 24);
	switch (m->hdr.type) {
	case TD_DP_EVT_FIRST_PACKET:
		LOG_INFO("session %u (call %u): media from %s:%u", e->session, e->call_tag, a, e->port);
		break;
	case TD_DP_EVT_SOURCE_CHANGED:
		LOG_INFO("session %u (call %u): media source moved from %s:%u to %s:%u", e->session, e->call_tag, b,
			 e->old_port, a, e->port);
		break;
	case TD_DP_EVT_MEDIA_TIMEOUT:
		LOG_WARN("session %u (call %u): no media for %u ms", e->session, e->call_tag, e->idle_ms);
		break;
	default:
		break;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state-dir", required_argument, NULL, 'd'}, {"shm", required_argument, NULL, 's'},
		{"socket", required_argument, NULL, 'S'},    {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	     {NULL, 0, NULL, 0},
	};
	const char *state = "./state", *shm = TD_DP_SHM_DEFAULT, *sock = NULL;
	char path[PATH_MAX], err[512];
	int c, status = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			state = optarg;
			break;
		case 's':
			shm = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s\n", TD_VERSION);
			return 0;
		case ':':
			fprintf(stderr, PROG ": option '%s' needs a value (see --help)\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	if (shm[0] != '/' || strchr(shm + 1, '/') || strlen(shm) < 2 || strlen(shm) > 60) {
		fprintf(stderr, PROG ": bad --shm '%s' (want /name)\n", shm);
		return 2;
	}
	if (mkdir(state, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, PROG ": cannot create state folder %s: %s\n", state, strerror(errno));
		return 1;
	}
	/* One control per state folder. */
	snprintf(path, sizeof(path), "%s/control.lock", state);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", path,
			errno == EWOULDBLOCK ? "another tongdai-control uses this state folder" : strerror(errno));
		return 1;
	}
	if (td_store_open(state, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	if (sock == NULL) {
		snprintf(path, sizeof(path), "%s/tongdai.sock", state);
		sock = path;
	}
	if (td_loop_init() < 0 || td_mgmt_open(sock, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	dp_link_start(shm);
	dp_link_on_event(on_dp_event);
	int tfd = td_loop_timer_add(TICK_MS, on_tick, NULL);
	if (tfd < 0) {
		fprintf(stderr, PROG ": cannot make the tick timer: %s\n", strerror(-tfd));
		goto out;
	}
	LOG_INFO(PROG " %s: state %s, socket %s, dataplane segment %s", TD_VERSION, state, sock, shm);
	dp_link_tick();
	status = td_loop_run() < 0 ? 1 : 0;
	dp_link_stop();
out:
	td_mgmt_close();
	td_loop_fini();
	td_store_close();
	close(lock);
	return status;
}
