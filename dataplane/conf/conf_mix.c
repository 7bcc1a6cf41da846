/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conference mixer (contract in conf_mix.h, design in
 * docs/conference.md).
 *
 * A participant reaches others through two buses: "all" (heard by every
 * other participant) and "whisper" (heard by its target only). Each has a
 * gain that is 0 or 1 at frame edges; when a role changes, the gain of the
 * bus the participant leaves ramps to 0 and that of the bus it enters to 1,
 * linearly over one frame. Per run: total = sum of every "all"
 * contribution (32 bits); participant r hears total - its own "all"
 * contribution + the whispers aimed at it, clamped to 16 bits.
 */
#include <errno.h>
#include <string.h>

#include "conf_mix.h"

#define ONE	  32768 /* gain 1.0 in Q15 */
#define FULL_SQ	  (32768.0 * 32768.0)
#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

enum part_state {
	PART_FREE = 0,
	PART_IN,
	PART_LEAVING, /* faded out in the next run, then free */
};

struct part {
	uint8_t state;
	uint8_t role;
	bool has_in;
	bool fresh; /* hears the conference ramp in during its first run */
	bool talking;
	bool changed;
	uint8_t quiet;	     /* frames below the talk level while talking */
	int16_t target;	     /* where the whisper bus goes now */
	int16_t next_target; /* where it goes once faded out of target */
	int32_t g_all, g_w;  /* bus gains at the start of the next run, Q15 */
	int16_t *in, *whisper, *out;
};

struct td_conf_mix {
	uint32_t rate;
	uint16_t frame;
	uint16_t max_parts;
	uint16_t count;
	uint8_t hangover;
	uint64_t talk_energy; /* sum of squares of a frame at the talk level */
	struct part *parts;
	int32_t *total;
};

size_t
td_conf_mix_size(const struct td_conf_mix_cfg *cfg)
{
	if (cfg == NULL || (cfg->rate != 8000 && cfg->rate != 16000 && cfg->rate != 32000 && cfg->rate != 48000))
		return 0;
	if (cfg->max_parts < 2 || cfg->max_parts > TD_CONF_MIX_PARTS_MAX)
		return 0;
	if (cfg->talk_level > 0 || cfg->talk_level < -90)
		return 0;
	size_t frame = cfg->rate / 50;
	return ALIGN8(sizeof(struct td_conf_mix)) + ALIGN8(sizeof(struct part) * cfg->max_parts) +
	       ALIGN8(sizeof(int32_t) * frame) + ALIGN8(3 * sizeof(int16_t) * frame) * cfg->max_parts;
}

int
td_conf_mix_init(void *mem, size_t size, const struct td_conf_mix_cfg *cfg)
{
	size_t need = td_conf_mix_size(cfg);
	if (mem == NULL || need == 0 || size < need || ((uintptr_t)mem & 7) != 0)
		return -EINVAL;
	memset(mem, 0, need);
	struct td_conf_mix *m = mem;
	uint8_t *p = (uint8_t *)mem + ALIGN8(sizeof(*m));
	m->rate = cfg->rate;
	m->frame = (uint16_t)(cfg->rate / 50);
	m->max_parts = cfg->max_parts;
	m->hangover = cfg->hangover ? cfg->hangover : TD_CONF_MIX_HANGOVER;
	/* 10^(dB/10) by repeated tenths of a bel: no libm on this path. */
	double e = FULL_SQ * m->frame;
	for (int db = cfg->talk_level ? cfg->talk_level : TD_CONF_MIX_TALK_LEVEL; db < 0; db++)
		e *= 0.7943282347242815;
	m->talk_energy = (uint64_t)e;
	m->parts = (struct part *)p;
	p += ALIGN8(sizeof(struct part) * m->max_parts);
	m->total = (int32_t *)p;
	p += ALIGN8(sizeof(int32_t) * m->frame);
	for (uint16_t i = 0; i < m->max_parts; i++) {
		struct part *pt = &m->parts[i];
		pt->in = (int16_t *)p;
		pt->whisper = pt->in + m->frame;
		pt->out = pt->whisper + m->frame;
		p += ALIGN8(3 * sizeof(int16_t) * m->frame);
	}
	return 0;
}

uint16_t
td_conf_mix_frame(const struct td_conf_mix *m)
{
	return m->frame;
}

static struct part *
part_get(const struct td_conf_mix *m, int p)
{
	if (p < 0 || p >= m->max_parts || m->parts[p].state != PART_IN)
		return NULL;
	return &m->parts[p];
}

