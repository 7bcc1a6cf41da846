/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's one event loop (epoll). Everything in control runs on it: the
 * management socket, the link to the dataplane, timers. A callback must not
 * block. Handlers are registered with td_loop_fd_add() and removed with
 * td_loop_fd_del(); timers are timerfds with a period.
 */
#ifndef TD_LOOP_H
#define TD_LOOP_H

#include <stdint.h>

typedef void (*td_loop_fd_cb_t)(int fd, uint32_t events, void *arg);

int td_loop_init(void);
void td_loop_fini(void);
int td_loop_fd_add(int fd, uint32_t events, td_loop_fd_cb_t cb, void *arg);
int td_loop_fd_mod(int fd, uint32_t events);
void td_loop_fd_del(int fd);
/* A periodic timer; returns its fd (to delete it) or -errno. */
int td_loop_timer_add(uint64_t period_ms, td_loop_fd_cb_t cb, void *arg);
int td_loop_run(void); /* until td_loop_stop() or a signal; 0 or -errno */
/* Wait up to timeout_ms and run what is ready: the count, or -errno. */
int td_loop_run_once(int timeout_ms);
void td_loop_stop(void);

#endif
