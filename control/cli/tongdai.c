/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tongdai: the operator CLI. One-shot (`tongdai show dataplane`), a script
 * on standard input, or interactive with line editing, history and Tab
 * completion (libedit). It only parses its own options and hands the words
 * to tongdai-control over the management socket (docs/cli.md): the command
 * logic lives in control, shared with the API.
 *
 * Exit: the command's status (0 done, 1 failed, 2 bad command or argument),
 * 1 when control cannot be reached.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <editline/readline.h>
#include <jansson.h>

#define PROG	  "tongdai"
#define MAX_WORDS 64
#define MAX_REPLY (16 * 1024 * 1024)

static const char *sock_path;
static bool want_json;
static char **completions; /* every command's words, from `help` */
static size_t n_completions;

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--socket PATH] [--json] [COMMAND WORDS...]\n"
		   "  without words: interactive (Tab completes), or commands line by line from a pipe\n"
		   "  --socket PATH  control's socket (default $TONGDAI_SOCKET, else ./state/tongdai.sock)\n"
		   "  --json         print the reply's data as JSON\n"
		   "  'help' lists the commands\n");
}

/* Send argv, wait for the reply. Returns the parsed reply or NULL (err set). */
static json_t *
request(int argc, char **argv, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	json_t *req = json_pack("{s:i,s:[]}", "id", 1, "argv");
	for (int i = 0; i < argc; i++)
		json_array_append_new(json_object_get(req, "argv"), json_string(argv[i]));
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "control not running (%s: %s)", sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(line);
		return NULL;
	}
	size_t len = strlen(line);
	line[len] = '\n';
	ssize_t sent = send(fd, line, len + 1, MSG_NOSIGNAL);
	free(line);
	if (sent != (ssize_t)(len + 1)) {
		snprintf(err, errlen, "cannot send to control: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	size_t cap = 65536, got = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (got == cap) {
			if (cap >= MAX_REPLY) {
				snprintf(err, errlen, "reply from control larger than %d bytes", MAX_REPLY);
				goto fail;
			}
			cap *= 2;
			buf = realloc(buf, cap);
		}
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "control closed the connection without a reply");
			goto fail;
		}
		got += (size_t)n;
		if (memchr(buf + got - (size_t)n, '\n', (size_t)n))
			break;
	}
	close(fd);
	json_error_t jerr;
	json_t *rep = json_loadb(buf, (size_t)((char *)memchr(buf, '\n', got) - buf), 0, &jerr);
	free(buf);
	if (!json_is_object(rep) || !json_is_integer(json_object_get(rep, "status"))) {
		snprintf(err, errlen, "malformed reply from control");
		json_decref(rep);
		return NULL;
	}
	return rep;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* Run one command; returns its exit status. */
