/*
 * fuzz_decode.c: libFuzzer target for the protocol decoder. Any bytes go to
 * proto_decode (and proto_sniff); an accepted event must respect the decoder's
 * promises (known type, string limits, list caps, seq rules). The same bytes,
 * used as inject text, must encode into a command that cJSON parses back to
 * valid JSON. Built by run.sh with ASan+UBSan; not part of the normal build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "swarmtop/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless a decoded string respects its byte limit. */
static void check_str(const char *s, size_t max)
{
	if (s != NULL && strlen(s) > max)
		abort();
}

/* Abort unless an accepted event keeps the decoder's promises. */
static void check_event(const Event *ev)
{
	if ((unsigned)ev->type >= EV_COUNT || ev->type_name == NULL)
		abort();
	if (ev->type != EV_HELLO && ev->type != EV_UNKNOWN && ev->seq < 1)
		abort();
	if (ev->seq < 0 || ev->ts < 0 || ev->seq >= EVENT_SAFE_INT || ev->ts >= EVENT_SAFE_INT)
		abort();
	switch (ev->type) {
	case EV_HELLO:
		if (ev->u.hello.id == NULL || ev->u.hello.instance == NULL)
			abort();
		check_str(ev->u.hello.id, EVENT_ID_MAX);
		check_str(ev->u.hello.name, EVENT_NAME_MAX);
		break;
	case EV_TASK:
		if (ev->u.task.id == NULL || ev->u.task.ndeps > EVENT_MAX_DEPS)
			abort();
		for (size_t i = 0; i < ev->u.task.ndeps; i++)
			check_str(ev->u.task.deps[i], EVENT_ID_MAX);
		check_str(ev->u.task.error, EVENT_TEXT_MAX);
		break;
	case EV_USAGE:
		if (ev->u.usage.input_tokens < 0 || ev->u.usage.output_tokens < 0)
			abort();
		break;
	case EV_THREADS:
		if (ev->u.threads.ncores > EVENT_MAX_CORES)
			abort();
		if (ev->u.threads.nthreads > EVENT_MAX_THREADS)
			abort();
		for (size_t i = 0; i < ev->u.threads.ncores; i++)
			if (!(ev->u.threads.cores[i] >= 0.0 && ev->u.threads.cores[i] <= 1.0))
				abort();
		break;
	case EV_MESSAGE:
		if (ev->u.message.text == NULL || (unsigned)ev->u.message.role >= ROLE_COUNT)
			abort();
		check_str(ev->u.message.text, EVENT_TEXT_MAX);
		break;
	case EV_SNAPSHOT:
		for (size_t i = 0; i < ev->u.snapshot.ntasks; i++)
			if (ev->u.snapshot.tasks[i].id == NULL)
				abort();
		break;
	default:
		break;
	}
}

/* Encode the input as inject text and reason; the result must be valid JSON. */
static void check_encode(const uint8_t *data, size_t size)
{
	char err[PROTO_ERR_MAX], out[8192];
	char *text = malloc(size + 1);
	Command cmd;
	int n;

	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (proto_command_init(&cmd, "f-1", "inject", TARGET_AGENT, "a", err) != 0)
		abort();
	cmd.text = text;
	cmd.reason = text;
	n = proto_encode_command(&cmd, out, sizeof(out));
	if (n >= 0) {
		cJSON *j = cJSON_ParseWithLengthOpts(out, (size_t)n + 1, NULL, 1);
		if (j == NULL)
			abort();
		cJSON_Delete(j);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Arena arena;
	static int init;
	char err[PROTO_ERR_MAX];
	Event ev;

	if (!init) {
		arena_init(&arena, 64 * 1024);
		init = 1;
	}
	arena_reset(&arena);
	(void)proto_sniff((const char *)data, size);
	if (proto_decode((const char *)data, size, &ev, &arena, err) == PROTO_OK)
		check_event(&ev);
	else if (err[0] == '\0' || strlen(err) >= PROTO_ERR_MAX || strchr(err, '\n') != NULL)
		abort();
	if (size < 4096)
		check_encode(data, size);
	return 0;
}
