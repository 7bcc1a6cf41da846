/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's link to the dataplane against a segment this test makes with
 * td_dp_shm_create() and serves itself, playing the workers: attach refuses
 * a wrong magic and another ABI (naming both versions) and a live other
 * control, takes over a dead control's claim, discards stale events; acks
 * reach their sender once; a command times out, or fails at once on a full
 * ring or without a dataplane (through the callback, never inside send); a
 * dataplane that goes away fails what is pending and the link re-attaches to
 * the next generation.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/dp_link.h"

static char name[64];
static struct td_dp_shm *dp; /* the "dataplane" side of the segment */

struct result {
	int calls;
	int err;
	bool has_ack;
	struct td_dp_msg ack;
	bool sending; /* set while inside dp_link_send */
};

static void
rec_cb(void *arg, const struct td_dp_msg *ack, int err)
{
	struct result *r = arg;
	assert_false(r->sending); /* never called from inside dp_link_send */
	r->calls++;
	r->err = err;
	r->has_ack = ack != NULL;
	if (ack)
		r->ack = *ack;
}

static int
send_ping(uint32_t worker, struct result *r, uint64_t timeout_ms)
{
	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_CMD_PING, 0);
	m.ping.cookie = 0xc0ffee;
	r->sending = true;
	int ret = dp_link_send(worker, &m, rec_cb, r, timeout_ms);
	r->sending = false;
	return ret;
}

static struct td_dp_shm *
dp_make(uint32_t workers, uint32_t ring_size, bool publish)
{
	struct td_dp_shm_conf conf = {.n_workers = workers, .ring_size = ring_size};
	struct td_dp_shm *s = td_dp_shm_create(name, &conf);
	assert_non_null(s);
	if (publish)
		td_dp_shm_publish(s);
	return s;
}

static void
dp_beat(void)
{
	if (dp)
		__atomic_store_n(&dp->hdr->heartbeat_ns, td_dp_now_ns(), __ATOMIC_RELAXED);
}

/* Play every worker: answer each command with an ack. */
static unsigned int
dp_serve(void)
{
	unsigned int n = 0;
	struct td_dp_msg m, a;
	for (uint32_t w = 0; dp && w < dp->hdr->n_workers; w++) {
		while (td_dp_msg_recv(td_dp_shm_cmd_ring(dp, w), &m) == 0) {
			assert_int_equal(m.hdr.version, TD_DP_MSG_VERSION);
			assert_int_equal(m.hdr.worker, w);
			td_dp_msg_init(&a, TD_DP_EVT_ACK, m.hdr.req_id);
			a.hdr.worker = (uint16_t)w;
			a.ack.cmd_type = m.hdr.type;
			a.ack.cookie = m.ping.cookie;
			assert_int_equal(td_dp_msg_send(td_dp_shm_evt_ring(dp, w), &a), 0);
			n++;
		}
	}
	return n;
}

static void
dp_event(uint32_t w, uint16_t type, uint64_t req_id)
{
	struct td_dp_msg m;
	td_dp_msg_init(&m, type, req_id);
	m.hdr.worker = (uint16_t)w;
	assert_int_equal(td_dp_msg_send(td_dp_shm_evt_ring(dp, w), &m), 0);
}

/* Tick the link (and keep the fake dataplane beating) for ms. */
static void
run_for(unsigned int ms)
{
	uint64_t end = td_dp_now_ns() + (uint64_t)ms * 1000000ull;
	do {
		dp_beat();
		dp_link_tick();
		usleep(1000);
	} while (td_dp_now_ns() < end);
}

/* Tick until attached (true) or ms passed (false). */
static bool
run_until_attached(unsigned int ms)
{
	uint64_t end = td_dp_now_ns() + (uint64_t)ms * 1000000ull;
	while (dp_link_shm() == NULL && td_dp_now_ns() < end) {
		dp_beat();
		dp_link_tick();
		usleep(1000);
	}
	return dp_link_shm() != NULL;
}

