#include <dlfcn.h>
#include <stdbool.h>

#include "util/curl.h"

static struct curl_api api;
static bool loaded;

static void *sym(void *lib, const char *name, bool *ok)
{
	void *p = dlsym(lib, name);
	*ok &= p != NULL;
	return p;
}

const struct curl_api *curl_api_get(struct berth_error **err)
{
	void *lib;
	bool ok = true;

	if (loaded)
		return &api;
	lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		berth_error_set(err, 0, "cannot load libcurl: %s", dlerror());
		return NULL;
	}
	*(void **)&api.easy_init = sym(lib, "curl_easy_init", &ok);
	*(void **)&api.easy_setopt = sym(lib, "curl_easy_setopt", &ok);
	*(void **)&api.easy_perform = sym(lib, "curl_easy_perform", &ok);
	*(void **)&api.easy_getinfo = sym(lib, "curl_easy_getinfo", &ok);
	*(void **)&api.easy_cleanup = sym(lib, "curl_easy_cleanup", &ok);
	*(void **)&api.easy_strerror = sym(lib, "curl_easy_strerror", &ok);
	if (!ok) {
		berth_error_set(err, 0, "cannot load libcurl: %s", dlerror());
		dlclose(lib);
		return NULL;
	}
	loaded = true;
	return &api;
}
