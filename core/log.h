/*
 * Node log. Five levels; the macro checks the level before evaluating any
 * argument, so disabled debug lines cost one compare. Each record carries
 * time, node id, thread (actor) name, a stable upper-case message id such as
 * "AIS-META-STALE", and the text. Writes are single write(2) calls of a whole
 * line, so concurrent threads never interleave within a record.
 */
#ifndef AIS_CORE_LOG_H
#define AIS_CORE_LOG_H

#include <stdarg.h>

enum {
	AIS_LOG_ERR = 0,
	AIS_LOG_WARN,
	AIS_LOG_NOTICE,
	AIS_LOG_INFO,
	AIS_LOG_DEBUG,
};

extern int ais_log_level;

/* Opens the log: path NULL means stderr. Not thread-safe; call at startup. */
int ais_log_open(const char *path);
void ais_log_close(void);
/* Sets the node id printed in every record (copied). */
void ais_log_set_node(const char *node_id);
/* Names the calling thread in its records (copied, thread-local). */
void ais_log_set_thread(const char *name);

void ais_log_write(int level, const char *msgid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ais_log(lvl, msgid, ...)                                           \
	do {                                                               \
		if ((lvl) <= ais_log_level) {                              \
			ais_log_write((lvl), (msgid), __VA_ARGS__);        \
		}                                                          \
	} while (0)

#define AIS_LOGE(msgid, ...) ais_log(AIS_LOG_ERR, msgid, __VA_ARGS__)
#define AIS_LOGW(msgid, ...) ais_log(AIS_LOG_WARN, msgid, __VA_ARGS__)
#define AIS_LOGN(msgid, ...) ais_log(AIS_LOG_NOTICE, msgid, __VA_ARGS__)
#define AIS_LOGI(msgid, ...) ais_log(AIS_LOG_INFO, msgid, __VA_ARGS__)
#define AIS_LOGD(msgid, ...) ais_log(AIS_LOG_DEBUG, msgid, __VA_ARGS__)

#endif
