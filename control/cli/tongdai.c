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
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <editline/readline.h>
#include <jansson.h>

#define PROG		"tongdai"
#define MAX_WORDS	64
#define MAX_REPLY	(8 * 1024 * 1024)
#define REPLY_TIMEOUT_S 30

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
	static json_int_t next_id;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	json_int_t id = ++next_id;
	json_t *req = json_pack("{s:I,s:[],s:b}", "id", id, "argv", "json", want_json);
	char *line = NULL, *buf = NULL;
	json_t *rep = NULL;
	int fd = -1;

	for (int i = 0; req && i < argc; i++)
		json_array_append_new(json_object_get(req, "argv"), json_string(argv[i]));
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (line == NULL) {
		snprintf(err, errlen, "cannot encode the request (words must be UTF-8)");
		return NULL;
	}
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control not running (%s: %s)", sock_path, strerror(ENAMETOOLONG));
		goto out;
	}
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "control not running (%s: %s)", sock_path, strerror(errno));
		goto out;
	}
	struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	size_t len = strlen(line);
	line[len] = '\n'; /* over the NUL: sent by length */
	for (size_t off = 0; off < len + 1;) {
		ssize_t n = send(fd, line + off, len + 1 - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot send to control: %s", strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	size_t cap = 0, got = 0;
	char *nl = NULL;
	while (nl == NULL) {
		if (got == cap) {
			if (cap >= MAX_REPLY) {
				snprintf(err, errlen, "reply from control larger than %d MiB: refused",
					 MAX_REPLY >> 20);
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(buf, cap);
			if (p == NULL) {
				snprintf(err, errlen, "out of memory reading the reply");
				goto out;
			}
			buf = p;
		}
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			snprintf(err, errlen, "no reply from control within %d s", REPLY_TIMEOUT_S);
			goto out;
		}
		if (n <= 0) {
			snprintf(err, errlen, "control closed the connection without a reply");
			goto out;
		}
		nl = memchr(buf + got, '\n', (size_t)n);
		got += (size_t)n;
	}
	json_error_t jerr;
	rep = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
	json_t *jid = json_object_get(rep, "id");
	if (!json_is_object(rep) || !json_is_integer(json_object_get(rep, "status")) ||
	    (json_integer_value(jid) != id && json_integer_value(jid) != 0) ||
	    (json_object_get(rep, "text") && !json_is_string(json_object_get(rep, "text")))) {
		snprintf(err, errlen, "malformed reply from control%s%s", rep ? "" : ": ", rep ? "" : jerr.text);
		json_decref(rep);
		rep = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(line);
	return rep;
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
	json_int_t st = json_integer_value(json_object_get(rep, "status"));
	int status = st >= 0 && st <= 2 ? (int)st : 1;
	const char *text = json_string_value(json_object_get(rep, "text"));
	if (want_json) {
		json_t *data = json_object_get(rep, "data");
		if (data == NULL)
			fputs("{}", stdout);
		else
			json_dumpf(data, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', stdout);
	}
	if (status != 0) {
		/* An error is one line: join a text that has several. */
		fputs(PROG ": ", stderr);
		for (const char *p = text && *text ? text : "failed"; *p; p++) {
			if (*p == '\n')
				fputs(p[1] ? "; " : "", stderr);
			else
				fputc(*p, stderr);
		}
		fputc('\n', stderr);
	} else if (!want_json && text && *text) {
		printf("%s\n", text);
	}
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

/* The command words Tab completes, from `help`; false if control is away. */
static bool
load_completions(void)
{
	static const char *const own[] = {"quit", "exit"};
	char err[256];
	char *help[] = {"help"};
	bool json = want_json;

	want_json = false;
	json_t *rep = request(1, help, err, sizeof(err));
	want_json = json;
	json_t *list = json_object_get(json_object_get(rep, "data"), "commands");
	size_t i;
	json_t *c;
	char **all = calloc(json_array_size(list) + 3, sizeof(char *));
	if (all == NULL) {
		json_decref(rep);
		return false;
	}
	size_t n = 0;
	json_array_foreach (list, i, c) {
		const char *w = json_string_value(json_object_get(c, "words"));
		if (w && (all[n] = strdup(w)) != NULL)
			n++;
	}
	for (i = 0; i < 2; i++)
		if ((all[n] = strdup(own[i])) != NULL)
			n++;
	for (i = 0; i < n_completions; i++)
		free(completions[i]);
	free(completions);
	completions = all;
	n_completions = n;
	bool any = json_array_size(list) > 0;
	json_decref(rep); /* list is rep's */
	return any;
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
	if (n_completions <= 2)
		load_completions(); /* control may have come up since */
	return rl_completion_matches(text, complete_word);
}

static int
interactive(void)
{
	bool json = want_json;
	int status = 0;

	if (!load_completions())
		fprintf(stderr, PROG ": control not reachable at %s yet: Tab completes once it is\n", sock_path);
	rl_attempted_completion_function = complete;
	printf("tongdai CLI: 'help' lists commands, Tab completes, 'quit' leaves\n");
	char *line;
	while ((line = readline("tongdai> ")) != NULL) {
		char *words[MAX_WORDS];
		if (*line)
			add_history(line);
		int n = split(line, words, MAX_WORDS);
		want_json = json;
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

/* Commands line by line from a pipe; the exit status is the worst one. */
static int
script(void)
{
	char *line = NULL;
	size_t cap = 0;
	int status = 0;
	bool json = want_json;
	while (getline(&line, &cap, stdin) > 0) {
		char *words[MAX_WORDS];
		int n = split(line, words, MAX_WORDS);
		want_json = json;
		n = take_json(n, words);
		if (n == 0 || words[0][0] == '#')
			continue;
		if (n == 1 && (strcmp(words[0], "quit") == 0 || strcmp(words[0], "exit") == 0))
			break;
		int s = run(n, words);
		if (s > status)
			status = s;
	}
	free(line);
	return status;
}

int
main(int argc, char **argv)
{
	char *words[MAX_WORDS];
	int n = 0;
	bool empty = true;

	sock_path = getenv("TONGDAI_SOCKET");
	if (sock_path == NULL || !*sock_path)
		sock_path = "./state/tongdai.sock";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0) {
			if (++i == argc || !*argv[i]) {
				fprintf(stderr, PROG ": --socket needs a path (see '" PROG " --help')\n");
				return 2;
			}
			sock_path = argv[i];
		} else if (strncmp(argv[i], "--socket=", 9) == 0 && argv[i][9]) {
			sock_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--json") == 0) {
			want_json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] == '-' && n == 0) {
			/* After the first command word, other options belong to the command (report --from). */
			fprintf(stderr, PROG ": unknown option '%s' (see '" PROG " --help')\n", argv[i]);
			return 2;
		} else if (n == MAX_WORDS) {
			fprintf(stderr, PROG ": more than %d words\n", MAX_WORDS);
			return 2;
		} else {
			words[n++] = argv[i];
			empty = empty && !*argv[i];
		}
	}
	if (n > 0 && !empty)
		return run(n, words);
	return isatty(STDIN_FILENO) ? interactive() : script();
}
