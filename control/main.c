/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tongdai-control: one event loop that serves the management socket, keeps
 * the LMDB store and the link to the dataplane. It starts with or without a
 * dataplane and outlives it.
 *
 * Usage: tongdai-control [--state-dir DIR] [--shm NAME] [--socket PATH]
 *        [--sip-listen IP:PORT|none] [--sip-tcp IP:PORT|none]
 * Exit: 0 after SIGINT/SIGTERM (socket removed, segment released, LMDB
 * closed), 1 when it cannot start (another control holds the state folder,
 * LMDB or the socket cannot open), 2 for bad options.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc/cc_main.h"
#include "dataplane/api/td_dp_shm.h"
#include "log.h"
#include "loop.h"
#include "media/dp_link.h"
#include "media/prompt.h"
#include "media/record.h"
#include "mgmt/mgmt.h"
#include "sip/b2bua.h"
#include "sip/registrar.h"
#include "sip/trunk.h"
#include "sip/sip_auth.h"
#include "sip/sip_core.h"
#include "sip/sip_tcp.h"
#include "sip/sip_udp.h"
#include "store/store.h"
#include "store/users.h"

#define PROG	"tongdai-control"
#define TICK_MS 2

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--state-dir DIR] [--shm NAME] [--socket PATH] [--sip-listen IP:PORT|none]\n"
		   "  --state-dir DIR  LMDB, socket and lock live here (default ./state, created)\n"
		   "  --shm NAME       the dataplane's segment (default " TD_DP_SHM_DEFAULT ")\n"
		   "  --socket PATH    management socket (default STATE-DIR/tongdai.sock)\n"
		   "  --sip-listen A   SIP over UDP on IP:PORT, or none (default 0.0.0.0:5060)\n"
		   "  --sip-tcp A      SIP over TCP on IP:PORT, or none (default: as --sip-listen)\n"
		   "  --sip-digest L   digest challenges, in order: sha256,md5 (default), md5 or sha256\n"
		   "  --max-calls N    calls at once before new INVITEs get 503 (default 10000)\n"
		   "  --media-timeout S  hang up a call after S seconds without RTP (default 60)\n"
		   "  --no-call-auth   let callers call extensions without credentials (labs, benches);\n"
		   "                   calls out through a trunk still need them\n"
		   "  --sip-rate-limit N  drop requests beyond N per second from one address (default 0: off)\n"
		   "  --max-cps N      new calls per second before new INVITEs get 503 (default 0: no limit)\n"
		   "  --overload-wait-ms MS  shed new INVITEs (503) while SIP messages wait MS in the socket\n"
		   "                   queue before control reads them (default 500; 0: off)\n"
		   "  -h, --help       this text\n"
		   "  --version        the version\n");
}

/* One line on stderr, with the way to the usage; the exit status. */
static int __attribute__((format(printf, 1, 2))) bad_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '" PROG " --help')\n");
	return 2;
}

/* mkdir -p, the last component with mode 0700. */
static int
mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * One control per state folder: an exclusive flock held for the process's
 * life. The holder writes its pid into the file so that a second one can
 * say who holds it.
 */
static int
lock_state(const char *state, int *fdp)
{
	char path[PATH_MAX], pid[32] = "";
	snprintf(path, sizeof(path), "%s/control.lock", state);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		LOG_ERR("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		if (err == EWOULDBLOCK) {
			ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			LOG_ERR("another tongdai-control%s%s%s holds %s: one control per state folder",
				*pid ? " (pid " : "", pid, *pid ? ")" : "", path);
		} else {
			LOG_ERR("cannot lock %s: %s", path, strerror(err));
		}
		close(fd);
		return -err;
	}
	int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		LOG_WARN("cannot write the pid into %s: %s", path, strerror(errno));
	*fdp = fd;
	return 0;
}

static void
on_tick(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	dp_link_tick();
	prompt_tick();
	sip_core_tick();
	trunk_tick(sip_core_now_ms());
}