static pid_t
dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(name, sizeof(name), "/td-ut-link-%d", (int)getpid());
	assert_int_equal(dp_link_start(name), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dp_link_stop();
	td_dp_shm_close(dp);
	dp = NULL;
	return 0;
}

static void
test_waits_without_segment(void **state)
{
	(void)state;
	struct result r = {0};

	run_for(5);
	assert_null(dp_link_shm());
	assert_non_null(strstr(dp_link_reason(), "no dataplane segment"));

	/* Without a dataplane a command fails through its callback. */
	assert_int_equal(send_ping(0, &r, 1000), -ENOTCONN);
	assert_int_equal(r.calls, 0);
	dp_link_tick();
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, -ENOTCONN);
	assert_false(r.has_ack);
	run_for(5);
	assert_int_equal(r.calls, 1); /* exactly once */

	/* A segment still starting is waited for, then taken. */
	dp = dp_make(1, 64, false);
	run_for(600);
	assert_null(dp_link_shm());
	assert_non_null(strstr(dp_link_reason(), "still starting"));
	td_dp_shm_publish(dp);
	assert_true(run_until_attached(1000));
	assert_string_equal(dp_link_reason(), "");
}

static void
test_refuses_bad_magic(void **state)
{
	(void)state;
	dp = dp_make(1, 64, true);
	dp->hdr->magic = 0x1122334455667788ull;
	run_for(5);
	assert_null(dp_link_shm());
	assert_non_null(strstr(dp_link_reason(), "magic 0x1122334455667788"));
	char want[64];
	snprintf(want, sizeof(want), "expected 0x%016llx", (unsigned long long)TD_DP_SHM_MAGIC);
	assert_non_null(strstr(dp_link_reason(), want));
	assert_int_equal(dp->hdr->control_pid, 0); /* not claimed */

	/* Fixed, it is taken at the next attempt. */
	dp->hdr->magic = TD_DP_SHM_MAGIC;
	assert_true(run_until_attached(1000));
}

static void
test_refuses_other_abi(void **state)
{
	(void)state;
	dp = dp_make(1, 64, true);
	dp->hdr->abi_version = 99;
	run_for(5);
	assert_null(dp_link_shm());
	char want[64];
	snprintf(want, sizeof(want), "has ABI 99, this program speaks ABI %d", TD_DP_ABI_VERSION);
	assert_non_null(strstr(dp_link_reason(), want));
	assert_int_equal(dp->hdr->control_pid, 0);
}

static void
test_claim(void **state)
{
	(void)state;
	dp = dp_make(2, 64, true);

	/* A live control (our parent stands in for it) keeps its claim. */
	pid_t other = getppid();
	dp->hdr->control_pid = other;
	run_for(5);
	assert_null(dp_link_shm());
	char want[64];
	snprintf(want, sizeof(want), "another control (pid %d) is attached", (int)other);
	assert_non_null(strstr(dp_link_reason(), want));
	assert_int_equal(dp->hdr->control_pid, other);

	/* A dead one's claim is taken over. */
	pid_t dead = dead_pid();
	dp->hdr->control_pid = dead;
	assert_true(run_until_attached(1000));
	assert_int_equal(dp->hdr->control_pid, getpid());
	assert_ptr_not_equal(dp_link_shm(), NULL);
	assert_int_equal(dp_link_shm()->hdr->generation, dp->hdr->generation);

	/* Stopping releases the claim. */
	dp_link_stop();
	assert_int_equal(dp->hdr->control_pid, 0);
	assert_null(dp_link_shm());
}

