/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contract's rings between two processes: a parent (in control's role)
 * sends 1,000,000 commands down a worker's command ring; a forked child (in
 * the worker's role) maps the segment afresh, checks each command's request id
 * and payload, and answers each with an event. The parent checks every event
 * in order. Nothing lost, nothing reordered, nothing corrupted; neither side
 * ever calls rte_eal_init().
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "td_dp_shm.h"

#define N_MSGS 1000000ull

static void
fill(struct td_dp_msg *m, uint64_t seq)
{
	for (size_t i = 0; i < TD_DP_MSG_BODY; i++)
		m->raw[i] = (uint8_t)(seq * 31 + i);
}

static int
body_ok(const struct td_dp_msg *m, uint64_t seq)
{
	for (size_t i = 0; i < TD_DP_MSG_BODY; i++)
		if (m->raw[i] != (uint8_t)(seq * 31 + i))
			return 0;
	return 1;
}

/* The worker's side, in the child: exit status 0 only if all was in order. */
static int
child(const char *name)
{
	struct td_dp_shm *shm;
	char err[256];
	struct td_dp_msg m;
	uint64_t next = 0;

	if (td_dp_shm_attach(name, &shm, err, sizeof(err)) < 0) {
		fprintf(stderr, "child attach: %s\n", err);
		return 10;
	}
	struct rte_ring *cmd = td_dp_shm_cmd_ring(shm, 0), *evt = td_dp_shm_evt_ring(shm, 0);
	while (next < N_MSGS) {
		if (td_dp_msg_recv(cmd, &m) < 0)
			continue;
		if (m.hdr.version != TD_DP_MSG_VERSION || m.hdr.type != TD_DP_CMD_PING || m.hdr.req_id != next ||
		    !body_ok(&m, next)) {
			fprintf(stderr, "child: message %llu wrong (req_id %llu)\n", (unsigned long long)next,
				(unsigned long long)m.hdr.req_id);
			return 11;
		}
		td_dp_msg_init(&m, TD_DP_EVT_ACK, next);
		fill(&m, next ^ 0x5a5a);
		while (td_dp_msg_send(evt, &m) < 0)
			;
		next++;
	}
	td_dp_shm_close(shm);
	return 0;
}

static void
test_million_messages_two_processes(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "/td-test-ring-%d", getpid());

	struct td_dp_shm *shm = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 1024, 4});
	assert_non_null(shm);
	td_dp_shm_publish(shm);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(name));

	struct rte_ring *cmd = td_dp_shm_cmd_ring(shm, 0), *evt = td_dp_shm_evt_ring(shm, 0);
	struct td_dp_msg m;
	uint64_t sent = 0, got = 0, full = 0;
	int bad = 0;
	while (got < N_MSGS && !bad) {
		if (sent < N_MSGS) {
			td_dp_msg_init(&m, TD_DP_CMD_PING, sent);
			fill(&m, sent);
			if (td_dp_msg_send(cmd, &m) == 0)
				sent++;
			else
				full++;
		}
		while (td_dp_msg_recv(evt, &m) == 0) {
			if (m.hdr.type != TD_DP_EVT_ACK || m.hdr.req_id != got || !body_ok(&m, got ^ 0x5a5a)) {
				bad = 1;
				break;
			}
			got++;
		}
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(bad);
	assert_int_equal(got, N_MSGS);
	/* Both rings are empty at the end: nothing was duplicated. */
	assert_int_equal(td_dp_msg_recv(evt, &m), -ENOENT);
	assert_int_equal(td_dp_msg_recv(cmd, &m), -ENOENT);
	print_message("1000000 round trips, command ring full %llu times\n", (unsigned long long)full);
	td_dp_shm_close(shm);
}

static void
test_ring_full_is_reported(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "/td-test-full-%d", getpid());
	struct td_dp_shm *shm = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 8, 4});
	assert_non_null(shm);
	struct rte_ring *cmd = td_dp_shm_cmd_ring(shm, 0);
	struct td_dp_msg m;

	/* A ring of 8 slots holds 7 records; the 8th is refused, not lost. */
	for (uint64_t i = 0; i < 7; i++) {
		td_dp_msg_init(&m, TD_DP_CMD_PING, i);
		assert_int_equal(td_dp_msg_send(cmd, &m), 0);
	}
	td_dp_msg_init(&m, TD_DP_CMD_PING, 7);
	assert_int_equal(td_dp_msg_send(cmd, &m), -ENOBUFS);
	for (uint64_t i = 0; i < 7; i++) {
		assert_int_equal(td_dp_msg_recv(cmd, &m), 0);
		assert_int_equal(m.hdr.req_id, i);
	}
	assert_int_equal(td_dp_msg_recv(cmd, &m), -ENOENT);
	td_dp_shm_close(shm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_million_messages_two_processes),
		cmocka_unit_test(test_ring_full_is_reported),
	};
	alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
