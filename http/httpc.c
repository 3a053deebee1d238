/*
 * Intra-cluster HTTP fan-out on libcurl's multi interface: every request of
 * a batch gets an easy handle, all run on one multi handle driven by
 * curl_multi_poll until done or the deadline passes. Bodies accumulate in
 * a growing buffer capped at the request's bound (the write callback
 * refuses more, which aborts that transfer with an error).
 */
#include "http/httpc.h"

#include <jansson.h>

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct http_cxfer {
	http_creq *req;
	CURL *easy;
	struct curl_slist *hdrs;
	size_t cap;
	bool too_big;
	bool nomem;
	bool done;
} http_cxfer;

static size_t
http_client_write(char *data, size_t size, size_t nmemb, void *arg)
{
	http_cxfer *x = arg;
	http_creq *r = x->req;
	size_t n = size * nmemb;
	size_t bound = r->max_resp == 0 ? HTTP_CLIENT_RESP_MAX : r->max_resp;

	if (n > bound - r->resp_len || r->resp_len > bound) {
		x->too_big = true;
		return 0;
	}
	if (r->resp_len + n + 1 > x->cap) {
		size_t cap = x->cap == 0 ? 16384 : x->cap;
		char *nb;

		while (cap < r->resp_len + n + 1) {
			cap *= 2;
		}
		nb = realloc(r->resp, cap);
		if (nb == NULL) {
			x->nomem = true;
			return 0;
		}
		r->resp = nb;
		x->cap = cap;
	}
	memcpy(r->resp + r->resp_len, data, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return n;
}

static int64_t
http_client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static ais_err
http_client_setup(http_cxfer *x, int timeout_ms)
{
	http_creq *r = x->req;
	CURL *e = curl_easy_init();

	if (e == NULL) {
		return AIS_ENOMEM;
	}
	x->easy = e;
	/* No "Expect: 100-continue" round trip for PUT bodies. */
	x->hdrs = curl_slist_append(NULL, "Expect:");
	if (x->hdrs == NULL) {
		return AIS_ENOMEM;
	}
	if (r->body != NULL) {
		struct curl_slist *l = curl_slist_append(
		    x->hdrs, "Content-Type: application/json");
		if (l == NULL) {
			return AIS_ENOMEM;
		}
		x->hdrs = l;
	}
	for (size_t i = 0; i < HTTP_CLIENT_HDRS_MAX && r->hdrs[i] != NULL;
	     i++) {
		struct curl_slist *l = curl_slist_append(x->hdrs, r->hdrs[i]);
		if (l == NULL) {
			return AIS_ENOMEM;
		}
		x->hdrs = l;
	}
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	}
	if (r->body != NULL) {
		/* With CUSTOMREQUEST the body goes out with any method,
		 * GET included (AIS sends bodies with GET). */
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(
		    e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) r->body_len);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_client_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long) (timeout_ms < 5000 ? timeout_ms : 5000));
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	return AIS_OK;
}

static void
http_client_result(http_cxfer *x, CURLcode rc)
{
	http_creq *r = x->req;
	long status = 0;
	char *ct = NULL;

	x->done = true;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct)
		        == CURLE_OK
		    && ct != NULL) {
			snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
		}
		r->status = (int) status;
		r->err = AIS_OK;
		return;
	}
	if (x->too_big) {
		r->err = AIS_EPROTO;
		snprintf(r->errmsg, sizeof(r->errmsg),
		    "%s %s: response larger than %zu bytes", r->method, r->url,
		    r->max_resp == 0 ? (size_t) HTTP_CLIENT_RESP_MAX
		                     : r->max_resp);
	} else if (x->nomem) {
		r->err = AIS_ENOMEM;
		snprintf(r->errmsg, sizeof(r->errmsg), "%s %s: out of memory",
		    r->method, r->url);
	} else {
		r->err
		    = rc == CURLE_OPERATION_TIMEDOUT ? AIS_ETIMEDOUT : AIS_EIO;
		snprintf(r->errmsg, sizeof(r->errmsg), "%s %s: %s", r->method,
		    r->url, curl_easy_strerror(rc));
	}
	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
}

ais_err
http_client_run(http_creq *reqs, size_t n, int timeout_ms)
{
	CURLM *multi = NULL;
	http_cxfer *xs = NULL;
	ais_err err = AIS_OK;
	int64_t deadline;
	int running = 0;

	for (size_t i = 0; i < n; i++) {
		reqs[i].status = 0;
		reqs[i].err = AIS_ETIMEDOUT;
		reqs[i].errmsg[0] = '\0';
		reqs[i].resp = NULL;
		reqs[i].resp_len = 0;
		reqs[i].ctype[0] = '\0';
	}
	if (n == 0) {
		return AIS_OK;
	}
	if (timeout_ms <= 0) {
		timeout_ms = 1;
	}
	xs = calloc(n, sizeof(*xs));
	multi = curl_multi_init();
	if (xs == NULL || multi == NULL) {
		err = AIS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		xs[i].req = &reqs[i];
		err = http_client_setup(&xs[i], timeout_ms);
		if (err != AIS_OK
		    || curl_multi_add_handle(multi, xs[i].easy) != CURLM_OK) {
			err = AIS_ENOMEM;
			goto out;
		}
	}
	deadline = http_client_now_ms() + timeout_ms;
	do {
		CURLMcode mc = curl_multi_perform(multi, &running);
		CURLMsg *m;
		int left;

		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			char *priv = NULL;

			if (m->msg != CURLMSG_DONE) {
				continue;
			}
			curl_easy_getinfo(
			    m->easy_handle, CURLINFO_PRIVATE, &priv);
			if (priv != NULL) {
				http_client_result(
				    (http_cxfer *) (void *) priv,
				    m->data.result);
			}
		}
		if (mc != CURLM_OK || running == 0) {
			break;
		}
		if (http_client_now_ms() >= deadline) {
			break;
		}
		curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running > 0);
	for (size_t i = 0; i < n; i++) {
		if (!xs[i].done) {
			http_creq *r = &reqs[i];

			r->err = AIS_ETIMEDOUT;
			snprintf(r->errmsg, sizeof(r->errmsg),
			    "%s %s: timed out after %d ms", r->method, r->url,
			    timeout_ms);
			free(r->resp);
			r->resp = NULL;
			r->resp_len = 0;
		}
	}
