/* Structured logging: one JSON object per line on stderr, whole lines only. Access log lines
 * (log_line) are buffered for at most LOG_BUFFER_US and written in one write(2); every other line
 * is written at once, after the buffered ones, so the order is kept. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warning", "error"};

#define LOG_BUFFER_US 100000
static char access_buf[64 * 1024];
static size_t access_len;
static int64_t access_flushed_us;

/* Writes the buffered access lines; the caller holds log_lock. */
static void flush_locked(void)
{
	if (access_len) {
		fwrite(access_buf, 1, access_len, stderr);
		fflush(stderr);
		access_len = 0;
	}
	access_flushed_us = util_monotonic_us();
}

void log_flush(void)
{
	pthread_mutex_lock(&log_lock);
	flush_locked();
	pthread_mutex_unlock(&log_lock);
}

void log_set_level(enum log_level level) { min_level = level; }
enum log_level log_get_level(void) { return min_level; }

bool log_reopen(const char *path)
{
	pthread_mutex_lock(&log_lock);
	flush_locked();
	bool ok = freopen(path, "a", stderr) != NULL;
	pthread_mutex_unlock(&log_lock);
	return ok;
}

void log_json(enum log_level level, json_t *obj)
{
	if (!obj)
		return;
	if (level < min_level) {
		json_decref(obj);
		return;
	}
	char ts[40];
	util_format_time_us(util_now_us(), ts, sizeof ts);
	json_t *line = json_pack("{s:s,s:s}", "ts", ts, "level", level_names[level]);
	json_object_update(line, obj);
	json_decref(obj);
	char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(line);
	if (!text)
		return;
	pthread_mutex_lock(&log_lock);
	flush_locked();
	fputs(text, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	free(text);
}

void log_line(const char *line, size_t len)
{
	pthread_mutex_lock(&log_lock);
	if (access_len + len + 1 > sizeof access_buf)
		flush_locked();
	if (len + 1 > sizeof access_buf) {
		fwrite(line, 1, len, stderr);
		fputc('\n', stderr);
		fflush(stderr);
	} else {
		memcpy(access_buf + access_len, line, len);
		access_len += len;
		access_buf[access_len++] = '\n';
		if (util_monotonic_us() - access_flushed_us >= LOG_BUFFER_US)
			flush_locked();
	}
	pthread_mutex_unlock(&log_lock);
}

size_t log_escape(char *buf, size_t len, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *p = (const unsigned char *)s; *p && len + 7 < cap; p++) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			buf[len++] = '\\';
			buf[len++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			len += (size_t)snprintf(buf + len, cap - len, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else {
			buf[len++] = (char)c;
		}
	}
	buf[len] = '\0';
	util_utf8_clip(buf); /* a cut inside a character, or invalid bytes from a client */
	return strlen(buf);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_json(level, json_pack("{s:s}", "msg", buf));
}
