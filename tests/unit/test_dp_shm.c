/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared segment: a reader attaches only to a complete segment of our
 * magic and ABI version and says which versions disagree; a stale segment is
 * replaced but a live owner's is not; counters read lock-free are consistent
 * snapshots while a writer updates them.
 */
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "td_dp_shm.h"

static char name[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(name, sizeof(name), "/td-test-shm-%d", getpid());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	shm_unlink(name);
	return 0;
}

static void
test_attach_ok(void **state)
{
	(void)state;
	struct td_dp_shm *dp = td_dp_shm_create(name, &(struct td_dp_shm_conf){3, 64, 4}), *rd;
	char err[256] = "";
	assert_non_null(dp);

	/* Not yet published: a reader waits rather than use half a segment. */
	assert_int_equal(td_dp_shm_attach(name, &rd, err, sizeof(err)), -EAGAIN);
	assert_non_null(strstr(err, "still starting"));

	td_dp_shm_publish(dp);
	assert_int_equal(td_dp_shm_attach(name, &rd, err, sizeof(err)), 0);
	assert_int_equal(rd->hdr->n_workers, 3);
	assert_int_equal(rd->hdr->generation, dp->hdr->generation);
	assert_true(td_dp_shm_is_current(rd));
	assert_true(td_dp_shm_alive(rd, 2000000000ull));

	/* Offsets, not pointers: the same ring seen at two addresses. */
	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_CMD_PING, 42);
	assert_int_equal(td_dp_msg_send(td_dp_shm_cmd_ring(rd, 2), &m), 0);
	assert_int_equal(td_dp_msg_recv(td_dp_shm_cmd_ring(dp, 2), &m), 0);
	assert_int_equal(m.hdr.req_id, 42);

	td_dp_shm_close(rd);
	td_dp_shm_close(dp);
	/* The owner leaves nothing behind. */
	assert_int_equal(td_dp_shm_attach(name, &rd, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no dataplane segment"));
}

static void
test_bad_magic_refused(void **state)
{
	(void)state;
	struct td_dp_shm *dp = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 64, 4}), *rd;
	char err[256] = "";
	assert_non_null(dp);
	td_dp_shm_publish(dp);
	dp->hdr->magic = 0x1122334455667788ull;
	assert_int_equal(td_dp_shm_attach(name, &rd, err, sizeof(err)), -EPROTO);
	assert_null(rd);
	assert_non_null(strstr(err, "0x1122334455667788"));
	assert_non_null(strstr(err, "not a tongdai dataplane segment"));
	td_dp_shm_close(dp);
}

static void
test_abi_mismatch_names_both(void **state)
{
	(void)state;
	struct td_dp_shm *dp = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 64, 4}), *rd;
	char err[256] = "", want[64];
	assert_non_null(dp);
	td_dp_shm_publish(dp);
	dp->hdr->abi_version = TD_DP_ABI_VERSION + 7;
	assert_int_equal(td_dp_shm_attach(name, &rd, err, sizeof(err)), -EPROTO);
	snprintf(want, sizeof(want), "has ABI %u", TD_DP_ABI_VERSION + 7);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "speaks ABI %u", TD_DP_ABI_VERSION);
	assert_non_null(strstr(err, want));
	td_dp_shm_close(dp);
}

static void
test_truncated_refused(void **state)
{
	(void)state;
	struct td_dp_shm *rd;
	char err[256] = "";
	int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100), 0);
	close(fd);
	assert_int_equal(td_dp_shm_attach(name, &rd, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "too small"));
}

