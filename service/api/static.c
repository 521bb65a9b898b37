/* The web UI: every file under the web folder is read into memory at start-up, so serving
 * does no disk I/O on a loop thread and no request path can name a file outside the set. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "core/log.h"

#define STATIC_MAX_FILES 512
#define STATIC_MAX_BYTES (32 * 1024 * 1024)

struct static_file {
	char *path; /* "/index.html" */
	char *data;
	size_t len;
	const char *type;
};

static struct static_file files[STATIC_MAX_FILES];
static int nfiles;
static size_t total_bytes;

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".json", "application/json; charset=utf-8"},
		{".csv", "text/csv; charset=utf-8"},
		{".txt", "text/plain; charset=utf-8"},
		{".woff2", "font/woff2"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static bool load_dir(const char *root, const char *rel)
{
	char dirpath[4096];
	snprintf(dirpath, sizeof dirpath, "%s%s", root, rel);
	DIR *d = opendir(dirpath);
	if (!d)
		return false;
	struct dirent *e;
	bool ok = true;
	while (ok && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char relpath[4096], full[8192];
		snprintf(relpath, sizeof relpath, "%s/%s", rel, e->d_name);
		snprintf(full, sizeof full, "%s%s", root, relpath);
		struct stat st;
		if (lstat(full, &st) != 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode)) {
			ok = load_dir(root, relpath);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (nfiles >= STATIC_MAX_FILES || total_bytes + (size_t)st.st_size > STATIC_MAX_BYTES) {
			log_error("the web folder is too large (at most %d files, %d bytes)", STATIC_MAX_FILES,
				  STATIC_MAX_BYTES);
			ok = false;
			break;
		}
		FILE *f = fopen(full, "rb");
		char *data = malloc((size_t)st.st_size + 1);
		if (!f || !data || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
			if (f)
				fclose(f);
			free(data);
			log_error("cannot read %s", full);
			ok = false;
			break;
		}
		fclose(f);
		files[nfiles++] =
			(struct static_file){strdup(relpath), data, (size_t)st.st_size, content_type(e->d_name)};
		total_bytes += (size_t)st.st_size;
	}
	closedir(d);
	return ok;
}

bool static_load(const char *dir)
{
	if (!load_dir(dir, "")) {
		log_warning("web UI folder %s not loaded; only the API is served", dir);
		return true; /* the API works without the UI */
	}
	log_json(LOG_INFO, json_pack("{s:s,s:s,s:i}", "msg", "web UI loaded", "dir", dir, "files", nfiles));
	return true;
}

void static_serve(struct req *r)
{
	const char *method = req_method_name(r);
	const char *path = strcmp(r->path, "/") == 0 ? "/index.html" : r->path;
	const struct static_file *f = NULL;
	for (int i = 0; i < nfiles && !f; i++)
		if (!strcmp(files[i].path, path))
			f = &files[i];
	if (!f) {
		req_reply_error(r, 404, "not_found", "no such resource");
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		req_reply_error(r, 405, "method_not_allowed", "%s is not allowed here", method);
		return;
	}
	req_add_header(r, "Cache-Control", "no-cache");
	req_add_header(r, "Content-Security-Policy",
		       "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
		       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
		       "frame-ancestors 'none'");
	req_add_header(r, "X-Frame-Options", "DENY");
	req_reply(r, 200, f->type, f->data, f->len);
}
