/* Structured logging: one JSON object per line on stderr, whole lines only.
 *
 * In `examd serve` a writer thread (log_start_writer) does all the writing: the event loops only
 * append lines to a buffer, so a slow or stalled log disk never blocks a request. The writer
 * wakes every LOG_WRITE_US, or at once for any line other than an access-log line, and writes
 * what has gathered with one write(2). If the disk stalls and LOG_BUFFER_MAX bytes pile up,
 * further access-log lines are dropped (and counted in a warning line once writing resumes);
 * other lines are always kept. Before the writer starts (and in the CLI) lines are written at once. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define LOG_WRITE_US 100000
#define LOG_BUFFER_MAX (8u << 20)

static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warning", "error"};

/* log_lock guards the buffer and the writer's state; io_lock guards stderr itself. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_wake = PTHREAD_COND_INITIALIZER;
static char *log_buf;
static size_t buf_len, buf_cap;
static unsigned long dropped;
static bool writer_running, writer_stop, urgent;
static pthread_t writer;

void log_set_level(enum log_level level)
{
	min_level = level;
}
enum log_level log_get_level(void)
{
	return min_level;
}

static void write_out(const char *data, size_t len)
{
	pthread_mutex_lock(&io_lock);
	fwrite(data, 1, len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&io_lock);
}

/* Appends one line (adding the newline); the caller holds log_lock. false: no room. */
static bool append_locked(const char *line, size_t len, bool keep)
{
	if (buf_len + len + 1 > buf_cap) {
		size_t want = buf_cap ? buf_cap : 64 * 1024;
		while (want < buf_len + len + 1)
			want *= 2;
		if (want > LOG_BUFFER_MAX && !keep)
			return false;
		char *grown = realloc(log_buf, want);
		if (!grown)
			return false;
		log_buf = grown;
		buf_cap = want;
	}
	memcpy(log_buf + buf_len, line, len);
	buf_len += len;
	log_buf[buf_len++] = '\n';
	return true;
}

/* Writes whatever the buffer holds now; the caller holds log_lock (released while writing). */
static void drain_locked(void)
{
	while (buf_len || dropped) {
		char *out = log_buf;
		size_t len = buf_len;
		unsigned long lost = dropped;
		log_buf = NULL;
		buf_len = buf_cap = 0;
		dropped = 0;
		pthread_mutex_unlock(&log_lock);
		if (len)
			write_out(out, len);
		free(out);
		if (lost) {
			char line[160], ts[40];
			util_format_time_us(util_now_us(), ts, sizeof ts);
			int n = snprintf(
				line, sizeof line,
				"{\"ts\":\"%s\",\"level\":\"warning\",\"msg\":\"access log lines dropped: the log "
				"could not be written fast enough\",\"count\":%lu}\n",
				ts, lost);
			write_out(line, (size_t)n);
		}
		pthread_mutex_lock(&log_lock);
	}
}

static void *writer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&log_lock);
	while (!writer_stop) {
		if (!urgent) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += LOG_WRITE_US * 1000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&log_wake, &log_lock, &until);
		}
		urgent = false;
		drain_locked();
	}
	drain_locked();
	pthread_mutex_unlock(&log_lock);
	return NULL;
}

bool log_start_writer(void)
{
	pthread_mutex_lock(&log_lock);
	bool ok = writer_running || pthread_create(&writer, NULL, writer_main, NULL) == 0;
	if (ok)
		writer_running = true;
	pthread_mutex_unlock(&log_lock);
	return ok;
}

void log_stop_writer(void)
{
	pthread_mutex_lock(&log_lock);
	bool running = writer_running;
	writer_stop = true;
	pthread_cond_signal(&log_wake);
	pthread_mutex_unlock(&log_lock);
	if (running)
		pthread_join(writer, NULL);
	pthread_mutex_lock(&log_lock);
	writer_running = false;
	writer_stop = false;
	drain_locked();
	pthread_mutex_unlock(&log_lock);
}

/* One finished line: to the writer when it runs (waking it unless access says it can wait),
 * else straight out after anything buffered. */
static void emit(const char *line, size_t len, bool access)
{
	pthread_mutex_lock(&log_lock);
	if (writer_running) {
		if (!append_locked(line, len, !access))
			dropped++;
		if (!access || buf_len > 256 * 1024) {
			urgent = true;
			pthread_cond_signal(&log_wake);
		}
		pthread_mutex_unlock(&log_lock);
		return;
	}
	drain_locked();
	pthread_mutex_unlock(&log_lock);
	pthread_mutex_lock(&io_lock);
	fwrite(line, 1, len, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&io_lock);
}

bool log_reopen(const char *path)
{
	pthread_mutex_lock(&io_lock);
	fflush(stderr);
	bool ok = freopen(path, "a", stderr) != NULL;
	pthread_mutex_unlock(&io_lock);
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
	emit(text, strlen(text), false);
	free(text);
}

void log_line(const char *line, size_t len)
{
	emit(line, len, true);
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
