/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replays inputs through a fuzz target without libFuzzer: each file named,
 * or every file of each directory named. Exit 0 when every input ran
 * (a crash or an abort in the target ends the program, failing the test).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path, unsigned *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	/* Every prefix too: the parsers must stop cleanly wherever input ends. */
	for (size_t l = 0; l < len; l += 1 + len / 64)
		LLVMFuzzerTestOneInput(buf, l);
	(*n)++;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned n = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "no such input %s\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i], &n) < 0)
				return 1;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			char p[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
			if (run_file(p, &n) < 0)
				return 1;
		}
		if (d)
			closedir(d);
	}
	printf("%u inputs replayed\n", n);
	return n ? 0 : 1;
}
