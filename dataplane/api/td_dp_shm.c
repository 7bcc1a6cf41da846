/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared-memory segment: layout, creation by the dataplane, attachment by
 * control and the CLI. Runs at start-up and on control's event loop, never on
 * a worker's fast path (td_dp_msg_send/recv and the seq helpers excepted).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "td_dp_shm.h"

#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))

uint64_t
td_dp_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *
at(const struct td_dp_shm *shm, uint64_t off)
{
	return (uint8_t *)shm->hdr + off;
}

static int
name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n < 2 || n >= sizeof(((struct td_dp_shm *)0)->name) || name[0] != '/' || strchr(name + 1, '/'))
		return -EINVAL;
	return 0;
}

bool
td_dp_pid_alive(int32_t pid)
{
	char path[64], stat[256];
	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	/* A process killed but not yet reaped by its parent still answers
	 * kill(0): its state in /proc says it is a zombie. */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* no /proc to ask: trust kill() */
	ssize_t n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return true;
	stat[n] = '\0';
	const char *paren = strrchr(stat, ')'); /* the command name may hold spaces */
	return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

static bool
owner_alive(const char *name)
{
	struct td_dp_shm_hdr h;
	bool alive = false;
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return false;
	if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && h.magic == TD_DP_SHM_MAGIC &&
	    h.state != TD_DP_STATE_STOPPED && h.pid != getpid())
		alive = td_dp_pid_alive(h.pid);
	close(fd);
	return alive;
}

struct td_dp_shm *
td_dp_shm_create(const char *name, const struct td_dp_shm_conf *conf)
{
	struct td_dp_shm *shm = NULL;
	uint32_t n_workers = conf->n_workers, ring_size = conf->ring_size;
	uint32_t n_sess = conf->sessions_per_worker;
	int err;

	if (name_ok(name) < 0 || n_workers == 0 || n_workers > TD_DP_MAX_WORKERS || ring_size < 2 ||
	    (ring_size & (ring_size - 1)) != 0 || n_sess > 32768) {
		errno = EINVAL;
		return NULL;
	}
	ssize_t ring_bytes = rte_ring_get_memsize_elem(TD_DP_MSG_SIZE, ring_size);
	if (ring_bytes < 0) {
		errno = -ring_bytes;
		return NULL;
	}

	uint64_t off = ALIGN_UP(sizeof(struct td_dp_shm_hdr), 4096);
	uint64_t cmd_off[TD_DP_MAX_WORKERS], evt_off[TD_DP_MAX_WORKERS], st_off[TD_DP_MAX_WORKERS];
	uint64_t sess_off[TD_DP_MAX_WORKERS];
	for (uint32_t w = 0; w < n_workers; w++) {
		cmd_off[w] = off;
		off = ALIGN_UP(off + (uint64_t)ring_bytes, 64);
		evt_off[w] = off;
		off = ALIGN_UP(off + (uint64_t)ring_bytes, 64);
		st_off[w] = off;
		off = ALIGN_UP(off + sizeof(struct td_dp_worker_stats), 64);
		sess_off[w] = off;
		off = ALIGN_UP(off + (uint64_t)n_sess * sizeof(struct td_dp_session_stats), 64);
	}
	size_t size = ALIGN_UP(off, 4096);

	shm = calloc(1, sizeof(*shm));
	if (shm == NULL)
		return NULL;
	shm->fd = -1;
	snprintf(shm->name, sizeof(shm->name), "%s", name);

	/* A segment left by a dataplane that died is replaced (readers still
	 * mapping it notice through td_dp_shm_is_current()); one whose owner
	 * lives is not ours to take. */
	if (owner_alive(name)) {
		free(shm);
		errno = EEXIST;
		return NULL;
	}
	shm_unlink(name);
	shm->fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (shm->fd < 0)
		goto fail;
	shm->owner = true;
	if (ftruncate(shm->fd, (off_t)size) < 0)
		goto fail;
	shm->hdr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd, 0);
	if (shm->hdr == MAP_FAILED) {
		shm->hdr = NULL;
		goto fail;
	}
	shm->size = size;

	struct td_dp_shm_hdr *h = shm->hdr;
	h->magic = TD_DP_SHM_MAGIC;
	h->abi_version = TD_DP_ABI_VERSION;
	h->hdr_size = sizeof(*h);
	h->seg_size = size;
	h->generation = realtime_ns();
	h->pid = getpid();
	h->n_workers = n_workers;
	h->ring_size = ring_size;
	h->msg_size = TD_DP_MSG_SIZE;
	h->start_ns = realtime_ns();
	h->heartbeat_ns = td_dp_now_ns();
	for (uint32_t w = 0; w < n_workers; w++) {
		char rname[RTE_RING_NAMESIZE];
		h->workers[w].cmd_ring_off = cmd_off[w];
		h->workers[w].evt_ring_off = evt_off[w];
		h->workers[w].stats_off = st_off[w];
		h->workers[w].sess_stats_off = sess_off[w];
		h->workers[w].n_sessions = n_sess;
		snprintf(rname, sizeof(rname), "td_cmd_%u", w);
		err = rte_ring_init(at(shm, cmd_off[w]), rname, ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (err == 0) {
			snprintf(rname, sizeof(rname), "td_evt_%u", w);
			err = rte_ring_init(at(shm, evt_off[w]), rname, ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ);
		}
		if (err < 0) {
			errno = -err;
			goto fail;
		}
	}
	__atomic_store_n(&h->state, TD_DP_STATE_STARTING, __ATOMIC_RELEASE);
	return shm;
fail:
	err = errno;
	td_dp_shm_close(shm);
	errno = err;
	return NULL;
}

