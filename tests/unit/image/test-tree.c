/*
 * Unit tests for the image views (src/image/tree.c, src/image/dockerfile.c):
 * the layer forest as text and DOT, and Dockerfiles rebuilt from histories
 * of imports, commits, classic and BuildKit builds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "image/tree.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define R32(x) x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x
#define ID(x)  "sha256:" R32(x)

/* Layers (chain IDs) and images (config IDs) whose short forms are easy to read. */
#define L1 ID("11")
#define L2 ID("22")
#define L3 ID("33")
#define L4 ID("44")
#define L5 ID("55")
#define L6 ID("66")
#define L7 ID("77")

#define IMG(id_, created_, size_, layers_, tags_)                                                  \
	{                                                                                          \
		.id = (id_), .config = (char *)"{}", .created = (created_), .size = (size_),       \
		.layers = (char *[])layers_, .tags = (char *[])tags_,                              \
	}
#define LIST(...)                                                                                  \
	{                                                                                          \
		__VA_ARGS__, NULL                                                                  \
	}
#define NONE                                                                                       \
	{                                                                                          \
		NULL                                                                               \
	}

/*
 * busybox and a6 share the layer L1 (two imports of one rootfs); app:1 and
 * its untagged child stack on it; other:latest beside them; app:2 sits over
 * a layer no image has (L6); e5 is a root of its own, a8 has no layer.
 */
static struct store_image forest[] = {
	IMG(ID("a1"), 1, 1000, LIST(L1), LIST("docker.io/library/busybox:latest")),
	IMG(ID("a2"), 2, 1500, LIST(L1, L2), LIST("docker.io/library/app:1")),
	IMG(ID("a3"), 3, 1600, LIST(L1, L2, L3), NONE),
	IMG(ID("a4"), 4, 3000000, LIST(L1, L4),
	    LIST("docker.io/library/other:latest", "localhost:5000/x/y:2")),
	IMG(ID("e5"), 0, 0, LIST(L5), NONE),
	IMG(ID("a6"), 5, 1000, LIST(L1), NONE),
	IMG(ID("a7"), 7, 1150, LIST(L1, L6, L7), LIST("docker.io/library/app:2")),
	IMG(ID("a8"), 8, 0, NONE, LIST("docker.io/library/empty:latest")),
};

static struct store_image **forest_list(void)
{
	static struct store_image *v[ARRAY_SIZE(forest) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(forest); i++)
		v[ARRAY_SIZE(forest) - 1 - i] = &forest[i]; /* newest first, as the store lists */
	return v;
}

static long long bare_layer_size(const char *chain_id, void *userdata)
{
	int *calls = userdata;

	(*calls)++;
	return strcmp(chain_id, L6) == 0 ? 100 : -1;
}

static char *format(const struct image_tree *t, unsigned flags, bool dot)
{
	struct strbuf sb = STRBUF_INIT;

	if (dot)
		image_tree_format_dot(t, flags, &sb);
	else
		image_tree_format_text(t, flags, &sb);
	return strbuf_detach(&sb);
}

static void test_tree_text(void **state)
{
	_cleanup_(image_tree_freep) struct image_tree *t = NULL;
	_cleanup_free_ char *text = NULL;
	int calls = 0;

	(void)state;
	t = image_tree_build(forest_list(), bare_layer_size, &calls);
	assert_int_equal(calls, 1); /* only L6 has no image to tell its size */
	assert_int_equal(t->n_roots, 3);
	assert_int_equal(t->n_nodes, 8);
	text = format(t, 0, false);
	assert_string_equal(text,
			    "├─e5e5e5e5e5e5 Size: 0 B (virtual 0 B) Tags: <none>:<none>\n"
			    "├─111111111111 Size: 1 kB (virtual 1 kB)\n"
			    "│ ├─a1a1a1a1a1a1 Size: 0 B (virtual 1 kB) Tags: busybox:latest\n"
			    "│ ├─a6a6a6a6a6a6 Size: 0 B (virtual 1 kB) Tags: <none>:<none>\n"
			    "│ ├─a2a2a2a2a2a2 Size: 500 B (virtual 1.5 kB) Tags: app:1\n"
			    "│ │ └─a3a3a3a3a3a3 Size: 100 B (virtual 1.6 kB) Tags: <none>:<none>\n"
			    "│ ├─a4a4a4a4a4a4 Size: 2.999 MB (virtual 3 MB) Tags: other:latest, "
			    "localhost:5000/x/y:2\n"
			    "│ └─666666666666 Size: 100 B (virtual 1.1 kB)\n"
			    "│   └─a7a7a7a7a7a7 Size: 50 B (virtual 1.15 kB) Tags: app:2\n"
			    "└─a8a8a8a8a8a8 Size: 0 B (virtual 0 B) Tags: empty:latest\n");
}

