/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's DTMF module (control/media/dtmf.c) fed with dataplane events:
 * every digit counted once per session with its last digits (the latest 32),
 * handed to every listener in order; bad events ignored; listener limits;
 * the send and detect calls refuse bad input before the dataplane.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/api/td_dp_msg.h"
#include "media/dtmf.h"

static char heard[2][64];
static unsigned int n_heard[2];

static void
listen(void *arg, const struct dtmf_digit *d)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;
	heard[i][n_heard[i]++] = d->digit;
}

static void
feed(uint32_t session, char digit, uint8_t source)
{
	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_EVT_DTMF, 0);
	m.dtmf = (struct td_dp_evt_dtmf){
		.session = session, .call_tag = 9, .digit = digit, .source = source, .duration_ms = 100};
	dtmf_dp_event(&m);
}

static void
counts_and_listeners(void **state)
{
	(void)state;
	struct dtmf_session_info info;

	assert_false(dtmf_session_get(0x10000 | 30000, &info));
	assert_int_equal(dtmf_on_digit(listen, (void *)0), 0);
	assert_int_equal(dtmf_on_digit(listen, (void *)1), 0);
	assert_int_equal(dtmf_on_digit(listen, (void *)1), -EEXIST);
	feed(0x10000 | 30000, '1', TD_DP_DTMF_RFC4733);
	feed(0x10000 | 30000, '#', TD_DP_DTMF_INBAND);
	feed(0x10000 | 30002, '5', TD_DP_DTMF_RFC4733);
	assert_true(dtmf_session_get(0x10000 | 30000, &info));
	assert_int_equal(info.received, 2);
	assert_string_equal(info.last, "1#");
	assert_int_equal(info.last_source, TD_DP_DTMF_INBAND);
	assert_true(dtmf_session_get(0x10000 | 30002, &info));
	assert_string_equal(info.last, "5");
	/* The same port, another session (the reuse counter): nothing yet. */
	assert_false(dtmf_session_get(0x20000 | 30000, &info));
	assert_int_equal(n_heard[0], 3);
	assert_memory_equal(heard[0], "1#5", 3);
	assert_memory_equal(heard[1], "1#5", 3);

	/* Not a digit, or no session: ignored, nobody told. */
	feed(0x10000 | 30000, 'x', TD_DP_DTMF_RFC4733);
	feed(0, '1', TD_DP_DTMF_RFC4733);
	feed(0x10000 | 30000, '\0', TD_DP_DTMF_RFC4733);
	assert_int_equal(n_heard[0], 3);
	/* Other event types pass by. */
	struct td_dp_msg m;
	td_dp_msg_init(&m, TD_DP_EVT_FIRST_PACKET, 0);
	dtmf_dp_event(&m);
	assert_int_equal(n_heard[0], 3);

	assert_int_equal(dtmf_off_digit(listen, (void *)0), 0);
	assert_int_equal(dtmf_off_digit(listen, (void *)0), -ENOENT);
	feed(0x10000 | 30000, '7', TD_DP_DTMF_RFC4733);
	assert_int_equal(n_heard[0], 3);
	assert_int_equal(n_heard[1], 4);
	assert_int_equal(dtmf_off_digit(listen, (void *)1), 0);
}

static void
last_digits_wrap(void **state)
{
	(void)state;
	struct dtmf_session_info info;
	const char *keys = "0123456789*#ABCD";

	for (unsigned int i = 0; i < 40; i++)
		feed(0x30000 | 30010, keys[i % 16], TD_DP_DTMF_RFC4733);
	assert_true(dtmf_session_get(0x30000 | 30010, &info));
	assert_int_equal(info.received, 40);
	assert_int_equal(strlen(info.last), DTMF_LAST_MAX);
	assert_string_equal(info.last, "89*#ABCD0123456789*#ABCD01234567"); /* digits 8..39 */
}

static void
listener_limit(void **state)
{
	(void)state;
	for (uintptr_t i = 0; i < DTMF_LISTENERS_MAX; i++)
		assert_int_equal(dtmf_on_digit(listen, (void *)(i + 100)), 0);
	assert_int_equal(dtmf_on_digit(listen, (void *)999), -ENOSPC);
	for (uintptr_t i = 0; i < DTMF_LISTENERS_MAX; i++)
		assert_int_equal(dtmf_off_digit(listen, (void *)(i + 100)), 0);
}

static void
never_called(void *arg, int result)
{
	(void)arg;
	(void)result;
	fail();
}

static void
refused_before_the_dataplane(void **state)
{
	(void)state;
	assert_int_equal(dtmf_send(0x10000 | 30000, "", 0, never_called, NULL), -EINVAL);
	assert_int_equal(dtmf_send(0x10000 | 30000, "12x", 0, never_called, NULL), -EINVAL);
	assert_int_equal(dtmf_send(0x10000 | 30000, "123456789012345678901234567890123", 0, never_called, NULL),
			 -EINVAL);
	assert_int_equal(dtmf_send(0x10000 | 30000, "1", 39, never_called, NULL), -EINVAL);
	assert_int_equal(dtmf_send(0x10000 | 30000, "1", 2001, never_called, NULL), -EINVAL);
	/* Good input, but no dataplane attached. */
	assert_int_equal(dtmf_send(0x10000 | 30000, "1#", 100, never_called, NULL), -ENOTCONN);
	assert_int_equal(dtmf_detect(0x10000 | 30000, true, false, never_called, NULL), -ENOTCONN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_and_listeners),
		cmocka_unit_test(last_digits_wrap),
		cmocka_unit_test(listener_limit),
		cmocka_unit_test(refused_before_the_dataplane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
