/*
 * libcurl, loaded on first use. Linking it would load some thirty libraries
 * (TLS, Kerberos, LDAP, ...) and their constructors at every berth start —
 * about 10 ms, a fifth of `berth run`. Only commands that fetch pay for it.
 */
#ifndef BERTH_UTIL_CURL_H
#define BERTH_UTIL_CURL_H

#include <curl/curl.h>

#include "util/error.h"

struct curl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode code);
};

/* The loaded API (static storage), or NULL when libcurl cannot be loaded. */
const struct curl_api *curl_api_get(struct berth_error **err);

#endif