static int
role_check(const struct td_conf_mix *m, int self, enum td_conf_role role, int target)
{
	if ((unsigned int)role >= TD_CONF_ROLE_COUNT)
		return -EINVAL;
	if (role == TD_CONF_ROLE_WHISPER && (target == self || part_get(m, target) == NULL))
		return -EINVAL;
	return 0;
}

int
td_conf_mix_join(struct td_conf_mix *m, enum td_conf_role role, int target)
{
	int rc = role_check(m, -1, role, target);
	if (rc < 0)
		return rc;
	for (int i = 0; i < m->max_parts; i++) {
		struct part *p = &m->parts[i];
		if (p->state != PART_FREE)
			continue;
		p->state = PART_IN;
		p->role = (uint8_t)role;
		p->target = p->next_target = role == TD_CONF_ROLE_WHISPER ? (int16_t)target : TD_CONF_MIX_NO_TARGET;
		p->g_all = p->g_w = 0; /* ramps in over the first run */
		p->has_in = false;
		p->fresh = true;
		p->talking = p->changed = false;
		p->quiet = 0;
		m->count++;
		return i;
	}
	return -ENOSPC;
}

/* Whispers aimed at p fade out and then go nowhere. */
static void
whispers_drop(struct td_conf_mix *m, int p)
{
	for (int i = 0; i < m->max_parts; i++) {
		struct part *w = &m->parts[i];
		if (w->state == PART_FREE)
			continue;
		if (w->next_target == p)
			w->next_target = TD_CONF_MIX_NO_TARGET;
		if (w->target == p && w->g_w == 0)
			w->target = TD_CONF_MIX_NO_TARGET;
	}
}

int
td_conf_mix_leave(struct td_conf_mix *m, int p)
{
	struct part *pt = part_get(m, p);
	if (pt == NULL)
		return -ENOENT;
	pt->state = PART_LEAVING;
	m->count--;
	whispers_drop(m, p);
	return 0;
}

int
td_conf_mix_role(struct td_conf_mix *m, int p, enum td_conf_role role, int target)
{
	struct part *pt = part_get(m, p);
	if (pt == NULL)
		return -ENOENT;
	int rc = role_check(m, p, role, target);
	if (rc < 0)
		return rc;
	pt->role = (uint8_t)role;
	pt->next_target = role == TD_CONF_ROLE_WHISPER ? (int16_t)target : TD_CONF_MIX_NO_TARGET;
	/* A silent whisper bus can move at once; a sounding one fades out first. */
	if (pt->g_w == 0)
		pt->target = pt->next_target;
	return 0;
}

int
td_conf_mix_get_role(const struct td_conf_mix *m, int p, enum td_conf_role *role, int *target)
{
	const struct part *pt = part_get(m, p);
	if (pt == NULL)
		return -ENOENT;
	if (role != NULL)
		*role = (enum td_conf_role)pt->role;
	if (target != NULL)
		*target = pt->next_target;
	return 0;
}

uint16_t
td_conf_mix_count(const struct td_conf_mix *m)
{
	return m->count;
}

int
td_conf_mix_put(struct td_conf_mix *m, int p, const int16_t *pcm, size_t n)
{
	/* A leaver's last frame is still taken: it is what fades out. */
	if (p < 0 || p >= m->max_parts || m->parts[p].state == PART_FREE)
		return -ENOENT;
	struct part *pt = &m->parts[p];
	if (pcm == NULL || n != m->frame)
		return -EINVAL;
	memcpy(pt->in, pcm, n * sizeof(*pcm));
	pt->has_in = true;
	return 0;
}

/* dst = src * gain ramped linearly from g0 to g1 over the frame (Q15). */
static void
ramp(int16_t *dst, const int16_t *src, uint16_t n, int32_t g0, int32_t g1)
{
	if (g0 == g1) {
		if (g0 == ONE)
			memmove(dst, src, n * sizeof(*dst));
		else if (g0 == 0)
			memset(dst, 0, n * sizeof(*dst));
		else
			for (uint16_t i = 0; i < n; i++)
				dst[i] = (int16_t)((src[i] * g0) >> 15);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		int32_t g = g0 + (g1 - g0) * (int32_t)(i + 1) / n;
		dst[i] = (int16_t)((src[i] * g) >> 15);
	}
}

static void
talk_update(struct td_conf_mix *m, struct part *p)
{
	uint64_t e = 0;
	if (p->has_in)
		for (uint16_t i = 0; i < m->frame; i++)
			e += (uint64_t)((int32_t)p->in[i] * p->in[i]);
	bool was = p->talking;
	if (e > m->talk_energy) {
		p->talking = true;
		p->quiet = 0;
	} else if (p->talking && ++p->quiet >= m->hangover) {
		p->talking = false;
		p->quiet = 0;
	}
	p->changed = was != p->talking;
}