out:
	if (xs != NULL) {
		for (size_t i = 0; i < n; i++) {
			if (xs[i].easy != NULL) {
				if (multi != NULL) {
					curl_multi_remove_handle(
					    multi, xs[i].easy);
				}
				curl_easy_cleanup(xs[i].easy);
			}
			curl_slist_free_all(xs[i].hdrs);
		}
	}
	if (multi != NULL) {
		curl_multi_cleanup(multi);
	}
	if (err != AIS_OK) {
		for (size_t i = 0; i < n; i++) {
			http_creq_fini(&reqs[i]);
			reqs[i].err = err;
		}
	}
	free(xs);
	return err;
}

void
http_creq_fini(http_creq *r)
{
	if (r == NULL) {
		return;
	}
	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
}

void
http_creq_errmsg(const http_creq *r, char *buf, size_t len)
{
	json_t *j;

	if (r->err != AIS_OK) {
		snprintf(buf, len, "%s", r->errmsg);
		return;
	}
	if (r->resp != NULL && r->resp_len > 0) {
		j = json_loadb(r->resp, r->resp_len, 0, NULL);
		if (json_is_object(j)
		    && json_is_string(json_object_get(j, "message"))) {
			snprintf(buf, len, "%s",
			    json_string_value(json_object_get(j, "message")));
			json_decref(j);
			return;
		}
		json_decref(j);
		snprintf(buf, len, "%.*s",
		    (int) (r->resp_len > 300 ? 300 : r->resp_len), r->resp);
		return;
	}
	snprintf(buf, len, "%s %s: status %d", r->method, r->url, r->status);
}

bool
http_client_escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		    || (c >= '0' && c <= '9') || c == '-' || c == '.'
		    || c == '_' || c == '~';

		if (n + (plain ? 1 : 3) + 1 > len) {
			return false;
		}
		if (plain) {
			buf[n++] = (char) c;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	if (len == 0) {
		return false;
	}
	buf[n] = '\0';
	return true;
}

ais_err
http_fanout_run(ais_node *node, const char *method, const char *path_query,
    const char *body, size_t body_len, const char *const *hdrs, int timeout_ms,
    http_fanout *f)
{
	ais_smap *smap;
	size_t n;
	ais_err err;

	memset(f, 0, sizeof(*f));
	smap = ais_node_smap(node);
	if (smap == NULL) {
		return AIS_EAGAIN;
	}
	f->smap = smap;
	n = smap->ntargets;
	f->n = n;
	f->reqs = calloc(n == 0 ? 1 : n, sizeof(*f->reqs));
	f->urls = calloc(n == 0 ? 1 : n, sizeof(*f->urls));
	if (f->reqs == NULL || f->urls == NULL) {
		http_fanout_fini(f);
		return AIS_ENOMEM;
	}
	snprintf(f->caller[0], sizeof(f->caller[0]), "Ais-Caller-Id: %s",
	    node->self.id);
	snprintf(f->caller[1], sizeof(f->caller[1]), "Ais-Caller-Name: %s",
	    node->self.id);
	for (size_t i = 0; i < n; i++) {
		http_creq *q = &f->reqs[i];
		size_t k = 0;
		size_t ul = strlen(smap->targets[i].pub.url)
		    + strlen(path_query) + 1;

		f->urls[i] = malloc(ul);
		if (f->urls[i] == NULL) {
			http_fanout_fini(f);
			return AIS_ENOMEM;
		}
		snprintf(f->urls[i], ul, "%s%s", smap->targets[i].pub.url,
		    path_query);
		q->method = method;
		q->url = f->urls[i];
		q->body = body;
		q->body_len = body_len;
		q->hdrs[k++] = f->caller[0];
		q->hdrs[k++] = f->caller[1];
		for (size_t h = 0; hdrs != NULL && hdrs[h] != NULL
		     && k < HTTP_CLIENT_HDRS_MAX;
		     h++) {
			q->hdrs[k++] = hdrs[h];
		}
		q->hdrs[k] = NULL;
	}
	err = http_client_run(f->reqs, n, timeout_ms);
	if (err != AIS_OK) {
		http_fanout_fini(f);
	}
	return err;
}

void
http_fanout_fini(http_fanout *f)
{
	if (f == NULL) {
		return;
	}
	for (size_t i = 0; i < f->n; i++) {
		if (f->reqs != NULL) {
			http_creq_fini(&f->reqs[i]);
		}
		if (f->urls != NULL) {
			free(f->urls[i]);
		}
	}
	free(f->reqs);
	free(f->urls);
	ais_smap_rele(f->smap);
	memset(f, 0, sizeof(*f));
}