static void test_tree_no_trunc_and_focus(void **state)
{
	_cleanup_(image_tree_freep) struct image_tree *t = NULL;
	_cleanup_free_ char *text = NULL, *full = NULL;

	(void)state;
	t = image_tree_build(forest_list(), NULL, NULL);
	assert_false(image_tree_focus(t, ID("ff")));
	assert_true(image_tree_focus(t, ID("a2")));
	text = format(t, 0, false);
	/* the ancestors and descendants of app:1 */
	assert_string_equal(
		text, "└─111111111111 Size: 1 kB (virtual 1 kB)\n"
		      "  ├─a1a1a1a1a1a1 Size: 0 B (virtual 1 kB) Tags: busybox:latest\n"
		      "  ├─a6a6a6a6a6a6 Size: 0 B (virtual 1 kB) Tags: <none>:<none>\n"
		      "  └─a2a2a2a2a2a2 Size: 500 B (virtual 1.5 kB) Tags: app:1\n"
		      "    └─a3a3a3a3a3a3 Size: 100 B (virtual 1.6 kB) Tags: <none>:<none>\n");
	assert_true(image_tree_focus(t, ID("a8")));
	full = format(t, IMAGE_TREE_NO_TRUNC, false);
	assert_non_null(
		strstr(full, "└─" ID("a8") " Size: 0 B (virtual 0 B) Tags: empty:latest\n"));
	assert_non_null(strstr(full, "├─" L1 " Size: 1 kB"));
	assert_null(strstr(full, ID("a4")));
}

static void test_tree_dot(void **state)
{
	struct store_image imgs[] = {
		IMG(ID("a1"), 1, 1000, LIST(L1), LIST("docker.io/library/busybox:latest")),
		IMG(ID("a2"), 2, 1500, LIST(L1, L2), NONE),
		IMG(ID("a3"), 3, 2000, LIST(L1, L3), LIST("docker.io/library/a:1", "b:2")),
	};
	struct store_image *list[] = {&imgs[2], &imgs[0], &imgs[1], NULL};
	_cleanup_(image_tree_freep) struct image_tree *t = image_tree_build(list, NULL, NULL);
	_cleanup_free_ char *dot = format(t, 0, true);

	(void)state;
	assert_string_equal(
		dot,
		"digraph docker {\n"
		" base -> \"a1a1a1a1a1a1\" [style=invis]\n"
		" \"a1a1a1a1a1a1\" [label=\"a1a1a1a1a1a1\\nSize: 1 kB (virtual 1 kB)\\n"
		"busybox:latest\",shape=box,fillcolor=\"paleturquoise\","
		"style=\"filled,rounded\"];\n"
		" \"a1a1a1a1a1a1\" -> \"a2a2a2a2a2a2\"\n"
		" \"a2a2a2a2a2a2\" [label=\"a2a2a2a2a2a2\\nSize: 500 B (virtual 1.5 kB)\\n"
		"<none>:<none>\",shape=box,style=\"rounded\"];\n"
		" \"a1a1a1a1a1a1\" -> \"a3a3a3a3a3a3\"\n"
		" \"a3a3a3a3a3a3\" [label=\"a3a3a3a3a3a3\\nSize: 1 kB (virtual 2 kB)\\n"
		"a:1\\nb:2\",shape=box,fillcolor=\"paleturquoise\",style=\"filled,rounded\"];\n"
		" base [style=invis]\n"
		"}\n");
}

static void test_tree_dot_shared_layer(void **state)
{
	_cleanup_(image_tree_freep) struct image_tree *t =
		image_tree_build(forest_list(), NULL, NULL);
	_cleanup_free_ char *dot = format(t, 0, true);

	(void)state;
	/* two images on L1: a node for the layer, one for each image */
	assert_non_null(strstr(
		dot, " \"111111111111\" [label=\"111111111111\\nSize: 1 kB (virtual 1 kB)\"];\n"
		     " \"111111111111\" -> \"a1a1a1a1a1a1\"\n"));
	assert_non_null(strstr(dot, " \"111111111111\" -> \"a6a6a6a6a6a6\"\n"));
	assert_non_null(strstr(dot, " \"111111111111\" -> \"a2a2a2a2a2a2\"\n"));
	assert_non_null(strstr(dot, " \"a2a2a2a2a2a2\" -> \"a3a3a3a3a3a3\"\n"));
	assert_non_null(strstr(dot, " base -> \"e5e5e5e5e5e5\" [style=invis]\n"));
	assert_non_null(strstr(dot, " base -> \"a8a8a8a8a8a8\" [style=invis]\n"));
	assert_non_null(strstr(dot, "\\nother:latest\\nlocalhost:5000/x/y:2\","));
}

