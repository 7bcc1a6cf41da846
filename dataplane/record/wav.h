/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WAV file writer for the recorder thread (dataplane/record/): 16-bit PCM,
 * mono or stereo, written through io_uring (liburing). Samples are appended
 * to a buffer the caller provides (td_wav_append); td_wav_flush writes them
 * after what is on disk and then rewrites the 44-byte header (RIFF and data
 * sizes) in one linked submission, so the file on disk is a valid WAV of
 * every byte flushed so far: a crash of any process leaves it playable up to
 * its last flush.
 *
 * A failed write (ENOSPC, EIO, EFBIG, a short write) ends the file: whatever
 * whole sample frames reached the disk are kept, the file is cut to them, the
 * header is rewritten to match, and td_wav_error() says why; every later
 * append or flush is refused with that error. td_wav_close computes the
 * SHA-256 of the file as it stands (libcrypto EVP) and closes it.
 *
 * Threads: one owner (the recorder thread), never a worker: flush and close
 * wait for the disk. The io_uring is the caller's and may be shared by many
 * writers of that thread. Errors: 0 or -errno.
 */
#ifndef TD_WAV_H
#define TD_WAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_WAV_HDR_SIZE 44
#define TD_WAV_SHA256	32

struct io_uring;

struct td_wav {
	struct io_uring *ring;
	int fd;
	uint16_t channels;
	uint32_t rate;
	uint64_t data_bytes; /* on disk after the header, whole frames */
	uint8_t *buf;	     /* pending, not yet written */
	size_t buf_len;
	size_t buf_cap;
	int error; /* 0, or the -errno that ended the file */
	uint64_t flushes;
	/* A flush on the ring (td_wav_flush_submit) until both its
	 * completions are in. */
	uint8_t hdr[TD_WAV_HDR_SIZE];
	size_t inflight;
	uint8_t cqes_left;
	int res_data, res_hdr;
};

/* Create (or truncate) the file at path relative to dirfd, write the empty
 * header. buf/buf_cap: the pending buffer (a whole number of frames is kept;
 * td_wav_append refuses with -ENOBUFS beyond it: flush first). */
int td_wav_open(struct td_wav *w, struct io_uring *ring, int dirfd, const char *path, uint16_t channels, uint32_t rate,
		uint8_t *buf, size_t buf_cap);

/* Append n sample frames (channels interleaved samples each). */
int td_wav_append(struct td_wav *w, const int16_t *frames, size_t n);

/* Room left in the pending buffer, in sample frames. */
size_t td_wav_room(const struct td_wav *w);

/* Write what is pending and the header for it. 0, or the error that ended the file. */
int td_wav_flush(struct td_wav *w);

/*
 * The same in two halves, so that one thread can have many files' flushes
 * on the ring at once: td_wav_flush_submit prepares the two linked writes
 * (not submitted: the caller submits and waits for them all); returns 1
 * when it queued them, 0 when nothing was pending, or the error that ended
 * the file (-EBUSY also when the ring has no room). Each completion whose
 * user data td_wav_cqe_writer() names goes to td_wav_flush_cqe, which
 * returns 1 once both are in, 0 while one is still awaited. Once no
 * completion of anybody's is awaited any more, td_wav_flush_end finishes
 * the flush (it may write again, waiting, on a failure) and returns 0 or
 * the error that ended the file. No append in between.
 */
int td_wav_flush_submit(struct td_wav *w);
int td_wav_flush_cqe(struct td_wav *w, uint64_t user_data, int res);
int td_wav_flush_end(struct td_wav *w);
/* The writer a completion belongs to, or NULL for another's. */
struct td_wav *td_wav_cqe_writer(uint64_t user_data);

/* Flush, close, and (sha256 != NULL) digest the file. The writer's error, if
 * any, is returned after the file was closed; the digest is still computed
 * over what is on disk. fd is -1 afterwards. */
int td_wav_close(struct td_wav *w, uint8_t sha256[TD_WAV_SHA256]);

static inline int
td_wav_error(const struct td_wav *w)
{
	return w->error;
}

/* Milliseconds of audio on disk. */
static inline uint64_t
td_wav_duration_ms(const struct td_wav *w)
{
	uint32_t frame = 2u * w->channels;
	return w->rate ? w->data_bytes / frame * 1000 / w->rate : 0;
}

/* Build the 44-byte header for data_bytes of audio (also used by tests). */
void td_wav_header(uint8_t hdr[TD_WAV_HDR_SIZE], uint16_t channels, uint32_t rate, uint64_t data_bytes);

#endif
