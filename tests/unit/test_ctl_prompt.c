/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's prompts and playback (control/media/prompt.c) with a real LMDB
 * store in a temporary folder and a segment this test makes and serves,
 * playing a dataplane of two workers: names and paths refused by reason;
 * the registry kept across a reopen of the store with its ids; ids handed
 * out round-robin and 255 at most; every prompt loaded when the link
 * attaches, its state following the acks (frames, the file's refusal, a
 * busy dataplane retried); plays sent to the session's worker, exactly one
 * done callback each (finished, replaced, refused, dataplane lost), a done
 * event for a play someone else started left alone; deleting refused while
 * a prompt plays; a new dataplane generation gets every prompt again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/dp_link.h"
#include "media/prompt.h"
#include "store/store.h"

static char dir[64], shm_name[64];
static struct td_dp_shm *dp;

/* Commands the fake dataplane received and has not answered yet. */
static struct td_dp_msg cmds[64];
static uint32_t cmd_worker[64];
static unsigned int n_cmds;

static void
dp_beat(void)
{
	if (dp)
		__atomic_store_n(&dp->hdr->heartbeat_ns, td_dp_now_ns(), __ATOMIC_RELAXED);
}

static void
dp_collect(void)
{
	for (uint32_t w = 0; dp && w < dp->hdr->n_workers; w++)
		while (n_cmds < 64 && td_dp_msg_recv(td_dp_shm_cmd_ring(dp, w), &cmds[n_cmds]) == 0)
			cmd_worker[n_cmds++] = w;
}

/* One control tick as main.c runs it, then what reached the workers. */
static void
tick(void)
{
	dp_beat();
	dp_link_tick();
	prompt_tick();
	dp_collect();
}

static void
run_for(unsigned int ms)
{
	uint64_t end = td_dp_now_ns() + (uint64_t)ms * 1000000ull;
	do {
		tick();
		usleep(1000);
	} while (td_dp_now_ns() < end);
}

static void
dp_start(void)
{
	struct td_dp_shm_conf conf = {.n_workers = 2, .ring_size = 64};
	dp = td_dp_shm_create(shm_name, &conf);
	assert_non_null(dp);
	dp->hdr->workers[0].rtp_port_lo = 30000;
	dp->hdr->workers[0].rtp_port_hi = 30999;
	dp->hdr->workers[1].rtp_port_lo = 31000;
	dp->hdr->workers[1].rtp_port_hi = 31999;
	td_dp_shm_publish(dp);
	uint64_t end = td_dp_now_ns() + 2000000000ull;
	while (dp_link_shm() == NULL && td_dp_now_ns() < end) {
		tick();
		usleep(1000);
	}
	assert_non_null(dp_link_shm());
	tick();
}

static void
dp_stop(void)
{
	td_dp_shm_close(dp);
	dp = NULL;
	run_for(300); /* the link checks every 250 ms */
	assert_null(dp_link_shm());
	tick();
}

/* Take the first collected command of a type; fails if there is none. */
static struct td_dp_msg
take(uint16_t type, uint32_t *worker)
{
	for (unsigned int i = 0; i < n_cmds; i++)
		if (cmds[i].hdr.type == type) {
			struct td_dp_msg m = cmds[i];
			if (worker)
				*worker = cmd_worker[i];
			memmove(&cmds[i], &cmds[i + 1], (n_cmds - i - 1) * sizeof(cmds[0]));
			memmove(&cmd_worker[i], &cmd_worker[i + 1], (n_cmds - i - 1) * sizeof(cmd_worker[0]));
			n_cmds--;
			return m;
		}
	fail_msg("no command of type %u among %u", type, n_cmds);
	return cmds[0];
}

static unsigned int
count(uint16_t type)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < n_cmds; i++)
		n += cmds[i].hdr.type == type;
	return n;
}

static void
ack(const struct td_dp_msg *cmd, uint32_t w, int result, uint32_t cnt)
{
	struct td_dp_msg a;
	td_dp_msg_init(&a, TD_DP_EVT_ACK, cmd->hdr.req_id);
	a.hdr.worker = (uint16_t)w;
	a.ack.cmd_type = cmd->hdr.type;
	a.ack.result = result;
	a.ack.count = cnt;
	assert_int_equal(td_dp_msg_send(td_dp_shm_evt_ring(dp, w), &a), 0);
}

