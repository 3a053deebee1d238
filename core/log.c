/* Node log: one formatted line per record, written with a single write(2). */
#include "core/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ais_log_level = AIS_LOG_INFO;

static int ais_log_fd = 2;
static char ais_log_node[40] = "-";
static _Thread_local char ais_log_thread[24] = "main";

static const char ais_log_tags[] = "EWNID";

int
ais_log_open(const char *path)
{
	if (path == NULL) {
		ais_log_fd = 2;
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		return -1;
	}
	ais_log_fd = fd;
	return 0;
}

void
ais_log_close(void)
{
	if (ais_log_fd > 2) {
		close(ais_log_fd);
	}
	ais_log_fd = 2;
}

void
ais_log_set_node(const char *node_id)
{
	snprintf(ais_log_node, sizeof(ais_log_node), "%s", node_id);
}

void
ais_log_set_thread(const char *name)
{
	snprintf(ais_log_thread, sizeof(ais_log_thread), "%s", name);
}

void
ais_log_write(int level, const char *msgid, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (level < 0 || level > AIS_LOG_DEBUG) {
		level = AIS_LOG_ERR;
	}
	int n = snprintf(line, sizeof(line),
	    "%c %02d:%02d:%02d.%06ld %s [%s] %s: ", ais_log_tags[level],
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, ais_log_node,
	    ais_log_thread, msgid);
	if (n < 0) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
	if (len > sizeof(line) - 2) {
		len = sizeof(line) - 2;
	}
	line[len++] = '\n';
	ssize_t w = write(ais_log_fd, line, len);
	(void) w; /* nowhere to report a failed log write */
}
