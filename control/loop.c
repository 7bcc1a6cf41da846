/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * epoll loop with a fixed table of handlers indexed by fd (control holds few
 * descriptors: a socket per CLI client, a timer or two). SIGINT and SIGTERM
 * arrive through a signalfd and stop the loop; SIGPIPE is ignored (sends use
 * MSG_NOSIGNAL anyway). td_loop_fini closes what the loop made itself (the
 * epoll fd, the signalfd, the timers); other fds belong to who added them.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define MAX_FDS 4096

static struct handler {
	td_loop_fd_cb_t cb;
	void *arg;
} handlers[MAX_FDS];
#define MAX_TIMERS 8
static struct handler timers[MAX_TIMERS];
static int timer_fds[MAX_TIMERS];
static unsigned int n_timers;
static int epfd = -1, sigfd = -1;
static volatile int stopping;

static void
on_signal(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		LOG_INFO("signal %u: stopping", si.ssi_signo);
		stopping = 1;
	}
}

int
td_loop_init(void)
{
	sigset_t set;

	stopping = 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0)
		return -errno;
	return td_loop_fd_add(sigfd, EPOLLIN, on_signal, NULL);
}

void
td_loop_fini(void)
{
	for (unsigned int i = 0; i < n_timers; i++)
		close(timer_fds[i]);
	n_timers = 0;
	memset(handlers, 0, sizeof(handlers));
	if (sigfd >= 0)
		close(sigfd);
	if (epfd >= 0)
		close(epfd);
	sigfd = epfd = -1;
}

int
td_loop_fd_add(int fd, uint32_t events, td_loop_fd_cb_t cb, void *arg)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (fd < 0 || fd >= MAX_FDS)
		return -EMFILE;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	handlers[fd] = (struct handler){cb, arg};
	return 0;
}

int
td_loop_fd_mod(int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void
td_loop_fd_del(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	handlers[fd] = (struct handler){0};
}

static void
timer_read(int fd, uint32_t events, void *arg)
{
	uint64_t n;
	struct handler *h = arg;
	if (read(fd, &n, sizeof(n)) == sizeof(n))
		h->cb(fd, events, h->arg);
}

int
td_loop_timer_add(uint64_t period_ms, td_loop_fd_cb_t cb, void *arg)
{
	struct itimerspec its = {
		.it_interval = {.tv_sec = period_ms / 1000, .tv_nsec = (long)(period_ms % 1000) * 1000000},
	};
	its.it_value = its.it_interval;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (n_timers == MAX_TIMERS) {
		close(fd);
		return -ENOSPC;
	}
	struct handler *h = &timers[n_timers];
	*h = (struct handler){cb, arg};
	int ret = timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : td_loop_fd_add(fd, EPOLLIN, timer_read, h);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	timer_fds[n_timers++] = fd;
	return fd;
}

int
td_loop_run_once(int timeout_ms)
{
	struct epoll_event evs[64];
	int n = epoll_wait(epfd, evs, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		if (fd >= 0 && fd < MAX_FDS && handlers[fd].cb)
			handlers[fd].cb(fd, evs[i].events, handlers[fd].arg);
	}
	return n;
}

int
td_loop_run(void)
{
	while (!stopping) {
		int ret = td_loop_run_once(1000);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void
td_loop_stop(void)
{
	stopping = 1;
}
