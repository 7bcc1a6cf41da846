/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conference mixer (dataplane/conf/conf_mix.c) with a distinct tone per
 * participant, checked by Goertzel analysis of what each participant
 * receives: mix-minus, whisper to exactly its target, listen-only and
 * muted heard by nobody, role changes; saturation; joins, leaves and role
 * changes without a step; active-talker detection with hangover; bad input.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/conf/conf_mix.h"

#define RATE	   16000
#define FRAME	   320
#define AMP	   8000.0
#define PRESENT	   (AMP / 2) /* a tone heard is at full amplitude; the window is whole periods */
#define ABSENT	   (AMP / 1000)
#define ARENA_SIZE (512 * 1024)
#define PARTS	   8

static _Alignas(64) uint8_t arena[ARENA_SIZE];
static const double tone_hz[PARTS] = {500, 900, 1300, 1700, 2100, 2500, 2900, 3300};
static uint64_t clock_pos; /* samples since the start of the test: tones keep their phase */

static struct td_conf_mix *
mix_make(uint16_t max_parts)
{
	struct td_conf_mix_cfg cfg = {.rate = RATE, .max_parts = max_parts};
	size_t size = td_conf_mix_size(&cfg);
	assert_true(size > 0 && size <= sizeof(arena));
	memset(arena, 0xa5, size); /* init must not rely on zeroed memory */
	assert_int_equal(td_conf_mix_init(arena, size, &cfg), 0);
	struct td_conf_mix *m = (struct td_conf_mix *)arena;
	assert_int_equal(td_conf_mix_frame(m), FRAME);
	clock_pos = 0;
	return m;
}

static void
tone(int16_t *pcm, double hz, double amp)
{
	for (int i = 0; i < FRAME; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2 * M_PI * hz * (double)(clock_pos + i) / RATE));
}

/* Amplitude of the hz component of x (whole periods in the window: no leakage). */
static double
goertzel(const int16_t *x, int n, double hz)
{
	double w = 2 * M_PI * hz / RATE, c = 2 * cos(w), s1 = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double power = s1 * s1 + s2 * s2 - c * s1 * s2;
	return 2 * sqrt(power > 0 ? power : 0) / n;
}

/*
 * One frame: participant idx[i] sends tone i (or nothing when idx[i] < 0),
 * then every participant's output is kept in out[idx].
 */
static unsigned int
frame_run(struct td_conf_mix *m, const int *idx, int n, int16_t out[][FRAME])
{
	int16_t pcm[FRAME];
	for (int i = 0; i < n; i++) {
		if (idx[i] < 0)
			continue;
		tone(pcm, tone_hz[i], AMP);
		assert_int_equal(td_conf_mix_put(m, idx[i], pcm, FRAME), 0);
	}
	unsigned int changes = td_conf_mix_run(m);
	clock_pos += FRAME;
	for (int i = 0; i < n; i++) {
		if (idx[i] < 0)
			continue;
		const int16_t *o = td_conf_mix_output(m, idx[i]);
		assert_non_null(o);
		memcpy(out[idx[i]], o, sizeof(out[0]));
	}
	return changes;
}

/* hears[r][s]: whether participant r must hear participant s's tone. */
static void
assert_hearing(int16_t out[][FRAME], const int *idx, int n, bool hears[][PARTS])
{
	for (int r = 0; r < n; r++) {
		for (int s = 0; s < n; s++) {
			double a = goertzel(out[idx[r]], FRAME, tone_hz[s]);
			if (hears[r][s]) {
				if (a < PRESENT)
					fail_msg("participant %d hears %d at %.1f, expected ~%.0f", r, s, a, AMP);
			} else if (a > ABSENT) {
				fail_msg("participant %d hears %d at %.1f, expected nothing", r, s, a);
			}
		}
	}
}