static void
test_acks_and_events(void **state)
{
	(void)state;
	struct result r[3] = {{0}};
	int seen = 0;

	dp = dp_make(2, 64, true);
	/* Left over from an earlier control: must be discarded on attach. */
	dp_event(0, TD_DP_EVT_ACK, 1);
	dp_event(1, TD_DP_EVT_FIRST_PACKET, 0);
	assert_true(run_until_attached(1000));
	uint64_t fp = dp_link_events(TD_DP_EVT_FIRST_PACKET);

	assert_int_equal(send_ping(0, &r[0], 1000), 0);
	assert_int_equal(send_ping(1, &r[1], 1000), 0);
	assert_int_equal(send_ping(7, &r[2], 1000), -EINVAL); /* no such worker */
	dp_link_tick();
	assert_int_equal(r[0].calls + r[1].calls, 0); /* not answered yet */
	assert_int_equal(r[2].calls, 1);
	assert_int_equal(r[2].err, -EINVAL);

	assert_int_equal(dp_serve(), 2);
	dp_event(1, TD_DP_EVT_FIRST_PACKET, 0);
	dp_link_tick();
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].err, 0);
		assert_true(r[i].has_ack);
		assert_int_equal(r[i].ack.hdr.worker, i);
		assert_int_equal(r[i].ack.ack.cookie, 0xc0ffee);
		seen++;
	}
	assert_int_equal(seen, 2);
	assert_true(r[0].ack.hdr.req_id != r[1].ack.hdr.req_id);
	assert_int_equal(dp_link_events(TD_DP_EVT_FIRST_PACKET), fp + 1);

	struct dp_link_stats st;
	dp_link_stats_get(&st);
	assert_int_equal(st.pending, 0);
}

static void
test_timeout_and_full_ring(void **state)
{
	(void)state;
	struct result r[4] = {{0}};

	dp = dp_make(1, 4, true); /* 3 usable slots */
	assert_true(run_until_attached(1000));

	/* No answer: -ETIMEDOUT, and a late ack reaches nobody. */
	assert_int_equal(send_ping(0, &r[0], 20), 0);
	run_for(10);
	assert_int_equal(r[0].calls, 0);
	run_for(30);
	assert_int_equal(r[0].calls, 1);
	assert_int_equal(r[0].err, -ETIMEDOUT);
	struct dp_link_stats before, after;
	dp_link_stats_get(&before);
	assert_int_equal(dp_serve(), 1);
	run_for(5);
	assert_int_equal(r[0].calls, 1);
	dp_link_stats_get(&after);
	assert_int_equal(after.stray_acks, before.stray_acks + 1);

	/* The ring holds 3: the 4th fails with -ENOBUFS, through its callback. */
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		assert_int_equal(send_ping(0, &r[i], 1000), 0);
	assert_int_equal(send_ping(0, &r[3], 1000), -ENOBUFS);
	assert_int_equal(r[3].calls, 0);
	dp_link_tick();
	assert_int_equal(r[3].calls, 1);
	assert_int_equal(r[3].err, -ENOBUFS);
	assert_int_equal(dp_serve(), 3);
	dp_link_tick();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].err, 0);
	}
}

static void
test_dataplane_gone_and_back(void **state)
{
	(void)state;
	struct result r = {0};

	dp = dp_make(1, 64, true);
	assert_true(run_until_attached(1000));
	uint64_t gen1 = dp_link_shm()->hdr->generation;
	assert_int_equal(send_ping(0, &r, 5000), 0);

	/* The dataplane stops: its segment is removed. */
	td_dp_shm_close(dp);
	dp = NULL;
	run_for(300); /* one liveness check is at most 250 ms away */
	assert_null(dp_link_shm());
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, -ENOTCONN);
	assert_non_null(strstr(dp_link_reason(), "no dataplane segment")); /* waiting again */

	/* A new dataplane: a new generation, attached again. */
	usleep(1000); /* generations are start times: make them differ */
	dp = dp_make(1, 64, true);
	assert_true(run_until_attached(1000));
	assert_true(dp_link_shm()->hdr->generation != gen1);
	assert_int_equal(dp->hdr->control_pid, getpid());

	/* A dataplane that stops beating is gone too. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(send_ping(0, &r, 5000), 0);
	struct td_dp_shm *keep = dp;
	dp = NULL; /* no more heartbeats */
	keep->hdr->heartbeat_ns = td_dp_now_ns() - 3000000000ull;
	run_for(300);
	assert_null(dp_link_shm());
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, -ENOTCONN);
	assert_non_null(strstr(dp_link_reason(), "silent"));
	dp = keep;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waits_without_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_bad_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_other_abi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acks_and_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_full_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dataplane_gone_and_back, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
