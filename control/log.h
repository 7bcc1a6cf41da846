/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's log: one line per event on stderr, "time level message".
 * Only the edges log (a command handler, the link to the dataplane, start
 * and stop); library-like code returns -errno instead.
 */
#ifndef TD_LOG_H
#define TD_LOG_H

enum td_log_level { TD_LOG_ERR, TD_LOG_WARN, TD_LOG_INFO, TD_LOG_DEBUG };

void td_log(enum td_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_ERR(...)  td_log(TD_LOG_ERR, __VA_ARGS__)
#define LOG_WARN(...) td_log(TD_LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...) td_log(TD_LOG_INFO, __VA_ARGS__)

#endif
