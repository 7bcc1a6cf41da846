/* SPDX-License-Identifier: BSD-3-Clause */
/* The codec registry: filled by constructors, read-only after main(). */
#include <errno.h>
#include <strings.h>

#include "td_codec.h"

static struct td_codec_ops *codecs;

void
td_codec_register(struct td_codec_ops *ops)
{
	ops->next = codecs;
	codecs = ops;
}

const struct td_codec_ops *
td_codec_find(const char *name)
{
	for (const struct td_codec_ops *c = codecs; c; c = c->next)
		if (strcasecmp(c->name, name) == 0)
			return c;
	errno = ENOENT;
	return NULL;
}

const struct td_codec_ops *
td_codec_first(void)
{
	return codecs;
}