static inline int16_t
clamp16(int32_t v)
{
	return v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : (int16_t)v;
}

unsigned int
td_conf_mix_run(struct td_conf_mix *m)
{
	const uint16_t n = m->frame;
	unsigned int changes = 0;
	memset(m->total, 0, n * sizeof(*m->total));

	/* Contributions: "all" bus in place of the input, whisper bus beside it. */
	for (int i = 0; i < m->max_parts; i++) {
		struct part *p = &m->parts[i];
		if (p->state == PART_FREE)
			continue;
		if (p->state == PART_IN) {
			talk_update(m, p);
			changes += p->changed;
		}
		if (!p->has_in)
			memset(p->in, 0, n * sizeof(*p->in));
		bool in = p->state == PART_IN;
		int32_t t_all = in && p->role == TD_CONF_ROLE_SPEAKER ? ONE : 0;
		int32_t t_w = in && p->role == TD_CONF_ROLE_WHISPER && p->target >= 0 && p->target == p->next_target
				      ? ONE
				      : 0;
		ramp(p->whisper, p->in, n, p->g_w, t_w);
		ramp(p->in, p->in, n, p->g_all, t_all);
		p->g_all = t_all;
		p->g_w = t_w;
		for (uint16_t k = 0; k < n; k++)
			m->total[k] += p->in[k];
	}

	/* What each present participant hears. */
	for (int r = 0; r < m->max_parts; r++) {
		struct part *p = &m->parts[r];
		if (p->state != PART_IN)
			continue;
		for (uint16_t k = 0; k < n; k++)
			p->out[k] = clamp16(m->total[k] - p->in[k]);
		bool whispered = false;
		for (int i = 0; i < m->max_parts; i++) {
			const struct part *w = &m->parts[i];
			if (w->state == PART_FREE || w->target != r)
				continue;
			if (!whispered) {
				/* Sum again in 32 bits so a whisper over a loud mix clamps once. */
				for (uint16_t k = 0; k < n; k++)
					m->total[k] -= p->in[k];
				whispered = true;
			}
			for (uint16_t k = 0; k < n; k++)
				m->total[k] += w->whisper[k];
		}
		if (whispered) {
			for (uint16_t k = 0; k < n; k++)
				p->out[k] = clamp16(m->total[k]);
			/* Back to the plain total for the next receiver. */
			for (int i = 0; i < m->max_parts; i++) {
				const struct part *w = &m->parts[i];
				if (w->state != PART_FREE && w->target == r)
					for (uint16_t k = 0; k < n; k++)
						m->total[k] -= w->whisper[k];
			}
			for (uint16_t k = 0; k < n; k++)
				m->total[k] += p->in[k];
		}
		if (p->fresh) {
			ramp(p->out, p->out, n, 0, ONE);
			p->fresh = false;
		}
	}

	/* Frame edge: leavers go, faded-out whispers move to their next target. */
	for (int i = 0; i < m->max_parts; i++) {
		struct part *p = &m->parts[i];
		if (p->state == PART_FREE)
			continue;
		p->has_in = false;
		if (p->state == PART_LEAVING) {
			p->state = PART_FREE;
			continue;
		}
		if (p->g_w == 0)
			p->target = p->next_target;
	}
	return changes;
}

const int16_t *
td_conf_mix_output(const struct td_conf_mix *m, int p)
{
	const struct part *pt = part_get(m, p);
	return pt != NULL ? pt->out : NULL;
}

bool
td_conf_mix_talking(const struct td_conf_mix *m, int p, bool *changed)
{
	const struct part *pt = part_get(m, p);
	if (changed != NULL)
		*changed = pt != NULL && pt->changed;
	return pt != NULL && pt->talking;
}

static const char *const role_names[TD_CONF_ROLE_COUNT] = {
	[TD_CONF_ROLE_SPEAKER] = "speaker",
	[TD_CONF_ROLE_LISTEN] = "listen",
	[TD_CONF_ROLE_WHISPER] = "whisper",
	[TD_CONF_ROLE_MUTED] = "muted",
};

const char *
td_conf_role_name(enum td_conf_role role)
{
	return (unsigned int)role < TD_CONF_ROLE_COUNT ? role_names[role] : "?";
}

int
td_conf_role_parse(const char *s)
{
	for (int i = 0; s != NULL && i < TD_CONF_ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -EINVAL;
}