static void
test_mix_minus(void **state)
{
	(void)state;
	struct td_conf_mix *m = mix_make(PARTS);
	int idx[5];
	for (int i = 0; i < 5; i++)
		assert_int_equal(idx[i] = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0), i);
	assert_int_equal(td_conf_mix_count(m), 5);
	int16_t out[PARTS][FRAME];
	frame_run(m, idx, 5, out); /* join ramp */
	bool hears[PARTS][PARTS];
	for (int r = 0; r < 5; r++)
		for (int s = 0; s < 5; s++)
			hears[r][s] = r != s;
	for (int f = 0; f < 5; f++) {
		frame_run(m, idx, 5, out);
		assert_hearing(out, idx, 5, hears);
	}
	/* Exactly the others' sum: nothing of oneself, nothing scaled. */
	int16_t pcm[FRAME];
	int32_t want[FRAME] = {0};
	for (int s = 1; s < 5; s++) {
		tone(pcm, tone_hz[s], AMP);
		for (int k = 0; k < FRAME; k++)
			want[k] += pcm[k];
	}
	frame_run(m, idx, 5, out);
	for (int k = 0; k < FRAME; k++)
		assert_int_equal(out[idx[0]][k], want[k] > INT16_MAX   ? INT16_MAX
						 : want[k] < INT16_MIN ? INT16_MIN
								       : want[k]);
}

static void
test_whisper_listen_muted(void **state)
{
	(void)state;
	struct td_conf_mix *m = mix_make(PARTS);
	/* 0, 1 speakers; 2 whispers to 1; 3 listen-only; 4 muted. */
	int idx[5];
	idx[0] = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	idx[1] = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	idx[2] = td_conf_mix_join(m, TD_CONF_ROLE_WHISPER, idx[1]);
	idx[3] = td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0);
	idx[4] = td_conf_mix_join(m, TD_CONF_ROLE_MUTED, 0);
	for (int i = 0; i < 5; i++)
		assert_true(idx[i] >= 0);
	enum td_conf_role role;
	int target;
	assert_int_equal(td_conf_mix_get_role(m, idx[2], &role, &target), 0);
	assert_int_equal(role, TD_CONF_ROLE_WHISPER);
	assert_int_equal(target, idx[1]);

	int16_t out[PARTS][FRAME];
	frame_run(m, idx, 5, out);
	bool hears[PARTS][PARTS] = {
		{false, true, false, false, false}, /* 0: not the whisper */
		{true, false, true, false, false},  /* 1: the whisper reaches it */
		{true, true, false, false, false},  /* 2: the whisperer hears the speakers */
		{true, true, false, false, false},  /* 3: listen-only hears the speakers */
		{true, true, false, false, false},  /* 4: muted hears the speakers */
	};
	for (int f = 0; f < 4; f++) {
		frame_run(m, idx, 5, out);
		assert_hearing(out, idx, 5, hears);
	}

	/* Whisper moves to 0: one frame fading out of 1, one fading into 0, then settled. */
	assert_int_equal(td_conf_mix_role(m, idx[2], TD_CONF_ROLE_WHISPER, idx[0]), 0);
	frame_run(m, idx, 5, out);
	assert_true(goertzel(out[idx[0]], FRAME, tone_hz[2]) < ABSENT);
	frame_run(m, idx, 5, out);
	assert_true(goertzel(out[idx[1]], FRAME, tone_hz[2]) < ABSENT);
	hears[0][2] = true;
	hears[1][2] = false;
	for (int f = 0; f < 3; f++) {
		frame_run(m, idx, 5, out);
		assert_hearing(out, idx, 5, hears);
	}

	/* Roles swap: 3 speaks, 1 listens, 4 unmuted, 2 speaks aloud. */
	assert_int_equal(td_conf_mix_role(m, idx[3], TD_CONF_ROLE_SPEAKER, 0), 0);
	assert_int_equal(td_conf_mix_role(m, idx[1], TD_CONF_ROLE_LISTEN, 0), 0);
	assert_int_equal(td_conf_mix_role(m, idx[4], TD_CONF_ROLE_SPEAKER, 0), 0);
	assert_int_equal(td_conf_mix_role(m, idx[2], TD_CONF_ROLE_SPEAKER, 0), 0);
	frame_run(m, idx, 5, out); /* ramps */
	bool hears2[PARTS][PARTS];
	for (int r = 0; r < 5; r++)
		for (int s = 0; s < 5; s++)
			hears2[r][s] = r != s && s != 1;
	for (int f = 0; f < 3; f++) {
		frame_run(m, idx, 5, out);
		assert_hearing(out, idx, 5, hears2);
	}

	/* The whisper's target leaves: the whisper goes nowhere, nobody else hears it. */
	assert_int_equal(td_conf_mix_role(m, idx[2], TD_CONF_ROLE_WHISPER, idx[4]), 0);
	for (int f = 0; f < 3; f++)
		frame_run(m, idx, 5, out);
	assert_true(goertzel(out[idx[4]], FRAME, tone_hz[2]) > PRESENT);
	assert_int_equal(td_conf_mix_leave(m, idx[4]), 0);
	int idx4[4] = {idx[0], idx[1], idx[2], idx[3]};
	for (int f = 0; f < 3; f++) {
		frame_run(m, idx4, 4, out);
		for (int r = 0; r < 4; r++)
			assert_true(goertzel(out[idx4[r]], FRAME, tone_hz[2]) < ABSENT);
	}
	assert_int_equal(td_conf_mix_get_role(m, idx[2], &role, &target), 0);
	assert_int_equal(target, TD_CONF_MIX_NO_TARGET);
}

