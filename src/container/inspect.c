/* docker inspect of a container: Docker's JSON shape, filled from the record and config. */
#include <stdio.h>

#include "container/container.h"
#include "container/volumes.h"
#include "image/image.h"
#include "util/strbuf.h"
#include "util/json.h"
#include "util/strutil.h"
#include "util/timeutil.h"

/* Docker's HostConfig with its defaults, in its order; the container's own values go over it. */
static const char host_config_defaults[] =
	"{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"json-file\","
	"\"Config\":{}},\"NetworkMode\":\"default\",\"PortBindings\":{},\"RestartPolicy\":"
	"{\"Name\":\"no\",\"MaximumRetryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\","
	"\"VolumesFrom\":null,\"CapAdd\":null,\"CapDrop\":null,\"CgroupnsMode\":\"private\","
	"\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,"
	"\"IpcMode\":\"private\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\","
	"\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,"
	"\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":67108864,"
	"\"Runtime\":\"berth\",\"ConsoleSize\":[0,0],\"Isolation\":\"\",\"CpuShares\":0,"
	"\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,"
	"\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],"
	"\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,"
	"\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\","
	"\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"KernelMemory\":0,"
	"\"KernelMemoryTCP\":0,\"MemoryReservation\":0,\"MemorySwap\":0,"
	"\"MemorySwappiness\":null,\"OomKillDisable\":false,\"PidsLimit\":null,\"Ulimits\":[],"
	"\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0}";

static const char config_defaults[] =
	"{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
	"\"AttachStdout\":false,\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,"
	"\"StdinOnce\":false,\"Env\":null,\"Cmd\":null,\"Image\":\"\",\"Volumes\":null,"
	"\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{}}";

/* "0001-01-01T00:00:00Z" for a time never reached, as Go's zero time. */
static json_t *time_value(int64_t ns)
{
	char buf[64];

	if (!ns)
		return json_string("0001-01-01T00:00:00Z");
	time_format_rfc3339nano(ns, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *over_defaults(const char *defaults, const json_t *values)
{
	json_t *j = json_loads(defaults, 0, NULL);

	if (!j)
		BUG("bad inspect defaults");
	if (json_is_object(values))
		json_object_update(j, (json_t *)values);
	return j;
}

static json_t *state_of(const struct store_container *c)
{
	const char *status = store_container_state_name(c->state);

	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:o, s:o}", "Status",
			 status, "Running",
			 c->state == STORE_CONTAINER_RUNNING || c->state == STORE_CONTAINER_PAUSED,
			 "Paused", c->state == STORE_CONTAINER_PAUSED, "Restarting",
			 c->state == STORE_CONTAINER_RESTARTING, "OOMKilled", c->oom_killed, "Dead",
			 c->state == STORE_CONTAINER_DEAD, "Pid", (int)c->pid, "ExitCode",
			 c->exit_code, "Error", c->error ? c->error : "", "StartedAt",
			 time_value(c->started_at), "FinishedAt", time_value(c->finished_at));
}

static json_t *graph_driver(struct store *s, const struct store_container *c)
{
	_cleanup_(store_image_freep) struct store_image *img =
		store_image_get(s, c->image_id, NULL);
	_cleanup_free_ char *dir = container_dir(s, c->id);
	_cleanup_free_ char *upper = xasprintf("%s/diff", dir);
	_cleanup_free_ char *merged = xasprintf("%s/merged", dir);
	_cleanup_free_ char *work = xasprintf("%s/work", dir);
	struct strbuf lower = STRBUF_INIT;
	json_t *j;

	/* the top layer first, as overlay takes them */
	for (size_t n = img ? strv_len(img->layers) : 0; n > 0; n--) {
		_cleanup_free_ char *l = image_layer_dir(s, img->layers[n - 1]);
		strbuf_addf(&lower, "%s%s", lower.len ? ":" : "", l);
	}
	j = json_pack("{s:{s:s, s:s, s:s, s:s}, s:s}", "Data", "LowerDir",
		      lower.buf ? lower.buf : "", "MergedDir", merged, "UpperDir", upper, "WorkDir",
		      work, "Name", "overlay2");
	strbuf_release(&lower);
	return j;
}

static void path_and_args(json_t *out, const json_t *cfg)
{
	json_t *args = json_array(), *v;
	const char *path = NULL;
	size_t i;

	json_array_foreach(json_object_get(cfg, "Entrypoint"), i, v)
	{
		if (!path)
			path = json_string_value(v);
		else
			json_array_append(args, v);
	}
	json_array_foreach(json_object_get(cfg, "Cmd"), i, v)
	{
		if (!path)
			path = json_string_value(v);
		else
			json_array_append(args, v);
	}
	json_object_set_new(out, "Path", json_string(path ? path : ""));
	json_object_set_new(out, "Args", args);
}

json_t *container_inspect(struct store *s, const struct store_container *c,
			  struct berth_error **err)
{
	json_auto_t *config = json_parse(c->config, strlen(c->config), "container config", err);
	_cleanup_free_ char *dir = container_dir(s, c->id);
	_cleanup_free_ char *name = xasprintf("/%s", c->name);
	json_t *cfg, *hc, *out;

	if (!config)
		return NULL;
	cfg = over_defaults(config_defaults, json_object_get(config, "Config"));
	hc = over_defaults(host_config_defaults, json_object_get(config, "HostConfig"));
	out = json_object();
	json_object_set_new(out, "Id", json_string(c->id));
	json_object_set_new(out, "Created", time_value(c->created));
	path_and_args(out, cfg);
	json_object_set_new(out, "State", state_of(c));
	json_object_set_new(out, "Image", json_string(c->image_id));
	json_object_set_new(out, "ResolvConfPath", json_sprintf("%s/resolv.conf", dir));
	json_object_set_new(out, "HostnamePath", json_sprintf("%s/hostname", dir));
	json_object_set_new(out, "HostsPath", json_sprintf("%s/hosts", dir));
	json_object_set_new(out, "LogPath", json_sprintf("%s/%s-json.log", dir, c->id));
	json_object_set_new(out, "Name", json_string(name));
	json_object_set_new(out, "RestartCount", json_integer(c->restart_count));
	json_object_set_new(out, "Driver", json_string("overlay2"));
	json_object_set_new(out, "Platform", json_string("linux"));
	json_object_set_new(out, "MountLabel", json_string(""));
	json_object_set_new(out, "ProcessLabel", json_string(""));
	json_object_set_new(out, "AppArmorProfile", json_string(""));
	json_object_set_new(out, "ExecIDs", json_null());
	json_object_set_new(out, "HostConfig", hc);
	json_object_set_new(out, "GraphDriver", graph_driver(s, c));
	json_object_set_new(out, "Mounts",
			    container_volumes_inspect(json_object_get(config, "MountPoints")));
	json_object_set_new(out, "Config", cfg);
	json_object_set_new(out, "NetworkSettings", container_net_settings(s, c, hc));
	return out;
}