static int
run(int argc, char **argv)
{
	char err[512];
	json_t *rep = request(argc, argv, err, sizeof(err));
	if (rep == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	int status = (int)json_integer_value(json_object_get(rep, "status"));
	const char *text = json_string_value(json_object_get(rep, "text"));
	if (want_json) {
		json_dumpf(json_object_get(rep, "data"), stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	}
	if (status != 0)
		fprintf(stderr, PROG ": %s\n", text ? text : "failed");
	else if (!want_json && text && *text)
		printf("%s\n", text);
	fflush(stdout);
	json_decref(rep);
	return status;
}

/* Split a line into words; "double quotes" keep spaces. */
static int
split(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;
	while (*p && n < max) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			words[n++] = ++p;
			while (*p && *p != '"')
				p++;
		} else {
			words[n++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				p++;
		}
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Strip --json from the words wherever it stands. */
static int
take_json(int argc, char **argv)
{
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			want_json = true;
		else
			argv[n++] = argv[i];
	}
	return n;
}

static void
load_completions(void)
{
	char err[256];
	char *help[] = {"help"};
	json_t *rep = request(1, help, err, sizeof(err));
	json_t *list = json_object_get(json_object_get(rep, "data"), "commands");
	size_t i;
	json_t *c;
	completions = calloc(json_array_size(list) + 1, sizeof(char *));
	json_array_foreach (list, i, c) {
		completions[n_completions++] = strdup(json_string_value(json_object_get(c, "words")));
	}
	json_decref(rep);
}

/* Next words for the words typed so far (rl_line_buffer up to the cursor). */
static char *
complete_word(const char *text, int state)
{
	static size_t idx;
	char typed[512], *words[MAX_WORDS];
	if (state == 0)
		idx = 0;
	snprintf(typed, sizeof(typed), "%.*s", rl_point, rl_line_buffer);
	int n = split(typed, words, MAX_WORDS);
	if (n > 0 && strcmp(words[n - 1], text) == 0 && *text)
		n--; /* the word being completed */
	while (idx < n_completions) {
		char copy[256], *cw[MAX_WORDS];
		snprintf(copy, sizeof(copy), "%s", completions[idx++]);
		int m = split(copy, cw, MAX_WORDS);
		bool prefix = m > n;
		for (int i = 0; prefix && i < n; i++)
			prefix = strcmp(cw[i], words[i]) == 0;
		if (!prefix || strncmp(cw[n], text, strlen(text)) != 0)
			continue;
		/* Several commands share a word ("show ..."): offer it once. */
		bool dup = false;
		for (size_t j = 0; j + 1 < idx && !dup; j++) {
			char c2[256], *w2[MAX_WORDS];
			snprintf(c2, sizeof(c2), "%s", completions[j]);
			int m2 = split(c2, w2, MAX_WORDS);
			bool same = m2 > n && strcmp(w2[n], cw[n]) == 0;
			for (int i = 0; same && i < n; i++)
				same = strcmp(w2[i], words[i]) == 0;
			dup = same;
		}
		if (!dup)
			return strdup(cw[n]);
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1;
	return rl_completion_matches(text, complete_word);
}

static int
interactive(void)
{
	int status = 0;
	load_completions();
	rl_attempted_completion_function = complete;
	printf("tongdai CLI: 'help' lists commands, Tab completes, 'quit' leaves\n");
	char *line;
	while ((line = readline("tongdai> ")) != NULL) {
		char *words[MAX_WORDS];
		if (*line)
			add_history(line);
		int n = split(line, words, MAX_WORDS);
		want_json = false;
		n = take_json(n, words);
		if (n == 1 && (strcmp(words[0], "quit") == 0 || strcmp(words[0], "exit") == 0)) {
			free(line);
			break;
		}
		if (n > 0)
			status = run(n, words);
		free(line);
	}
	for (size_t i = 0; i < n_completions; i++)
		free(completions[i]);
	free(completions);
	return status;
}

static int
script(void)
{
	char line[4096];
	int status = 0;
	bool json = want_json;
	while (fgets(line, sizeof(line), stdin)) {
		char *words[MAX_WORDS];
		int n = split(line, words, MAX_WORDS);
		want_json = json;
		n = take_json(n, words);
		if (n > 0 && words[0][0] != '#') {
			int s = run(n, words);
			if (s > status)
				status = s;
		}
	}
	return status;
}

int
main(int argc, char **argv)
{
	char *words[MAX_WORDS];
	int n = 0;

	sock_path = getenv("TONGDAI_SOCKET");
	if (sock_path == NULL || !*sock_path)
		sock_path = "./state/tongdai.sock";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0) {
			if (++i == argc) {
				fprintf(stderr, PROG ": --socket needs a path\n");
				return 2;
			}
			sock_path = argv[i];
		} else if (strncmp(argv[i], "--socket=", 9) == 0) {
			sock_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--json") == 0) {
			want_json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", argv[i]);
			return 2;
		} else if (n == MAX_WORDS) {
			fprintf(stderr, PROG ": more than %d words\n", MAX_WORDS);
			return 2;
		} else {
			words[n++] = argv[i];
		}
	}
	if (n > 0)
		return run(n, words);
	return isatty(STDIN_FILENO) ? interactive() : script();
}