static void
test_saturation(void **state)
{
	(void)state;
	struct td_conf_mix *m = mix_make(4);
	int a = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	int b = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	int c = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	int16_t hi[FRAME], lo[FRAME];
	for (int k = 0; k < FRAME; k++) {
		hi[k] = (k & 32) ? INT16_MIN : INT16_MAX;
		lo[k] = (k & 32) ? -30000 : 30000;
	}
	for (int f = 0; f < 3; f++) {
		assert_int_equal(td_conf_mix_put(m, a, hi, FRAME), 0);
		assert_int_equal(td_conf_mix_put(m, b, lo, FRAME), 0);
		assert_int_equal(td_conf_mix_put(m, c, hi, FRAME), 0);
		td_conf_mix_run(m);
	}
	/* c hears a + b, far beyond 16 bits: clamped, never wrapped to the other sign. */
	const int16_t *o = td_conf_mix_output(m, c);
	for (int k = 0; k < FRAME; k++)
		assert_int_equal(o[k], (k & 32) ? INT16_MIN : INT16_MAX);
	/* a hears b + c: the same; removing a's own voice happened before the clamp. */
	o = td_conf_mix_output(m, a);
	for (int k = 0; k < FRAME; k++)
		assert_int_equal(o[k], (k & 32) ? INT16_MIN : INT16_MAX);
}

/* Largest step between neighbouring samples, across the previous frame's last sample too. */
static int
max_step(const int16_t *x, int16_t *last)
{
	int m = abs(x[0] - *last);
	for (int k = 1; k < FRAME; k++)
		if (abs(x[k] - x[k - 1]) > m)
			m = abs(x[k] - x[k - 1]);
	*last = x[FRAME - 1];
	return m;
}

static void
test_no_clicks(void **state)
{
	(void)state;
	struct td_conf_mix *m = mix_make(4);
	const int16_t level = 12000; /* a constant input: any step in a ramp shows */
	const int bound = level / FRAME + 2;
	int16_t dc[FRAME];
	for (int k = 0; k < FRAME; k++)
		dc[k] = level;
	int ear = td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0);
	int16_t last = 0;

	/* Before anyone speaks: silence. */
	td_conf_mix_run(m);
	assert_int_equal(max_step(td_conf_mix_output(m, ear), &last), 0);
	assert_int_equal(last, 0);

	int s = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	/* Join: a ramp over the first frame, then the level. */
	const int16_t *o;
	for (int f = 0; f < 3; f++) {
		assert_int_equal(td_conf_mix_put(m, s, dc, FRAME), 0);
		td_conf_mix_run(m);
		o = td_conf_mix_output(m, ear);
		assert_true(max_step(o, &last) <= bound);
	}
	assert_int_equal(o[0], level);
	/* Mute, unmute, listen-only, whisper elsewhere and back: every change a ramp. */
	int other = td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0);
	const struct {
		enum td_conf_role role;
		int target;
		int16_t settled;
	} steps[] = {
		{TD_CONF_ROLE_MUTED, 0, 0},	  {TD_CONF_ROLE_SPEAKER, 0, level},
		{TD_CONF_ROLE_LISTEN, 0, 0},	  {TD_CONF_ROLE_WHISPER, ear, level},
		{TD_CONF_ROLE_WHISPER, other, 0}, {TD_CONF_ROLE_WHISPER, ear, level},
		{TD_CONF_ROLE_SPEAKER, 0, level},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(td_conf_mix_role(m, s, steps[i].role, steps[i].target), 0);
		for (int f = 0; f < 3; f++) {
			assert_int_equal(td_conf_mix_put(m, s, dc, FRAME), 0);
			td_conf_mix_run(m);
			o = td_conf_mix_output(m, ear);
			if (max_step(o, &last) > bound)
				fail_msg("step %zu frame %d: a step above %d", i, f, bound);
		}
		assert_int_equal(o[FRAME - 1], steps[i].settled);
	}
	/* Leave: faded out over the next frame, then nothing and the slot is free. */
	assert_int_equal(td_conf_mix_leave(m, s), 0);
	assert_null(td_conf_mix_output(m, s));
	assert_int_equal(td_conf_mix_put(m, s, dc, FRAME), 0); /* its last frame, faded out */
	td_conf_mix_run(m);
	assert_int_equal(td_conf_mix_put(m, s, dc, FRAME), -ENOENT);
	o = td_conf_mix_output(m, ear);
	assert_true(max_step(o, &last) <= bound);
	assert_true(o[0] > level - bound - 1 && o[0] < level);
	assert_int_equal(o[FRAME - 1], 0);
	/* A newcomer hears the conference ramp in too. */
	int late = td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0);
	assert_int_equal(late, s); /* the slot was reused */
	int s2 = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	for (int f = 0; f < 2; f++) {
		assert_int_equal(td_conf_mix_put(m, s2, dc, FRAME), 0);
		td_conf_mix_run(m);
	}
	assert_int_equal(td_conf_mix_output(m, late)[FRAME - 1], level);
	assert_int_equal(td_conf_mix_leave(m, other), 0);
	assert_int_equal(td_conf_mix_put(m, s2, dc, FRAME), 0);
	td_conf_mix_run(m);
	int late2 = td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0);
	assert_int_equal(late2, other);
	assert_int_equal(td_conf_mix_put(m, s2, dc, FRAME), 0);
	td_conf_mix_run(m);
	last = 0;
	assert_true(max_step(td_conf_mix_output(m, late2), &last) <= bound);
	assert_int_equal(last, level);
}