void
td_dp_shm_publish(struct td_dp_shm *shm)
{
	__atomic_store_n(&shm->hdr->state, TD_DP_STATE_RUNNING, __ATOMIC_RELEASE);
}

int
td_dp_shm_attach(const char *name, struct td_dp_shm **shmp, char *err, size_t errlen)
{
	struct td_dp_shm *shm;
	struct stat st;
	int ret;

	*shmp = NULL;
	if (name_ok(name) < 0) {
		snprintf(err, errlen, "bad segment name '%s' (want /name)", name);
		return -EINVAL;
	}
	shm = calloc(1, sizeof(*shm));
	if (shm == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(shm->name, sizeof(shm->name), "%s", name);
	shm->fd = shm_open(name, O_RDWR, 0);
	if (shm->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "no dataplane segment %s: %s", name, strerror(errno));
		goto fail;
	}
	if (fstat(shm->fd, &st) < 0 || (size_t)st.st_size < sizeof(struct td_dp_shm_hdr)) {
		ret = -EPROTO;
		snprintf(err, errlen, "segment %s is too small (%lld bytes) to be a dataplane segment", name,
			 (long long)st.st_size);
		goto fail;
	}
	shm->size = (size_t)st.st_size;
	shm->hdr = mmap(NULL, shm->size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd, 0);
	if (shm->hdr == MAP_FAILED) {
		shm->hdr = NULL;
		ret = -errno;
		snprintf(err, errlen, "cannot map segment %s: %s", name, strerror(errno));
		goto fail;
	}
	const struct td_dp_shm_hdr *h = shm->hdr;
	if (h->magic != TD_DP_SHM_MAGIC) {
		ret = -EPROTO;
		snprintf(err, errlen,
			 "segment %s is not a tongdai dataplane segment: magic 0x%016llx, expected 0x%016llx", name,
			 (unsigned long long)h->magic, (unsigned long long)TD_DP_SHM_MAGIC);
		goto fail;
	}
	if (h->abi_version != TD_DP_ABI_VERSION) {
		ret = -EPROTO;
		snprintf(err, errlen,
			 "ABI version mismatch: dataplane segment %s has ABI %u, this program speaks ABI %u", name,
			 h->abi_version, TD_DP_ABI_VERSION);
		goto fail;
	}
	uint32_t state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	if (state != TD_DP_STATE_RUNNING) {
		ret = -EAGAIN;
		snprintf(err, errlen, "dataplane segment %s is %s", name,
			 state == TD_DP_STATE_STARTING ? "still starting" : "stopped");
		goto fail;
	}
	if (h->hdr_size != sizeof(*h) || h->seg_size != shm->size || h->msg_size != TD_DP_MSG_SIZE ||
	    h->n_workers == 0 || h->n_workers > TD_DP_MAX_WORKERS || h->n_ports > TD_DP_MAX_PORTS ||
	    h->n_drops > TD_DP_DROP_MAX) {
		ret = -EPROTO;
		snprintf(err, errlen, "segment %s has an inconsistent layout (header %u/%zu bytes, size %llu/%zu)",
			 name, h->hdr_size, sizeof(*h), (unsigned long long)h->seg_size, shm->size);
		goto fail;
	}
	for (uint32_t w = 0; w < h->n_workers; w++) {
		const struct td_dp_worker_desc *d = &h->workers[w];
		if (d->cmd_ring_off >= shm->size || d->evt_ring_off >= shm->size ||
		    d->stats_off + sizeof(struct td_dp_worker_stats) > shm->size ||
		    d->sess_stats_off + (uint64_t)d->n_sessions * sizeof(struct td_dp_session_stats) > shm->size) {
			ret = -EPROTO;
			snprintf(err, errlen, "segment %s: worker %u lies outside the segment", name, w);
			goto fail;
		}
	}
	*shmp = shm;
	return 0;
fail:
	td_dp_shm_close(shm);
	return ret;
}

