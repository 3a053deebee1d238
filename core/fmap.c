/*
 * Mapped files with a SIGBUS guard (fmap.h).
 *
 * The guard is a thread-local jump buffer armed around each memcpy. The
 * process-wide SIGBUS handler jumps back to it when the fault happened on
 * a thread with the guard armed; otherwise it puts the previous
 * disposition back and returns, so the faulting instruction runs again
 * and the signal does what it would have done without us. Every open
 * checks that the handler is still ours (a test harness, for one,
 * installs its own per test) and puts it back if not.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fmap.h"

static _Thread_local sigjmp_buf *fmap_guard;
static struct sigaction fmap_prev;
static pthread_mutex_t fmap_mu = PTHREAD_MUTEX_INITIALIZER;

static void
fmap_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void) si;
	(void) uc;
	if (fmap_guard != NULL) {
		siglongjmp(*fmap_guard, 1);
	}
	/* not ours: the next fault gets the old disposition */
	sigaction(sig, &fmap_prev, NULL);
}

static void
fmap_install(void)
{
	struct sigaction sa, cur;

	pthread_mutex_lock(&fmap_mu);
	if (sigaction(SIGBUS, NULL, &cur) == 0
	    && !((cur.sa_flags & SA_SIGINFO)
	        && cur.sa_sigaction == fmap_on_sigbus)) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = fmap_on_sigbus;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, &fmap_prev);
	}
	pthread_mutex_unlock(&fmap_mu);
}

ais_err
ais_fmap_open(ais_fmap *m, const char *path)
{
	struct stat st;
	void *p;
	int fd;

	memset(m, 0, sizeof(*m));
	fmap_install();
	/* reads should not dirty inodes with atime updates (owner or root
	 * only: fall back without) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		return ais_err_from_errno(errno);
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return ais_err_from_errno(e);
	}
	if (st.st_size > 0) {
		p = mmap(
		    NULL, (size_t) st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			int e = errno;

			close(fd);
			return ais_err_from_errno(e);
		}
		m->p = p;
		m->len = (uint64_t) st.st_size;
	}
	close(fd);
	return AIS_OK;
}

void
ais_fmap_close(ais_fmap *m)
{
	if (m->p != NULL) {
		munmap((void *) (uintptr_t) m->p, (size_t) m->len);
	}
	m->p = NULL;
	m->len = 0;
}

ais_err
ais_fmap_copy(const ais_fmap *m, uint64_t off, void *dst, size_t len)
{
	sigjmp_buf jb;

	if (len == 0) {
		return AIS_OK;
	}
	if (m->p == NULL || off > m->len || len > m->len - off) {
		return AIS_EIO;
	}
	if (sigsetjmp(jb, 0) != 0) {
		fmap_guard = NULL;
		return AIS_EIO; /* the file shrank under the mapping */
	}
	fmap_guard = &jb;
	memcpy(dst, m->p + off, len);
	fmap_guard = NULL;
	return AIS_OK;
}