static void
test_talker(void **state)
{
	(void)state;
	struct td_conf_mix *m = mix_make(4);
	int a = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	int b = td_conf_mix_join(m, TD_CONF_ROLE_MUTED, 0);
	int16_t loud[FRAME], quiet[FRAME], zero[FRAME] = {0};
	tone(loud, 500, 3000); /* about -21 dBov */
	tone(quiet, 500, 100); /* about -51 dBov: below the default -40 */
	bool changed;

	assert_int_equal(td_conf_mix_put(m, a, quiet, FRAME), 0);
	assert_int_equal(td_conf_mix_run(m), 0);
	assert_false(td_conf_mix_talking(m, a, &changed));
	assert_false(changed);

	/* Talking from the first loud frame, muted or not. */
	assert_int_equal(td_conf_mix_put(m, a, loud, FRAME), 0);
	assert_int_equal(td_conf_mix_put(m, b, loud, FRAME), 0);
	assert_int_equal(td_conf_mix_run(m), 2);
	assert_true(td_conf_mix_talking(m, a, &changed));
	assert_true(changed);
	assert_true(td_conf_mix_talking(m, b, &changed));

	/* a goes quiet: still talking for HANGOVER - 1 frames, then not; once reported. */
	for (int f = 1; f < TD_CONF_MIX_HANGOVER; f++) {
		assert_int_equal(td_conf_mix_put(m, a, f & 1 ? zero : quiet, FRAME), 0);
		assert_int_equal(td_conf_mix_put(m, b, loud, FRAME), 0);
		assert_int_equal(td_conf_mix_run(m), 0);
		assert_true(td_conf_mix_talking(m, a, &changed));
		assert_false(changed);
	}
	assert_int_equal(td_conf_mix_put(m, b, loud, FRAME), 0);
	assert_int_equal(td_conf_mix_run(m), 1); /* no input at all counts as quiet */
	assert_false(td_conf_mix_talking(m, a, &changed));
	assert_true(changed);
	assert_true(td_conf_mix_talking(m, b, &changed));
	assert_false(changed);

	/* A loud frame inside the hangover restarts it. */
	assert_int_equal(td_conf_mix_put(m, a, loud, FRAME), 0);
	td_conf_mix_run(m);
	for (int f = 0; f < TD_CONF_MIX_HANGOVER - 2; f++)
		td_conf_mix_run(m);
	assert_int_equal(td_conf_mix_put(m, a, loud, FRAME), 0);
	td_conf_mix_run(m);
	for (int f = 0; f < TD_CONF_MIX_HANGOVER - 1; f++) {
		td_conf_mix_run(m);
		assert_true(td_conf_mix_talking(m, a, NULL));
	}
	td_conf_mix_run(m);
	assert_false(td_conf_mix_talking(m, a, NULL));

	/* A configured level and hangover. */
	struct td_conf_mix_cfg cfg = {.rate = 8000, .max_parts = 2, .talk_level = -60, .hangover = 2};
	size_t size = td_conf_mix_size(&cfg);
	assert_int_equal(td_conf_mix_init(arena, size, &cfg), 0);
	a = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	assert_int_equal(td_conf_mix_put(m, a, quiet, 160), 0);
	td_conf_mix_run(m);
	assert_true(td_conf_mix_talking(m, a, NULL));
	td_conf_mix_run(m);
	assert_true(td_conf_mix_talking(m, a, NULL));
	td_conf_mix_run(m);
	assert_false(td_conf_mix_talking(m, a, NULL));
}