static void
test_stale_replaced_live_kept(void **state)
{
	(void)state;
	struct td_dp_shm *a, *b, *rd;
	char err[256];

	/* A segment whose owner died is replaced, with a new generation;
	 * a reader of the old one learns it is no longer current. */
	pid_t pid = fork();
	if (pid == 0) {
		struct td_dp_shm *s = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 64, 4});
		td_dp_shm_publish(s);
		_exit(s ? 0 : 1); /* dies without closing */
	}
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(td_dp_shm_attach(name, &rd, err, sizeof(err)), 0);
	assert_false(td_dp_shm_alive(rd, 2000000000ull));
	uint64_t old_gen = rd->hdr->generation;

	a = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 64, 4});
	assert_non_null(a);
	td_dp_shm_publish(a);
	assert_int_not_equal(a->hdr->generation, old_gen);
	assert_false(td_dp_shm_is_current(rd));
	td_dp_shm_close(rd);

	/* A live owner's segment is not taken: pretend another process. */
	a->hdr->pid = getppid();
	b = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 64, 4});
	assert_null(b);
	assert_int_equal(errno, EEXIST);
	a->hdr->pid = getpid();
	td_dp_shm_close(a);
}

static void
test_bad_create_args(void **state)
{
	(void)state;
	assert_null(td_dp_shm_create("no-slash", &(struct td_dp_shm_conf){1, 64, 4}));
	assert_int_equal(errno, EINVAL);
	assert_null(td_dp_shm_create(name, &(struct td_dp_shm_conf){0, 64, 4}));
	assert_null(td_dp_shm_create(name, &(struct td_dp_shm_conf){TD_DP_MAX_WORKERS + 1, 64, 4}));
	assert_null(td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 100, 4}));
}

static volatile int writer_done;

static void *
writer(void *arg)
{
	struct td_dp_worker_stats *st = arg;
	for (uint64_t i = 1; i <= 2000000; i++) {
		td_dp_seq_begin(&st->seq);
		st->rx_pkts = i;
		st->tx_pkts = i;
		st->drops[5] = i;
		td_dp_seq_end(&st->seq);
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_stats_snapshot_consistent(void **state)
{
	(void)state;
	struct td_dp_shm *dp = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 64, 4});
	assert_non_null(dp);
	struct td_dp_worker_stats *st = td_dp_shm_stats(dp, 0), snap;
	pthread_t t;
	uint64_t reads = 0, last = 0;

	pthread_create(&t, NULL, writer, st);
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		td_dp_stats_read(st, &snap);
		assert_int_equal(snap.rx_pkts, snap.tx_pkts);
		assert_int_equal(snap.rx_pkts, snap.drops[5]);
		assert_true(snap.rx_pkts >= last); /* never goes back */
		last = snap.rx_pkts;
		reads++;
	}
	pthread_join(t, NULL);
	td_dp_stats_read(st, &snap);
	assert_int_equal(snap.rx_pkts, 2000000);
	assert_true(reads > 0);
	td_dp_shm_close(dp);
}

static void
test_stats_dead_writer_no_hang(void **state)
{
	(void)state;
	struct td_dp_shm *dp = td_dp_shm_create(name, &(struct td_dp_shm_conf){1, 64, 4});
	assert_non_null(dp);
	struct td_dp_worker_stats *st = td_dp_shm_stats(dp, 0), snap;
	/* A writer that died inside an update: seq stays odd. */
	st->rx_pkts = 77;
	st->seq = 3;
	uint64_t t0 = td_dp_now_ns();
	td_dp_stats_read(st, &snap);
	uint64_t took = td_dp_now_ns() - t0;
	assert_int_equal(snap.rx_pkts, 77);
	assert_true(took >= 900000000ull && took < 3000000000ull);
	td_dp_shm_close(dp);
}

static void
test_zombie_is_not_alive(void **state)
{
	(void)state;
	assert_true(td_dp_pid_alive(getpid()));
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	/* Not reaped yet: a zombie, which kill(pid, 0) still finds. */
	for (int i = 0; i < 100; i++) {
		if (!td_dp_pid_alive(pid))
			break;
		usleep(10000);
	}
	assert_int_equal(kill(pid, 0), 0);
	assert_false(td_dp_pid_alive(pid));
	waitpid(pid, NULL, 0);
	assert_false(td_dp_pid_alive(pid));
	assert_false(td_dp_pid_alive(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abi_mismatch_names_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_replaced_live_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_create_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_snapshot_consistent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_dead_writer_no_hang, setup, teardown),
		cmocka_unit_test(test_zombie_is_not_alive),
	};
	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
