/* SPDX-License-Identifier: BSD-3-Clause */
/* The R factor and MOS estimate against the E-model's known points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "control/media/quality.h"

static struct td_quality
est(uint8_t pt, double loss, double jitter, double rtt)
{
	struct td_quality q;
	struct td_quality_in in = {.pt = pt, .loss_pct = loss, .jitter_ms = jitter, .rtt_ms = rtt, .ptime_ms = 20};
	td_quality_estimate(&in, &q);
	return q;
}

static void
test_clean_g711(void **state)
{
	(void)state;
	struct td_quality q = est(8, 0, 0, 0);
	/* Id = 0.024 * 20 = 0.48: R = 92.72, MOS about 4.4 */
	assert_true(q.r > 92.7 && q.r < 92.75);
	assert_true(q.mos > 4.39 && q.mos < 4.42);
}

static void
test_loss_and_codec_lower_it(void **state)
{
	(void)state;
	struct td_quality clean = est(8, 0, 0, 0), lossy = est(8, 5, 0, 0), g729 = est(18, 0, 0, 0);
	/* 5 % loss on G.711 with PLC: Ie_eff = 95 * 5 / 30.1 = 15.78 */
	assert_true(lossy.r > 76.9 && lossy.r < 77.0);
	assert_true(lossy.mos < clean.mos);
	/* G.729 costs Ie = 11 */
	assert_true(g729.r > 81.7 && g729.r < 81.75);
}

static void
test_delay_knee(void **state)
{
	(void)state;
	struct td_quality a = est(0, 0, 0, 300), b = est(0, 0, 0, 400);
	/* one-way 170 ms: Id 4.08, below the knee; 220 ms: 5.28 + 0.11 * 42.7 */
	assert_true(a.r > 89.1 && a.r < 89.15);
	assert_true(b.r > 83.2 && b.r < 83.25);
}

static void
test_bounds(void **state)
{
	(void)state;
	struct td_quality q = est(8, 100, 500, 5000);
	assert_true(q.r == 0);
	assert_true(q.mos == 1);
	q = est(8, -3, 0, 0); /* more duplicates than losses */
	assert_true(q.r > 92.7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_g711),
		cmocka_unit_test(test_loss_and_codec_lower_it),
		cmocka_unit_test(test_delay_knee),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