static void test_tree_empty(void **state)
{
	struct store_image *none[] = {NULL};
	_cleanup_(image_tree_freep) struct image_tree *t = image_tree_build(none, NULL, NULL);
	_cleanup_free_ char *text = format(t, 0, false), *dot = format(t, 0, true);

	(void)state;
	assert_string_equal(text, "");
	assert_string_equal(dot, "digraph docker {\n base [style=invis]\n}\n");
	image_tree_free(NULL);
}

/* ---- Dockerfiles */

/* JSON written with ' for " so that the configs below stay readable. */
static char *json_text(const char *s)
{
	char *j = xstrdup(s);

	for (char *p = j; *p; p++)
		if (*p == '\'')
			*p = '"';
	return j;
}

#define IMPORT_ENTRY "{'created':'2026-11-29T10:00:00Z','comment':'Imported from -'}"
#define ROOTFS(ids)  "'rootfs':{'type':'layers','diff_ids':[" ids "]}"
#define D1	     "'" ID("d1") "'"
#define D2	     "'" ID("d2") "'"
#define D3	     "'" ID("d3") "'"

struct df_image {
	const char *id;
	const char *config; /* with ' for " */
	char **layers;
	char **tags;
};

/* The Dockerfile of the first image, with all of them as candidate parents. */
static char *dockerfile(const struct df_image *spec, size_t n)
{
	struct store_image imgs[8];
	struct store_image *list[9] = {NULL};
	_cleanup_error_ struct berth_error *err = NULL;
	struct strbuf sb = STRBUF_INIT;

	assert_true(n < 8);
	for (size_t i = 0; i < n; i++) {
		imgs[i] = (struct store_image){.id = (char *)spec[i].id,
					       .config = json_text(spec[i].config),
					       .layers = spec[i].layers,
					       .tags = spec[i].tags};
		list[i] = &imgs[i];
	}
	assert_int_equal(image_dockerfile(&imgs[0], list, &sb, &err), 0);
	for (size_t i = 0; i < n; i++)
		free(imgs[i].config);
	return strbuf_detach(&sb);
}

static void test_dockerfile_import(void **state)
{
	struct df_image imgs[] = {
		{ID("a1"),
		 "{'config':{'Cmd':['cat','/new'],'Env':['A=1','B=two words','C=$HOME'],"
		 "'ExposedPorts':{'443/tcp':{},'80/tcp':{}},'Volumes':{'/data':{}},"
		 "'WorkingDir':'/srv','User':'nobody','Labels':{'k':'v','a b':'say \\'hi\\''},"
		 "'StopSignal':'SIGINT','Entrypoint':['/bin/sh','-c'],'OnBuild':['RUN true']},"
		 "'history':[" IMPORT_ENTRY "]," ROOTFS(D1) "}",
		 (char *[]){L1, NULL}, (char *[]){"docker.io/library/x:latest", NULL}},
	};
	_cleanup_free_ char *df = dockerfile(imgs, 1);

	(void)state;
	assert_string_equal(df, "FROM scratch\n"
				"# Imported from -\n"
				"ADD file:d1d1d1d1d1d1 /\n"
				"ENV A=1\n"
				"ENV B=\"two words\"\n"
				"ENV C=\"\\$HOME\"\n"
				"LABEL \"a b\"=\"say \\\"hi\\\"\"\n"
				"LABEL k=\"v\"\n"
				"EXPOSE 443/tcp 80/tcp\n"
				"VOLUME [\"/data\"]\n"
				"WORKDIR /srv\n"
				"USER nobody\n"
				"STOPSIGNAL SIGINT\n"
				"ONBUILD RUN true\n"
				"ENTRYPOINT [\"/bin/sh\",\"-c\"]\n"
				"CMD [\"cat\",\"/new\"]\n");
}

#define BUSYBOX                                                                                    \
	{                                                                                          \
		ID("b0"), "{'config':{},'history':[" IMPORT_ENTRY "]," ROOTFS(D1) "}",             \
			(char *[]){L1, NULL}, (char *[])                                           \
		{                                                                                  \
			"docker.io/library/busybox:latest", NULL                                   \
		}                                                                                  \
	}

