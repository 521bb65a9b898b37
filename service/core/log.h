/* Structured logging: one JSON object per line on stderr. */
#ifndef EXAMD_CORE_LOG_H
#define EXAMD_CORE_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARNING, LOG_ERROR };

void log_set_level(enum log_level level);
/* Points stderr at path (appending), e.g. again after log rotation. false when it cannot. */
bool log_reopen(const char *path);
enum log_level log_get_level(void);
/* Emits obj with "ts" and "level" added; steals the reference to obj. */
void log_json(enum log_level level, json_t *obj);
/* Writes one pre-formatted access-log line (a JSON object without the trailing newline) as is;
 * with the writer thread running it reaches the log within 100 ms. */
void log_line(const char *line, size_t len);
/* Starts the writer thread: from then on no log call does I/O on the caller's thread. */
bool log_start_writer(void);
/* Writes everything still buffered and stops the writer (the calls write directly again). */
void log_stop_writer(void);
/* Appends s to buf as the inside of a JSON string (escaped, UTF-8 kept); returns the new length,
 * never more than cap - 1 (the text is cut at a character boundary when it does not fit). */
size_t log_escape(char *buf, size_t len, size_t cap, const char *s);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