void
td_dp_shm_close(struct td_dp_shm *shm)
{
	if (shm == NULL)
		return;
	if (shm->owner) {
		if (shm->hdr != NULL)
			__atomic_store_n(&shm->hdr->state, TD_DP_STATE_STOPPED, __ATOMIC_RELEASE);
		if (td_dp_shm_is_current(shm))
			shm_unlink(shm->name);
	}
	if (shm->hdr != NULL)
		munmap(shm->hdr, shm->size);
	if (shm->fd >= 0)
		close(shm->fd);
	free(shm);
}

bool
td_dp_shm_alive(const struct td_dp_shm *shm, uint64_t max_silence_ns)
{
	const struct td_dp_shm_hdr *h = shm->hdr;
	if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != TD_DP_STATE_RUNNING)
		return false;
	if (!td_dp_pid_alive(h->pid))
		return false;
	uint64_t beat = __atomic_load_n(&h->heartbeat_ns, __ATOMIC_RELAXED);
	return td_dp_now_ns() - beat <= max_silence_ns;
}

bool
td_dp_shm_is_current(const struct td_dp_shm *shm)
{
	struct stat a, b;
	int fd = shm_open(shm->name, O_RDONLY, 0);
	if (fd < 0)
		return false;
	bool same = fstat(fd, &a) == 0 && fstat(shm->fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	close(fd);
	return same;
}

struct rte_ring *
td_dp_shm_cmd_ring(const struct td_dp_shm *shm, uint32_t worker)
{
	return at(shm, shm->hdr->workers[worker].cmd_ring_off);
}

struct rte_ring *
td_dp_shm_evt_ring(const struct td_dp_shm *shm, uint32_t worker)
{
	return at(shm, shm->hdr->workers[worker].evt_ring_off);
}

struct td_dp_worker_stats *
td_dp_shm_stats(const struct td_dp_shm *shm, uint32_t worker)
{
	return at(shm, shm->hdr->workers[worker].stats_off);
}

struct td_dp_session_stats *
td_dp_shm_session_stats(const struct td_dp_shm *shm, uint32_t worker, uint32_t i)
{
	return (struct td_dp_session_stats *)at(shm, shm->hdr->workers[worker].sess_stats_off) + i;
}

static void
seq_read(const uint32_t *seq, void *out, const void *in, size_t len)
{
	uint32_t s1, s2, prev = 1;
	uint64_t stuck_since = 0;
	/* A live writer finishes its update, even one preempted in the middle
	 * of it (it is back within a scheduler time slice), so the reader
	 * retries. Only a writer that died mid-update leaves seq odd and still
	 * for ever: after a second of that the reader takes the last copy
	 * rather than hang. */
	for (;;) {
		s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		memcpy(out, in, len);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(seq, __ATOMIC_RELAXED);
		if (s1 == s2 && (s1 & 1) == 0)
			return;
		if (s1 != prev) {
			prev = s1;
			stuck_since = td_dp_now_ns();
		} else if (td_dp_now_ns() - stuck_since > 1000000000ull) {
			return;
		}
	}
}

void
td_dp_stats_read(const struct td_dp_worker_stats *s, struct td_dp_worker_stats *out)
{
	seq_read(&s->seq, out, s, sizeof(*out));
}

void
td_dp_port_read(const struct td_dp_port_info *p, struct td_dp_port_info *out)
{
	seq_read(&p->seq, out, p, sizeof(*out));
}

void
td_dp_session_read(const struct td_dp_session_stats *s, struct td_dp_session_stats *out)
{
	seq_read(&s->seq, out, s, sizeof(*out));
}

int
td_dp_msg_send(struct rte_ring *r, const struct td_dp_msg *m)
{
	/* rte_ring_enqueue_elem() copies from, never writes, its source. */
	return rte_ring_enqueue_elem(r, (void *)(uintptr_t)m, TD_DP_MSG_SIZE) == 0 ? 0 : -ENOBUFS;
}

int
td_dp_msg_recv(struct rte_ring *r, struct td_dp_msg *m)
{
	return rte_ring_dequeue_elem(r, m, TD_DP_MSG_SIZE) == 0 ? 0 : -ENOENT;
}
