/*
 * The route table of the native API. One entry per /v1 resource, looked up
 * by a linear scan: there are a dozen resources at most, compared once per
 * request, so a hash would only add code. New resources (buckets, objects,
 * ...) are a line here plus their h_<resource>.c.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

static const http_route http_routes[] = {
	{ "health", HTTP_M_GET | HTTP_M_HEAD, false, http_h_health },
	{ "daemon", HTTP_M_GET | HTTP_M_PUT | HTTP_M_POST | HTTP_M_DELETE,
	    true, http_h_daemon },
	{ "reverse", HTTP_M_GET | HTTP_M_PUT | HTTP_M_POST | HTTP_M_DELETE,
	    true, http_h_reverse },
	{ "cluster", HTTP_M_GET | HTTP_M_PUT | HTTP_M_POST, true,
	    http_h_cluster },
	{ "buckets",
	    HTTP_M_GET | HTTP_M_HEAD | HTTP_M_PUT | HTTP_M_POST | HTTP_M_DELETE |
		HTTP_M_PATCH,
	    true, http_h_buckets },
	{ "objects",
	    HTTP_M_GET | HTTP_M_HEAD | HTTP_M_PUT | HTTP_M_POST | HTTP_M_DELETE |
		HTTP_M_PATCH,
	    true, http_h_objects },
	{ "xactions", HTTP_M_GET | HTTP_M_PUT | HTTP_M_DELETE, true,
	    http_h_xactions },
	{ "sort", HTTP_M_GET | HTTP_M_POST | HTTP_M_DELETE, true,
	    http_h_sort },
};

/* Bit order of the mask is the order Allow lists them in. */
static const char *const http_method_names[] = {
	"GET",
	"HEAD",
	"PUT",
	"POST",
	"DELETE",
	"PATCH",
	"OPTIONS",
};

#define HTTP_NMETHODS                                                         \
	(sizeof(http_method_names) / sizeof(http_method_names[0]))

http_method
http_method_parse(const char *s)
{
	if (s == NULL) {
		return HTTP_M_OTHER;
	}
	for (size_t i = 0; i < HTTP_NMETHODS; i++) {
		if (strcmp(s, http_method_names[i]) == 0) {
			return (http_method) (1u << i);
		}
	}
	return HTTP_M_OTHER;
}

const char *
http_method_name(http_method m)
{
	for (size_t i = 0; i < HTTP_NMETHODS; i++) {
		if ((unsigned) m == (1u << i)) {
			return http_method_names[i];
		}
	}
	return "";
}

size_t
http_allow_fmt(unsigned mask, char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0) {
		return 0;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < HTTP_NMETHODS; i++) {
		int w;

		if ((mask & (1u << i)) == 0) {
			continue;
		}
		w = snprintf(buf + n, len - n, "%s%s", n == 0 ? "" : ", ",
		    http_method_names[i]);
		if (w < 0 || (size_t) w >= len - n) {
			return strlen(buf); /* truncated */
		}
		n += (size_t) w;
	}
	return n;
}

/* The S3 API lives beside /v1 at /s3 (spec s3-api.md section 1); its own
 * dispatcher (http/s3) tells operations apart by method, path and query. */
static const http_route http_s3_route = { "s3",
	HTTP_M_GET | HTTP_M_HEAD | HTTP_M_PUT | HTTP_M_POST | HTTP_M_DELETE,
	true, http_h_s3 };

http_route_res
http_route_s3(http_method m, const http_route **out)
{
	*out = &http_s3_route;
	return (http_s3_route.methods & (unsigned) m) != 0
	    ? HTTP_ROUTE_OK
	    : HTTP_ROUTE_BAD_METHOD;
}

http_route_res
http_route_match(const http_path *p, http_method m, const http_route **out)
{
	*out = NULL;
	if (p->nsegs >= 1 && strcmp(p->segs[0], "s3") == 0) {
		return http_route_s3(m, out);
	}
	if (p->nsegs < 2 || strcmp(p->segs[0], "v1") != 0) {
		return HTTP_ROUTE_NOT_FOUND;
	}
	for (size_t i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]);
	     i++) {
		const http_route *rt = &http_routes[i];

		if (strcmp(p->segs[1], rt->resource) != 0) {
			continue;
		}
		if (p->nsegs > 2 && !rt->rest) {
			return HTTP_ROUTE_NOT_FOUND;
		}
		*out = rt;
		if ((rt->methods & (unsigned) m) == 0) {
			return HTTP_ROUTE_BAD_METHOD;
		}
		return HTTP_ROUTE_OK;
	}
	return HTTP_ROUTE_NOT_FOUND;
}