/* Docker 20.10's classic builder (the reference fixture-build:classic) */
static void test_dockerfile_classic(void **state)
{
	struct df_image imgs[] = {
		{ID("c1"),
		 "{'config':{'Env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
		 "/bin'],'Cmd':['cat','/payload.txt'],'Volumes':{'/data':{}},"
		 "'ExposedPorts':{'80/tcp':{}}},"
		 "'history':[" IMPORT_ENTRY ","
		 "{'created_by':'/bin/sh -c echo 1 > /file1'},"
		 "{'created_by':'|2 A=1 B=x y /bin/sh -c make $A'},"
		 "{'created_by':'/bin/sh -c #(nop) COPY "
		 "file:4163372f155678491575a9aa491768a1d4a701d457d18d94b7a7b0a222b6f5f5 in "
		 "/payload.txt '},"
		 "{'created_by':'/bin/sh -c #(nop)  VOLUME [/data]','empty_layer':true},"
		 "{'created_by':'/bin/sh -c #(nop)  EXPOSE map[80/tcp:{}]','empty_layer':true},"
		 "{'created_by':'/bin/sh -c #(nop)  HEALTHCHECK &{[\\'CMD\\' \\'true\\'] 0s}',"
		 "'empty_layer':true},"
		 "{'created_by':'/bin/sh -c #(nop)  CMD [\\'cat\\' \\'/payload.txt\\']',"
		 "'empty_layer':true}]," ROOTFS(D1 "," D2) "}",
		 (char *[]){L1, L2, NULL}, (char *[]){"docker.io/library/fixture:classic", NULL}},
		BUSYBOX,
	};
	_cleanup_free_ char *df = dockerfile(imgs, 2);

	(void)state;
	assert_string_equal(
		df, "FROM busybox:latest\n"
		    "RUN echo 1 > /file1\n"
		    "RUN make $A\n"
		    "COPY file:4163372f155678491575a9aa491768a1d4a701d457d18d94b7a7b0a222b6f5f5 "
		    "/payload.txt\n"
		    "VOLUME [\"/data\"]\n"
		    "EXPOSE 80/tcp\n"
		    "# HEALTHCHECK &{[\"CMD\" \"true\"] 0s}\n"
		    "CMD [\"cat\",\"/payload.txt\"]\n"
		    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
}

static void test_dockerfile_buildkit(void **state)
{
	struct df_image imgs[] = {
		{ID("c2"),
		 "{'config':{'Cmd':['cat','/payload.txt'],'Env':['X=1']},"
		 "'history':[" IMPORT_ENTRY ","
		 "{'created_by':'RUN /bin/sh -c echo 5 > /file5 # buildkit',"
		 "'comment':'buildkit.dockerfile.v0'},"
		 "{'created_by':'RUN |1 V=2 /bin/sh -c echo $V # buildkit',"
		 "'comment':'buildkit.dockerfile.v0'},"
		 "{'created_by':'COPY payload.txt /payload.txt # buildkit',"
		 "'comment':'buildkit.dockerfile.v0'},"
		 "{'created_by':'ENV X=1','comment':'buildkit.dockerfile.v0','empty_layer':true},"
		 "{'created_by':'CMD [\\'cat\\' \\'/payload.txt\\']',"
		 "'comment':'buildkit.dockerfile.v0','empty_layer':true}]," ROOTFS(D1 "," D2
										      "," D3) "}",
		 (char *[]){L1, L2, L3, NULL}, NULL},
		BUSYBOX,
	};
	_cleanup_free_ char *df = dockerfile(imgs, 2);

	(void)state;
	assert_string_equal(df, "FROM busybox:latest\n"
				"RUN echo 5 > /file5\n"
				"RUN echo $V\n"
				"COPY payload.txt /payload.txt\n"
				"ENV X=1\n"
				"CMD [\"cat\",\"/payload.txt\"]\n");
}

/* Commits: FROM the nearest tagged ancestor, past an untagged one. */
static void test_dockerfile_commits(void **state)
{
#define COMMIT1                                                                                    \
	"{'created':'2026-11-29T11:00:00Z','created_by':'sh -c echo hi > /new',"                   \
	"'comment':'added new\\nsecond line'}"
#define COMMIT2 "{'created':'2026-11-29T12:00:00Z','created_by':'/bin/sh -c touch /x'}"
#define COMMIT3 "{'created':'2026-11-29T13:00:00Z','created_by':'top','comment':'m'}"
	struct df_image imgs[] = {
		{ID("c3"),
		 "{'config':{'Cmd':['top'],'Labels':{'a':'b'}},'history':[" IMPORT_ENTRY "," COMMIT1
		 "," COMMIT2 "," COMMIT3 "]," ROOTFS(D1 "," D2 "," D3 "," D1) "}",
		 (char *[]){L1, L2, L3, L4, NULL}, NULL},
		/* untagged parent */
		{ID("c4"),
		 "{'config':{'Cmd':['x']},'history':[" IMPORT_ENTRY "," COMMIT1 "," COMMIT2
		 "]," ROOTFS(D1 "," D2 "," D3) "}",
		 (char *[]){L1, L2, L3, NULL}, NULL},
		/* tagged grandparent */
		{ID("c5"),
		 "{'config':{'Cmd':['sh','-c','echo hi > /new'],'Labels':{'a':'b'}},"
		 "'history':[" IMPORT_ENTRY "," COMMIT1 "]," ROOTFS(D1 "," D2) "}",
		 (char *[]){L1, L2, NULL}, (char *[]){"localhost:5000/gp:1", "gp:2", NULL}},
		/* same layers, another history: not a parent */
		{ID("c6"),
		 "{'config':{},'history':[" IMPORT_ENTRY
		 ",{'created_by':'other'}]," ROOTFS(D1 "," D2) "}",
		 (char *[]){L1, L2, NULL}, (char *[]){"docker.io/library/nope:latest", NULL}},
		BUSYBOX,
	};
	_cleanup_free_ char *df = dockerfile(imgs, 5), *gp = dockerfile(imgs + 2, 3);

	(void)state;
	assert_string_equal(df, "FROM localhost:5000/gp:1\n"
				"RUN touch /x\n"
				"# commit: m\n"
				"RUN top\n"
				"CMD [\"top\"]\n");
	assert_string_equal(gp, "FROM busybox:latest\n"
				"# commit: added new\n"
				"# second line\n"
				"RUN sh -c echo hi > /new\n"
				"LABEL a=\"b\"\n"
				"CMD [\"sh\",\"-c\",\"echo hi > /new\"]\n");
}

/* Metadata-only children share their parent's layers; histories tell them apart. */
static void test_dockerfile_same_layers(void **state)
{
	struct df_image imgs[] = {
		{ID("c7"),
		 "{'config':{'User':'app'},'history':[" IMPORT_ENTRY ","
		 "{'created_by':'/bin/sh -c #(nop)  USER app','empty_layer':true}]," ROOTFS(D1) "}",
		 (char *[]){L1, NULL}, NULL},
		BUSYBOX,
		/* the child of c7: not its parent */
		{ID("c8"),
		 "{'config':{},'history':[" IMPORT_ENTRY ","
		 "{'created_by':'/bin/sh -c #(nop)  USER app','empty_layer':true},"
		 "{'created_by':'/bin/sh -c #(nop)  USER root','empty_layer':true}]," ROOTFS(
			 D1) "}",
		 (char *[]){L1, NULL}, (char *[]){"docker.io/library/kid:1", NULL}},
	};
	_cleanup_free_ char *df = dockerfile(imgs, 3);

	(void)state;
	assert_string_equal(df, "FROM busybox:latest\nUSER app\n");
}

static void test_dockerfile_no_history(void **state)
{
	struct df_image imgs[] = {
		{ID("c9"), "{'config':{'Cmd':['sh']}," ROOTFS(D1 "," D2) "}",
		 (char *[]){L1, L2, NULL}, NULL},
	};
	_cleanup_free_ char *df = dockerfile(imgs, 1);

	(void)state;
	assert_string_equal(df, "FROM scratch\n"
				"ADD file:d1d1d1d1d1d1 /\n"
				"ADD file:d2d2d2d2d2d2 /\n"
				"CMD [\"sh\"]\n");
}

static void test_dockerfile_bad_config(void **state)
{
	struct store_image img = {
		.id = (char *)ID("cc"), .config = (char *)"{not json", .layers = (char *[]){NULL}};
	struct store_image *list[] = {&img, NULL};
	_cleanup_error_ struct berth_error *err = NULL;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(image_dockerfile(&img, list, &sb, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "parse image config"));
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_text),
		cmocka_unit_test(test_tree_no_trunc_and_focus),
		cmocka_unit_test(test_tree_dot),
		cmocka_unit_test(test_tree_dot_shared_layer),
		cmocka_unit_test(test_tree_empty),
		cmocka_unit_test(test_dockerfile_import),
		cmocka_unit_test(test_dockerfile_classic),
		cmocka_unit_test(test_dockerfile_buildkit),
		cmocka_unit_test(test_dockerfile_commits),
		cmocka_unit_test(test_dockerfile_same_layers),
		cmocka_unit_test(test_dockerfile_no_history),
		cmocka_unit_test(test_dockerfile_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