static void
done_event(uint32_t w, uint32_t session, uint32_t prompt, uint8_t why, uint32_t frames)
{
	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_EVT_PLAYBACK_DONE, 0);
	m.hdr.worker = (uint16_t)w;
	m.play_done.session = session;
	m.play_done.prompt = prompt;
	m.play_done.why = why;
	m.play_done.frames = frames;
	assert_int_equal(td_dp_msg_send(td_dp_shm_evt_ring(dp, w), &m), 0);
}

struct dones {
	int n;
	int why[8];
	uint32_t frames[8];
	uint32_t session[8];
};

static void
on_done(uint32_t session, int why, uint32_t frames, void *arg)
{
	struct dones *d = arg;
	assert_true(d->n < 8);
	d->session[d->n] = session;
	d->why[d->n] = why;
	d->frames[d->n] = frames;
	d->n++;
}

static void
on_wait(void *arg, const struct prompt_info *p)
{
	struct prompt_info *out = arg;
	*out = p ? *p : (struct prompt_info){0};
}

static void
on_stop(void *arg, int result)
{
	*(int *)arg = result;
}

static int
setup(void **state)
{
	char err[256];
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/td-prompt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(prompt_open(err, sizeof(err)), 0);
	snprintf(shm_name, sizeof(shm_name), "/td-ut-prompt-%d", (int)getpid());
	assert_int_equal(dp_link_start(shm_name), 0);
	n_cmds = 0;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	dp_link_stop();
	td_dp_shm_close(dp);
	dp = NULL;
	prompt_tick();
	prompt_close();
	td_store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
test_names_and_paths(void **state)
{
	char err[256];
	(void)state;

	assert_int_equal(prompt_add("welcome", "/srv/prompts/welcome.wav", err, sizeof(err)), 0);
	assert_true(prompt_exists("welcome"));
	assert_false(prompt_exists("other"));
	assert_int_equal(prompt_add("a-b_9", "/x.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_add("0123456789012345678901234567890", "/x.wav", err, sizeof(err)), 0); /* 31 */

	assert_int_equal(prompt_add("01234567890123456789012345678901", "/x.wav", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "1 to 31"));
	assert_int_equal(prompt_add("", "/x.wav", err, sizeof(err)), -EINVAL);
	assert_int_equal(prompt_add("Welcome", "/x.wav", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad character 'W'"));
	assert_int_equal(prompt_add("a b", "/x.wav", err, sizeof(err)), -EINVAL);
	assert_int_equal(prompt_add("a.b", "/x.wav", err, sizeof(err)), -EINVAL);
	assert_int_equal(prompt_add("busy", "/x.wav", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tone"));
	assert_int_equal(prompt_add("ringback", "/x.wav", err, sizeof(err)), -EINVAL);
	assert_int_equal(prompt_add("rel", "prompts/x.wav", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "absolute"));
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[TD_DP_PROMPT_PATH_MAX] = '\0'; /* 108 characters: no room for the NUL */
	assert_int_equal(prompt_add("long", longp, err, sizeof(err)), -EINVAL);
	longp[TD_DP_PROMPT_PATH_MAX - 1] = '\0';
	assert_int_equal(prompt_add("long", longp, err, sizeof(err)), 0);
	assert_int_equal(prompt_add("ctl", "/a\nb.wav", err, sizeof(err)), -EINVAL);

	assert_int_equal(prompt_add("welcome", "/other.wav", err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists"));
	assert_int_equal(prompt_del("nothing", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no prompt nothing"));
	assert_true(prompt_exists("long"));

	/* Not the tones' names, nor anything unknown, plays without a dataplane. */
	struct dones d = {0};
	assert_int_equal(play_start(30000, "nothing", false, on_done, &d), -ENOENT);
	assert_int_equal(play_start(30000, "welcome", false, on_done, &d), -EAGAIN); /* waiting */
	assert_int_equal(play_start(30000, "busy", false, on_done, &d), -ENOTCONN);
	assert_int_equal(play_stop(30000, NULL, NULL), -ENOTCONN);
	assert_int_equal(d.n, 0);
}

static int
collect_names(const struct prompt_info *p, void *arg)
{
	char *out = arg;
	strcat(out, p->name);
	strcat(out, " ");
	return 0;
}

static void
test_persistence_and_ids(void **state)
{
	char err[256], names[512] = "";
	struct prompt_info a, b, c;
	(void)state;

	assert_int_equal(prompt_add("zeta", "/p/zeta.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_add("alpha", "/p/alpha.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_add("mid", "/p/mid.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_get("zeta", &a), 0);
	assert_int_equal(a.id, 1);
	assert_int_equal(prompt_get("mid", &c), 0);
	assert_int_equal(c.id, 3);
	assert_int_equal(prompt_del("alpha", err, sizeof(err)), 0);
	/* An id just given back rests: the next one is new. */
	assert_int_equal(prompt_add("beta", "/p/beta.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_get("beta", &b), 0);
	assert_int_equal(b.id, 4);

	/* Control restarts: the registry comes back from LMDB as it was. */
	prompt_close();
	assert_false(prompt_exists("zeta"));
	td_store_close();
	assert_int_equal(td_store_open(dir, err, sizeof(err)), 0);
	assert_int_equal(prompt_open(err, sizeof(err)), 3);
	prompt_foreach(collect_names, names);
	assert_string_equal(names, "beta mid zeta ");
	assert_int_equal(prompt_get("zeta", &a), 0);
	assert_int_equal(a.id, 1);
	assert_string_equal(a.path, "/p/zeta.wav");
	assert_int_equal(a.state, PROMPT_WAITING);
	assert_true(a.added > 0);
	assert_int_equal(prompt_get("beta", &b), 0);
	assert_int_equal(b.id, 4);
	assert_int_equal(prompt_get("alpha", &a), -ENOENT);
	assert_int_equal(prompt_add("gamma", "/p/g.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_get("gamma", &c), 0);
	assert_int_equal(c.id, 5);

	/* 255 at most; then ids wrap round to the free ones. */
	for (int i = 0; i < 251; i++) {
		char n[16];
		snprintf(n, sizeof(n), "p%d", i);
		assert_int_equal(prompt_add(n, "/p/x.wav", err, sizeof(err)), 0);
	}
	assert_int_equal(prompt_add("onemore", "/p/x.wav", err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "255"));
	assert_int_equal(prompt_del("mid", err, sizeof(err)), 0);
	assert_int_equal(prompt_add("onemore", "/p/x.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_get("onemore", &c), 0);
	assert_int_equal(c.id, 3);
}

static void
test_load_and_play(void **state)
{
	char err[256];
	struct prompt_info pi, waited = {0};
	struct dones d1 = {0}, d2 = {0}, d3 = {0};
	uint32_t w;
	(void)state;

	assert_int_equal(prompt_add("hello", "/p/hello.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_add("broken", "/p/broken.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_wait("hello", on_wait, &waited), 0);
	assert_int_equal(waited.id, 1); /* not loading: answered at once */

	/* The link attaches: both prompts are loaded, through worker 0. */
	dp_start();
	assert_int_equal(count(TD_DP_CMD_PROMPT_LOAD), 2);
	assert_int_equal(prompt_get("hello", &pi), 0);
	assert_int_equal(pi.state, PROMPT_LOADING);
	memset(&waited, 0, sizeof(waited));
	assert_int_equal(prompt_wait("hello", on_wait, &waited), 0);
	assert_int_equal(waited.id, 0); /* still loading */
	struct td_dp_msg lh = take(TD_DP_CMD_PROMPT_LOAD, &w);
	assert_int_equal(w, 0);
	assert_int_equal(lh.prompt_load.prompt, 1);
	assert_string_equal(lh.prompt_load.path, "/p/hello.wav");
	struct td_dp_msg lb = take(TD_DP_CMD_PROMPT_LOAD, &w);
	assert_int_equal(lb.prompt_load.prompt, 2);
	ack(&lh, 0, 0, 150);
	ack(&lb, 0, -EBADMSG, 0);
	tick();
	assert_int_equal(waited.state, PROMPT_LOADED);
	assert_int_equal(waited.frames, 150);
	assert_int_equal(prompt_get("broken", &pi), 0);
	assert_int_equal(pi.state, PROMPT_FAILED);
	assert_int_equal(pi.error, -EBADMSG);
	assert_string_equal(prompt_strerror(pi.error), "not a WAV file");

	/* A busy dataplane is asked again. */
	assert_int_equal(prompt_add("later", "/p/later.wav", err, sizeof(err)), 0);
	tick();
	struct td_dp_msg ll = take(TD_DP_CMD_PROMPT_LOAD, NULL);
	ack(&ll, 0, -EBUSY, 0);
	run_for(50);
	assert_int_equal(count(TD_DP_CMD_PROMPT_LOAD), 0);
	run_for(250);
	ll = take(TD_DP_CMD_PROMPT_LOAD, NULL);
	assert_int_equal(ll.prompt_load.prompt, 3);
	ack(&ll, 0, 0, 10);
	tick();
	assert_int_equal(prompt_get("later", &pi), 0);
	assert_int_equal(pi.state, PROMPT_LOADED);

	/* Refusals before the dataplane. */
	assert_int_equal(play_start(31002, "broken", false, on_done, &d1), -EAGAIN);
	assert_int_equal(play_start(40000, "hello", false, on_done, &d1), -ESRCH);

	/* A play goes to the session's worker, and ends once. */
	assert_int_equal(play_start(31002, "hello", false, on_done, &d1), 0);
	tick();
	struct td_dp_msg p1 = take(TD_DP_CMD_PLAY, &w);
	assert_int_equal(w, 1);
	assert_int_equal(p1.play.session, 31002);
	assert_int_equal(p1.play.prompt, 1);
	assert_int_equal(p1.play.tone, 0);
	assert_int_equal(p1.play.flags, 0);
	assert_int_equal(prompt_get("hello", &pi), 0);
	assert_int_equal(pi.plays, 1);
	assert_int_equal(prompt_del("hello", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "playing on 1 session"));
	ack(&p1, 1, 0, 0);
	tick();
	struct play_info info;
	assert_true(play_session_get(31002, &info));
	assert_true(info.started);
	assert_string_equal(info.what, "hello");
	assert_false(info.loop);
	done_event(1, 31002, 1, TD_DP_PLAY_FINISHED, 150);
	done_event(1, 31002, 1, TD_DP_PLAY_FINISHED, 150); /* a stray second one */
	tick();
	assert_int_equal(d1.n, 1);
	assert_int_equal(d1.why[0], TD_DP_PLAY_FINISHED);
	assert_int_equal(d1.frames[0], 150);
	assert_false(play_session_get(31002, &info));
	int why;
	uint32_t frames;
	uint64_t at;
	char what[32];
	assert_true(play_last_done(31002, &why, &frames, what, sizeof(what), &at));
	assert_int_equal(why, TD_DP_PLAY_FINISHED);
	assert_string_equal(what, "hello");
	assert_int_equal(prompt_get("hello", &pi), 0);
	assert_int_equal(pi.plays, 0);

	/* Someone else's play ends while ours is not acked yet: not ours. A
	 * new play replaces ours: REPLACED comes before the new one's ack. */
	memset(&d1, 0, sizeof(d1));
	assert_int_equal(play_start(30004, "ringback", true, on_done, &d1), 0);
	tick();
	p1 = take(TD_DP_CMD_PLAY, &w);
	assert_int_equal(w, 0);
	assert_int_equal(p1.play.prompt, 0);
	assert_int_equal(p1.play.tone, TD_DP_TONE_RINGBACK);
	assert_int_equal(p1.play.flags, TD_DP_PLAY_LOOP);
	done_event(0, 30004, 0, TD_DP_PLAY_REPLACED, 7); /* the B2BUA's ringback */
	ack(&p1, 0, 0, 0);
	tick();
	assert_int_equal(d1.n, 0);
	assert_int_equal(play_start(30004, "hello", false, on_done, &d2), 0);
	tick();
	struct td_dp_msg p2 = take(TD_DP_CMD_PLAY, NULL);
	done_event(0, 30004, 0, TD_DP_PLAY_REPLACED, 40);
	ack(&p2, 0, 0, 0);
	tick();
	assert_int_equal(d1.n, 1);
	assert_int_equal(d1.why[0], TD_DP_PLAY_REPLACED);
	assert_int_equal(d1.frames[0], 40);
	assert_int_equal(d2.n, 0);
	assert_true(play_session_get(30004, &info));
	assert_string_equal(info.what, "hello");

	/* A refused play ends at once with the refusal. */
	assert_int_equal(play_start(30006, "hello", false, on_done, &d3), 0);
	tick();
	struct td_dp_msg p3 = take(TD_DP_CMD_PLAY, NULL);
	ack(&p3, 0, -EINVAL, 0);
	tick();
	assert_int_equal(d3.n, 1);
	assert_int_equal(d3.why[0], -EINVAL);

	/* Stop: the worker's answer comes back, the done event ends the play. */
	int stop_res = 1;
	assert_int_equal(play_stop(30004, on_stop, &stop_res), 0);
	tick();
	struct td_dp_msg s1 = take(TD_DP_CMD_PLAY_STOP, &w);
	assert_int_equal(s1.play.session, 30004);
	done_event(0, 30004, 1, TD_DP_PLAY_STOPPED, 12);
	ack(&s1, 0, 0, 0);
	tick();
	assert_int_equal(stop_res, 0);
	assert_int_equal(d2.n, 1);
	assert_int_equal(d2.why[0], TD_DP_PLAY_STOPPED);
	assert_int_equal(play_stop(30004, on_stop, &stop_res), 0);
	tick();
	s1 = take(TD_DP_CMD_PLAY_STOP, NULL);
	ack(&s1, 0, -EALREADY, 0);
	tick();
	assert_int_equal(stop_res, -EALREADY);

	/* The dataplane goes away mid-play: the play ends, prompts wait. */
	memset(&d2, 0, sizeof(d2));
	assert_int_equal(play_start(30008, "hello", true, on_done, &d2), 0);
	tick();
	p2 = take(TD_DP_CMD_PLAY, NULL);
	ack(&p2, 0, 0, 0);
	tick();
	assert_int_equal(play_count(), 1);
	n_cmds = 0;
	dp_stop();
	assert_int_equal(d2.n, 1);
	assert_int_equal(d2.why[0], -ENOTCONN);
	assert_int_equal(play_count(), 0);
	assert_int_equal(prompt_get("hello", &pi), 0);
	assert_int_equal(pi.state, PROMPT_WAITING);
	assert_int_equal(pi.plays, 0);

	/* A new dataplane gets every prompt again, the failed one too. */
	usleep(1000);
	dp_start();
	assert_int_equal(count(TD_DP_CMD_PROMPT_LOAD), 3);
	for (int i = 0; i < 3; i++) {
		struct td_dp_msg l = take(TD_DP_CMD_PROMPT_LOAD, NULL);
		ack(&l, 0, 0, 100);
	}
	tick();
	assert_int_equal(prompt_get("broken", &pi), 0);
	assert_int_equal(pi.state, PROMPT_LOADED);

	/* Deleting a loaded prompt unloads it from the dataplane. */
	assert_int_equal(prompt_del("hello", err, sizeof(err)), 0);
	tick();
	struct td_dp_msg u = take(TD_DP_CMD_PROMPT_UNLOAD, &w);
	assert_int_equal(u.prompt_load.prompt, 1);
	ack(&u, 0, 0, 0);
	tick();
	assert_false(prompt_exists("hello"));

	/* Control stops: a play still going gets its one callback. */
	memset(&d2, 0, sizeof(d2));
	assert_int_equal(play_start(30010, "busy", true, on_done, &d2), 0);
	tick();
	p2 = take(TD_DP_CMD_PLAY, NULL);
	ack(&p2, 0, 0, 0);
	tick();
	assert_int_equal(d2.n, 0);
	dp_link_stop();
	prompt_close();
	assert_int_equal(d2.n, 1);
	assert_int_equal(d2.why[0], -ENOTCONN);
	assert_int_equal(play_count(), 0);
}

/* A load cut short by the dataplane going away still answers its waiter. */
static void
test_wait_dataplane_lost(void **state)
{
	char err[256];
	struct prompt_info waited = {.id = 99};
	(void)state;

	dp_start();
	assert_int_equal(prompt_add("slow", "/p/slow.wav", err, sizeof(err)), 0);
	assert_int_equal(prompt_wait("slow", on_wait, &waited), 0);
	tick();
	assert_int_equal(count(TD_DP_CMD_PROMPT_LOAD), 1);
	assert_int_equal(waited.id, 99);
	dp_stop();
	assert_int_equal(waited.id, 1);
	assert_int_equal(waited.state, PROMPT_WAITING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names_and_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence_and_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_and_play, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_dataplane_lost, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