static void
on_dp_event(const struct td_dp_msg *m)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const struct td_dp_evt_session *e = &m->sevt;
	inet_ntop(AF_INET, &e->addr, a, sizeof(a));
	inet_ntop(AF_INET, &e->old_addr, b, sizeof(b));
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
	b2bua_dp_event(m);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state-dir", required_argument, NULL, 'd'},
		{"shm", required_argument, NULL, 's'},
		{"socket", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"sip-listen", required_argument, NULL, 'L'},
		{"sip-tcp", required_argument, NULL, 'T'},
		{"sip-digest", required_argument, NULL, 'g'},
		{"max-calls", required_argument, NULL, 'm'},
		{"media-timeout", required_argument, NULL, 't'},
		{"no-call-auth", no_argument, NULL, 'A'},
		{"sip-rate-limit", required_argument, NULL, 'r'},
		{"max-cps", required_argument, NULL, 'c'},
		{"overload-wait-ms", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	const char *state = "./state", *shm = TD_DP_SHM_DEFAULT, *sock = NULL, *sip = "0.0.0.0:5060", *sip_tcp = NULL;
	char path[PATH_MAX], err[512], *end;
	int c, ret, lock = -1, status = 1;
	struct b2bua_cfg calls = {.auth_calls = true};
	bool digest_sha256 = true, digest_md5 = true;
	uint32_t rate_limit = 0, max_cps = 0, overload_wait = 500;
	unsigned long v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
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
		case 'L':
			sip = optarg;
			break;
		case 'T':
			sip_tcp = optarg;
			break;
		case 'g':
			if (strcmp(optarg, "sha256,md5") == 0)
				digest_sha256 = digest_md5 = true;
			else if (strcmp(optarg, "md5") == 0 || strcmp(optarg, "sha256") == 0)
				digest_sha256 = !(digest_md5 = optarg[0] == 'm');
			else
				return bad_usage("bad --sip-digest '%s' (want sha256,md5, md5 or sha256)", optarg);
			break;
		case 'm':
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || optarg[0] == '-' || v > (c == 'm' ? 1000000ul : 86400ul))
				return bad_usage("bad --%s '%s' (want 1..%s)", c == 'm' ? "max-calls" : "media-timeout",
						 optarg, c == 'm' ? "1000000" : "86400");
			if (c == 'm')
				calls.max_calls = (uint32_t)v;
			else
				calls.media_timeout_s = (uint16_t)v;
			break;
		case 'A':
			calls.auth_calls = false;
			break;
		case 'r':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || optarg[0] == '\0' || v > 1000000ul)
				return bad_usage("bad --sip-rate-limit '%s' (want 0..1000000 requests per second)",
						 optarg);
			rate_limit = (uint32_t)v;
			break;
		case 'c':
		case 'w':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || optarg[0] == '\0' ||
			    v > (c == 'c' ? 100000ul : 60000ul))
				return bad_usage("bad --%s '%s' (want 0..%s)",
						 c == 'c' ? "max-cps" : "overload-wait-ms", optarg,
						 c == 'c' ? "100000 calls per second" : "60000 ms");
			if (c == 'c')
				max_cps = (uint32_t)v;
			else
				overload_wait = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s (dataplane ABI %d)\n", TD_VERSION, TD_DP_ABI_VERSION);
			return 0;
		case ':':
			return bad_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				snprintf(path, sizeof(path), "-%c", optopt);
			else
				snprintf(path, sizeof(path), "%s", argv[optind - 1]);
			return bad_usage("unknown option '%s'", path);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (shm[0] != '/' || strchr(shm + 1, '/') || strlen(shm) < 2 || strlen(shm) > 60)
		return bad_usage("bad --shm '%s' (want /name, at most 60 characters)", shm);
	if (*state == '\0')
		return bad_usage("empty --state-dir");

	ret = mkdir_p(state);
	if (ret < 0) {
		LOG_ERR("cannot create the state folder %s: %s", state, strerror(-ret));
		return 1;
	}
	if (lock_state(state, &lock) < 0)
		return 1;
	if (td_store_open(state, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		close(lock);
		return 1;
	}
	if (sock == NULL) {
		snprintf(path, sizeof(path), "%s/tongdai.sock", state);
		sock = path;
	}
	ret = td_loop_init();
	if (ret < 0) {
		LOG_ERR("cannot make the event loop: %s", strerror(-ret));
		goto out;
	}
	if (td_mgmt_open(sock, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	b2bua_configure(&calls);
	sip_auth_set_algorithms(digest_sha256, digest_md5);
	ret = sip_auth_init(NULL, 0);
	if (ret < 0) {
		LOG_ERR("cannot start digest authentication: %s", strerror(-ret));
		goto out;
	}
	if (td_users_open(err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	ret = prompt_open(err, sizeof(err));
	if (ret < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	if (ret)
		LOG_INFO("%d prompt(s), loaded when the dataplane is attached", ret);
	if (record_open(err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	ret = registrar_restore(err, sizeof(err));
	if (ret < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	if (ret)
		LOG_INFO("restored %d registration binding(s)", ret);
	ret = trunks_open(err, sizeof(err));
	if (ret < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	if (ret)
		LOG_INFO("%d SIP trunk(s)", ret);
	if (cc_start(err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	ret = b2bua_recover(err, sizeof(err));
	if (ret < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	ret = sip_core_init();
	if (ret < 0) {
		LOG_ERR("cannot start SIP: %s", strerror(-ret));
		goto out;
	}
	sip_core_set_rate_limit(rate_limit);
	sip_core_set_overload(max_cps, overload_wait);
	if (strcmp(sip, "none") != 0 && sip_udp_open(sip, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	if (sip_tcp == NULL)
		sip_tcp = sip;
	if (strcmp(sip_tcp, "none") != 0 && sip_tcp_open(sip_tcp, err, sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		goto out;
	}
	ret = td_loop_timer_add(TICK_MS, on_tick, NULL);
	if (ret < 0) {
		LOG_ERR("cannot make the tick timer: %s", strerror(-ret));
		goto out;
	}
	dp_link_on_event(on_dp_event);
	dp_link_start(shm);
	LOG_INFO(PROG " %s: state %s, socket %s, dataplane segment %s, SIP udp %s, tcp %s", TD_VERSION, state, sock,
		 shm, strcmp(sip, "none") ? sip : "off", strcmp(sip_tcp, "none") ? sip_tcp : "off");
	dp_link_tick();
	status = td_loop_run() < 0 ? 1 : 0;
	trunk_shutdown(); /* un-REGISTER while SIP can still send */
	dp_link_stop();
	prompt_close();
	LOG_INFO(PROG " stopped");
out:
	sip_tcp_close();
	sip_udp_close();
	sip_core_fini();
	td_mgmt_close();
	cc_stop();
	record_close();
	td_loop_fini();
	td_store_close();
	close(lock);
	return status;
}