static void
test_bad_input(void **state)
{
	(void)state;
	struct td_conf_mix_cfg cfg = {.rate = 11025, .max_parts = 4};
	assert_int_equal(td_conf_mix_size(&cfg), 0);
	assert_int_equal(td_conf_mix_init(arena, sizeof(arena), &cfg), -EINVAL);
	cfg.rate = 8000;
	cfg.max_parts = 1;
	assert_int_equal(td_conf_mix_size(&cfg), 0);
	cfg.max_parts = TD_CONF_MIX_PARTS_MAX + 1;
	assert_int_equal(td_conf_mix_size(&cfg), 0);
	cfg.max_parts = 4;
	cfg.talk_level = 3;
	assert_int_equal(td_conf_mix_size(&cfg), 0);
	cfg.talk_level = 0;
	assert_int_equal(td_conf_mix_size(NULL), 0);
	size_t size = td_conf_mix_size(&cfg);
	assert_int_equal(td_conf_mix_init(arena, size - 1, &cfg), -EINVAL);
	assert_int_equal(td_conf_mix_init(arena + 1, size, &cfg), -EINVAL);
	assert_int_equal(td_conf_mix_init(NULL, size, &cfg), -EINVAL);

	struct td_conf_mix *m = mix_make(3);
	int16_t pcm[FRAME] = {0};
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_COUNT, 0), -EINVAL);
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_WHISPER, 0), -EINVAL); /* nobody there */
	int a = td_conf_mix_join(m, TD_CONF_ROLE_SPEAKER, 0);
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_WHISPER, 7), -EINVAL);
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_WHISPER, -1), -EINVAL);
	int b = td_conf_mix_join(m, TD_CONF_ROLE_WHISPER, a);
	assert_true(b >= 0);
	assert_int_equal(td_conf_mix_role(m, b, TD_CONF_ROLE_WHISPER, b), -EINVAL); /* to itself */
	assert_int_equal(td_conf_mix_role(m, 5, TD_CONF_ROLE_SPEAKER, 0), -ENOENT);
	assert_int_equal(td_conf_mix_role(m, -1, TD_CONF_ROLE_SPEAKER, 0), -ENOENT);
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0), 2);
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0), -ENOSPC);
	assert_int_equal(td_conf_mix_put(m, a, pcm, FRAME - 1), -EINVAL);
	assert_int_equal(td_conf_mix_put(m, a, NULL, FRAME), -EINVAL);
	assert_int_equal(td_conf_mix_put(m, 9, pcm, FRAME), -ENOENT);
	assert_int_equal(td_conf_mix_leave(m, 9), -ENOENT);
	assert_int_equal(td_conf_mix_leave(m, a), 0);
	assert_int_equal(td_conf_mix_leave(m, a), -ENOENT);
	assert_int_equal(td_conf_mix_count(m), 2);
	/* A leaver's slot is taken only after the run that fades it out. */
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0), -ENOSPC);
	td_conf_mix_run(m);
	assert_int_equal(td_conf_mix_join(m, TD_CONF_ROLE_LISTEN, 0), a);
	assert_null(td_conf_mix_output(m, 9));
	assert_false(td_conf_mix_talking(m, 9, NULL));
	assert_int_equal(td_conf_mix_get_role(m, 9, NULL, NULL), -ENOENT);

	for (int r = 0; r < TD_CONF_ROLE_COUNT; r++)
		assert_int_equal(td_conf_role_parse(td_conf_role_name(r)), r);
	assert_int_equal(td_conf_role_parse("loud"), -EINVAL);
	assert_int_equal(td_conf_role_parse(NULL), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mix_minus),  cmocka_unit_test(test_whisper_listen_muted),
		cmocka_unit_test(test_saturation), cmocka_unit_test(test_no_clicks),
		cmocka_unit_test(test_talker),	   cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
