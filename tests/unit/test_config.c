/* The service's config.toml reader: a full Parsec-style file gives the right values, every
 * mistake gives a clear error naming the key (cases in tests/data/config/errors.data),
 * secrets decode per spec 8, and absent keys take their documented defaults.
 * argv[1] = tests/data. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "psh/config.h"
#include "psh/status.h"
#include "service/config.h"

static const char *data_dir = "tests/data";
static psh_service_config cfg; /* ~30 KiB */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
            *len = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

static psh_status parse_str(const char *text, char *err, size_t err_size)
{
    return psh_service_config_parse(text, strlen(text), &cfg, err, err_size);
}

static int has_warning(const char *needle)
{
    for (unsigned i = 0; i < cfg.warning_count && i < PSH_SERVICE_WARNINGS_MAX; i++)
        if (strstr(cfg.warnings[i], needle) != NULL)
            return 1;
    return 0;
}

static void test_full_config(void)
{
    char path[1024], err[256] = "";
    snprintf(path, sizeof path, "%s/config/parsec-full.toml", data_dir);
    psh_status st = psh_service_config_load(path, &cfg, err, sizeof err);
    if (st != PSH_SUCCESS)
        fprintf(stderr, "parsec-full.toml: %s\n", err);
    REQUIRE(st == PSH_SUCCESS);
    CHECK_EQ_INT(cfg.warning_count, 0);
    /* [core_settings] */
    CHECK_EQ_INT(cfg.allow_root, 1);
    CHECK_EQ_INT(cfg.thread_pool_size, 4);
    CHECK_EQ_INT(cfg.idle_listener_sleep_ms, 20);
    CHECK(strcmp(cfg.log_level, "info") == 0);
    CHECK_EQ_INT(cfg.log_timestamp, 1);
    CHECK_EQ_INT(cfg.engine.body_len_limit, 65536);
    CHECK_EQ_INT(cfg.log_error_details, 1);
    CHECK_EQ_INT(cfg.engine.buffer_size_limit, 131072);
    CHECK_EQ_INT(cfg.engine.allow_deprecated, 1);
    /* [listener] */
    CHECK_EQ_INT(cfg.timeout_ms, 250);
    CHECK(strcmp(cfg.socket_path, "/tmp/psh-test/parsec.sock") == 0);
    CHECK_EQ_INT(cfg.max_connections, PSH_SERVICE_CONNECTIONS_DEFAULT);
    CHECK_EQ_INT(cfg.max_buffered_bytes, PSH_SERVICE_BUFFERED_DEFAULT);
    /* [authenticator] */
    CHECK_EQ_INT(cfg.engine.auth_type, PSH_AUTH_DIRECT);
    CHECK_EQ_INT(cfg.engine.admin_count, 2);
    CHECK(strcmp(cfg.engine.admins[0], "admin1") == 0);
    CHECK(strcmp(cfg.engine.admins[1], "root-app") == 0);
    /* [[key_manager]] */
    CHECK(strcmp(cfg.engine.kim_path, "/tmp/psh-test/kim.sqlite3") == 0);
    /* [[provider]] in priority order */
    REQUIRE(cfg.engine.provider_count == 3);
    const psh_provider_config *mbed = &cfg.engine.providers[0];
    CHECK_EQ_INT(mbed->type, PSH_PROVIDER_MBED_CRYPTO);
    CHECK(strcmp(mbed->name, "mbed-crypto-provider") == 0);
    const psh_provider_config *p11 = &cfg.engine.providers[1];
    CHECK_EQ_INT(p11->type, PSH_PROVIDER_PKCS11);
    CHECK(strcmp(p11->name, "my-pkcs11") == 0);
    CHECK(strcmp(p11->library_path, "/usr/lib/softhsm/libsofthsm2.so") == 0);
    CHECK(strcmp(p11->serial_number, "0123456789abcdef") == 0);
    CHECK_EQ_INT(p11->has_slot_number, 1);
    CHECK_EQ_INT(p11->slot_number, 123456);
    CHECK_EQ_INT(p11->has_user_pin, 1);
    CHECK_MEM(p11->user_pin, p11->user_pin_len, "1234", (size_t)4);
    CHECK_EQ_INT(p11->software_public_operations, 1);
    CHECK_EQ_INT(p11->allow_export, 0);
    const psh_provider_config *tpm = &cfg.engine.providers[2];
    CHECK_EQ_INT(tpm->type, PSH_PROVIDER_TPM);
    CHECK(strcmp(tpm->name, "tpm-provider") == 0);
    CHECK(strcmp(tpm->tcti, "mssim:host=localhost,port=2321") == 0);
    CHECK_MEM(tpm->owner_hierarchy_auth, tpm->owner_hierarchy_auth_len, "hex:secret",
              (size_t)10);
    CHECK_EQ_INT(tpm->has_endorsement_hierarchy_auth, 1);
    CHECK_MEM(tpm->endorsement_hierarchy_auth, tpm->endorsement_hierarchy_auth_len, "endorse",
              (size_t)7);
    CHECK_EQ_INT(tpm->skip_if_no_tpm, 1);

    /* Wiping clears every secret. */
    psh_service_config_wipe(&cfg);
    static const uint8_t zero[PSH_SECRET_MAX];
    CHECK(memcmp(p11->user_pin, zero, sizeof zero) == 0);
    CHECK(memcmp(tpm->owner_hierarchy_auth, zero, sizeof zero) == 0);
    CHECK(memcmp(tpm->endorsement_hierarchy_auth, zero, sizeof zero) == 0);
}

/* Parsec's shipped example: store_path under the SQLite manager is honoured (pitfall 11). */
static void test_parsec_example(void)
{
    char path[1024], err[256] = "";
    snprintf(path, sizeof path, "%s/config/parsec-example.toml", data_dir);
    psh_status st = psh_service_config_load(path, &cfg, err, sizeof err);
    if (st != PSH_SUCCESS)
        fprintf(stderr, "parsec-example.toml: %s\n", err);
    REQUIRE(st == PSH_SUCCESS);
    CHECK(strcmp(cfg.engine.kim_path, "./kim-mappings/sqlite/sqlite-key-info-manager.sqlite3") ==
          0);
    CHECK(strcmp(cfg.socket_path, "/run/parsec/parsec.sock") == 0);
    CHECK_EQ_INT(cfg.timeout_ms, 200);
    CHECK_EQ_INT(cfg.engine.auth_type, PSH_AUTH_UNIX_PEER_CREDENTIALS);
    CHECK_EQ_INT(cfg.engine.provider_count, 1);
    CHECK(strcmp(cfg.engine.providers[0].name, "mbed-crypto-provider") == 0);
    CHECK_EQ_INT(cfg.warning_count, 0);
}

/* Absent optional keys: the documented defaults. */
static void test_defaults(void)
{
    char err[256] = "";
    const char *text = "[core_settings]\n"
                       "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 100\n"
                       "[authenticator]\nauth_type = \"UnixPeerCredentials\"\n"
                       "[[key_manager]]\nname = \"k\"\nmanager_type = \"SQLite\"\n"
                       "[[provider]]\nprovider_type = \"Pkcs11\"\nkey_info_manager = \"k\"\n"
                       "library_path = \"/lib/p11.so\"\n"
                       "[[provider]]\nprovider_type = \"Tpm\"\nkey_info_manager = \"k\"\n"
                       "tcti = \"device\"\nowner_hierarchy_auth = \"\"\n";
    psh_status st = parse_str(text, err, sizeof err);
    if (st != PSH_SUCCESS)
        fprintf(stderr, "defaults: %s\n", err);
    REQUIRE(st == PSH_SUCCESS);
    CHECK_EQ_INT(cfg.allow_root, 0);
    CHECK(cfg.thread_pool_size >= 1 && cfg.thread_pool_size <= PSH_SERVICE_THREADS_MAX);
    CHECK_EQ_INT(cfg.idle_listener_sleep_ms, 10);
    CHECK(cfg.log_level[0] == '\0');
    CHECK_EQ_INT(cfg.engine.body_len_limit, 1048576);
    CHECK_EQ_INT(cfg.engine.buffer_size_limit, 1048576);
    CHECK_EQ_INT(cfg.engine.allow_deprecated, 0);
    CHECK(strcmp(cfg.socket_path, PSH_SERVICE_DEFAULT_SOCKET) == 0);
    CHECK_EQ_INT(cfg.timeout_ms, 100);
    CHECK_EQ_INT(cfg.max_connections, 1024);
    CHECK_EQ_INT(cfg.engine.admin_count, 0);
    CHECK(strcmp(cfg.engine.kim_path, PSH_SERVICE_DEFAULT_KIM) == 0);
    REQUIRE(cfg.engine.provider_count == 2);
    const psh_provider_config *p11 = &cfg.engine.providers[0];
    CHECK(strcmp(p11->name, "pkcs11-provider") == 0);
    CHECK_EQ_INT(p11->has_user_pin, 0);
    CHECK_EQ_INT(p11->has_slot_number, 0);
    CHECK_EQ_INT(p11->software_public_operations, 0);
    CHECK_EQ_INT(p11->allow_export, 1);
    const psh_provider_config *tpm = &cfg.engine.providers[1];
    CHECK(strcmp(tpm->name, "tpm-provider") == 0);
    CHECK_EQ_INT(tpm->owner_hierarchy_auth_len, 0);
    CHECK_EQ_INT(tpm->has_endorsement_hierarchy_auth, 0);
    CHECK_EQ_INT(tpm->skip_if_no_tpm, 0);

    /* max_connections (our extension) and user_pin forms in a full parse. */
    const char *text2 = "[core_settings]\n"
                        "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 1\n"
                        "max_connections = 7\n"
                        "[authenticator]\nauth_type = \"UnixPeerCredentials\"\n"
                        "[[key_manager]]\nname = \"k\"\nmanager_type = \"SQLite\"\n"
                        "[[provider]]\nprovider_type = \"Pkcs11\"\nkey_info_manager = \"k\"\n"
                        "library_path = \"/lib/p11.so\"\nuser_pin = \"str:hex:00\"\n";
    REQUIRE(parse_str(text2, err, sizeof err) == PSH_SUCCESS);
    CHECK_EQ_INT(cfg.max_connections, 7);
    CHECK_EQ_INT(cfg.timeout_ms, 1);
    CHECK_MEM(cfg.engine.providers[0].user_pin, cfg.engine.providers[0].user_pin_len, "hex:00",
              (size_t)6);
    psh_service_config_wipe(&cfg);
}

/* Unknown keys warn (naming the key) but do not fail, as in Parsec. */
static void test_unknown_keys_warn(void)
{
    char err[256] = "";
    const char *text = "mystery = 1\n"
                       "[core_settings]\nallow_rooot = true\n"
                       "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 200\n"
                       "[authenticator]\nauth_type = \"Direct\"\n"
                       "[[key_manager]]\nname = \"k\"\nmanager_type = \"SQLite\"\n"
                       "sqlite_db_path = \"/a.db\"\nstore_path = \"/b.db\"\n"
                       "[[key_manager]]\nname = \"spare\"\nmanager_type = \"SQLite\"\n"
                       "[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"k\"\n"
                       "tcti = \"device\"\n";
    psh_status st = parse_str(text, err, sizeof err);
    if (st != PSH_SUCCESS)
        fprintf(stderr, "unknown keys: %s\n", err);
    REQUIRE(st == PSH_SUCCESS);
    CHECK(has_warning("'mystery'"));
    CHECK(has_warning("'core_settings.allow_rooot'"));
    CHECK(has_warning("'provider[0].tcti'"));
    CHECK(has_warning("key_manager[0].store_path"));
    CHECK(has_warning("\"spare\""));
    CHECK_EQ_INT(cfg.warning_count, 5);
    CHECK(strcmp(cfg.engine.kim_path, "/a.db") == 0); /* sqlite_db_path wins */
    CHECK_EQ_INT(cfg.allow_root, 0);

    /* More warnings than the table holds: all counted, none overflow. */
    char big[4096];
    size_t off = (size_t)snprintf(big, sizeof big, "[core_settings]\n");
    for (int i = 0; i < 20; i++)
        off += (size_t)snprintf(big + off, sizeof big - off, "unknown_%d = %d\n", i, i);
    snprintf(big + off, sizeof big - off,
             "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 200\n"
             "[authenticator]\nauth_type = \"Direct\"\n"
             "[[key_manager]]\nname = \"k\"\nmanager_type = \"SQLite\"\n"
             "[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"k\"\n");
    REQUIRE(parse_str(big, err, sizeof err) == PSH_SUCCESS);
    CHECK_EQ_INT(cfg.warning_count, 20);
}

static void check_error_case(const char *name, const char *status_name, const char *needle,
                             const char *text, size_t len)
{
    char err[512] = "";
    psh_status want;
    if (psh_status_from_name(status_name, &want) != 0) {
        fprintf(stderr, "errors.data %s: unknown status %s\n", name, status_name);
        check_failed++;
        return;
    }
    psh_status got = psh_service_config_parse(text, len, &cfg, err, sizeof err);
    if (got != want || strstr(err, needle) == NULL || strchr(err, '\n') != NULL) {
        fprintf(stderr, "errors.data %s: got %s \"%s\", want %s containing \"%s\"\n", name,
                psh_status_name(got) ? psh_status_name(got) : "?", err, status_name, needle);
        check_failed++;
        return;
    }
    check_passed++;
    /* A failed parse leaves nothing half-filled. */
    CHECK_EQ_INT(cfg.engine.provider_count, 0);
    CHECK(strcmp(cfg.socket_path, PSH_SERVICE_DEFAULT_SOCKET) == 0);
}

/* errors.data: "=== name | Status | needle" then the config text up to the next "===". */
static void test_error_cases(void)
{
    char path[1024];
    size_t len = 0, cases = 0;
    snprintf(path, sizeof path, "%s/config/errors.data", data_dir);
    char *data = read_file(path, &len);
    REQUIRE(data != NULL);
    /* A case header is "===" at the start of a line (the comment above mentions it too). */
    char *p = strncmp(data, "=== ", 4) == 0 ? data : strstr(data, "\n=== ");
    if (p != NULL && p != data)
        p++;
    while (p != NULL) {
        char *eol = strchr(p, '\n');
        REQUIRE(eol != NULL);
        *eol = '\0';
        char *body = eol + 1;
        char *next = strstr(body, "\n=== ");
        size_t body_len = next != NULL ? (size_t)(next - body) + 1 : strlen(body);
        char name[128], status_name[64], needle[256];
        REQUIRE(sscanf(p + 4, "%127[^ |] | %63[^ |] | %255[^\n]", name, status_name, needle) ==
                3);
        /* The body is parsed by length: it need not be NUL-terminated. */
        check_error_case(name, status_name, needle, body, body_len);
        cases++;
        p = next != NULL ? next + 1 : NULL;
    }
    CHECK(cases >= 70);
    free(data);
}

/* The error line never echoes a secret. */
static void test_error_hides_secret(void)
{
    char err[512] = "";
    const char *text = "[core_settings]\n"
                       "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 200\n"
                       "[authenticator]\nauth_type = \"Direct\"\n"
                       "[[key_manager]]\nname = \"k\"\nmanager_type = \"SQLite\"\n"
                       "[[provider]]\nprovider_type = \"Pkcs11\"\nkey_info_manager = \"k\"\n"
                       "library_path = \"/l.so\"\nuser_pin = \"hex:SUPERSECRET\"\n";
    CHECK_EQ_INT(parse_str(text, err, sizeof err), PSH_ERR_INVALID_ENCODING);
    CHECK(strstr(err, "user_pin") != NULL);
    CHECK(strstr(err, "SUPERSECRET") == NULL);
}

static void test_decode_secret(void)
{
    uint8_t out[PSH_SECRET_MAX];
    size_t n = 99;
    CHECK_EQ_INT(psh_service_decode_secret("hex:31323334", 12, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_MEM(out, n, "1234", (size_t)4);
    CHECK_EQ_INT(psh_service_decode_secret("hex:DeadBEEF00", 14, out, sizeof out, &n),
                 PSH_SUCCESS);
    CHECK_MEM(out, n, "\xde\xad\xbe\xef\x00", (size_t)5);
    CHECK_EQ_INT(psh_service_decode_secret("str:hex:00", 10, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_MEM(out, n, "hex:00", (size_t)6);
    CHECK_EQ_INT(psh_service_decode_secret("plain pin", 9, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_MEM(out, n, "plain pin", (size_t)9);
    CHECK_EQ_INT(psh_service_decode_secret("HEX:31", 6, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_MEM(out, n, "HEX:31", (size_t)6); /* prefixes are case-sensitive, like Parsec */
    CHECK_EQ_INT(psh_service_decode_secret("", 0, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(psh_service_decode_secret("hex:", 4, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(psh_service_decode_secret("str:", 4, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 0);
    /* Binary PIN with a NUL inside (why hex: exists, spec pitfall 4). */
    CHECK_EQ_INT(psh_service_decode_secret("hex:610062", 10, out, sizeof out, &n), PSH_SUCCESS);
    CHECK_MEM(out, n, "a\0b", (size_t)3);
    n = 99;
    CHECK_EQ_INT(psh_service_decode_secret("hex:1", 5, out, sizeof out, &n),
                 PSH_ERR_INVALID_ENCODING);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(psh_service_decode_secret("hex:g0", 6, out, sizeof out, &n),
                 PSH_ERR_INVALID_ENCODING);
    CHECK_EQ_INT(psh_service_decode_secret("hex: 1", 6, out, sizeof out, &n),
                 PSH_ERR_INVALID_ENCODING);
    /* Capacity: exactly out_size fits, one more does not. */
    char lit[PSH_SECRET_MAX + 2];
    memset(lit, 'x', sizeof lit);
    CHECK_EQ_INT(psh_service_decode_secret(lit, PSH_SECRET_MAX, out, sizeof out, &n),
                 PSH_SUCCESS);
    CHECK_EQ_INT(n, PSH_SECRET_MAX);
    CHECK_EQ_INT(psh_service_decode_secret(lit, PSH_SECRET_MAX + 1, out, sizeof out, &n),
                 PSH_ERR_PSA_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(psh_service_decode_secret("hex:0102", 8, out, 1, &n),
                 PSH_ERR_PSA_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(psh_service_decode_secret("hex:0102", 8, out, 2, &n), PSH_SUCCESS);
}

/* Input the parser must refuse without crashing. */
static void test_hostile_text(void)
{
    char err[256] = "";
    CHECK_EQ_INT(psh_service_config_parse("", 0, &cfg, err, sizeof err),
                 PSH_ERR_INVALID_ENCODING); /* no [core_settings] */
    CHECK(strstr(err, "core_settings") != NULL);
    CHECK_EQ_INT(psh_service_config_parse(NULL, 0, &cfg, NULL, 0), PSH_ERR_INVALID_ENCODING);
    const char bad_utf8[] = "[core_settings]\nlog_level = \"\xff\xfe\"\n";
    CHECK_EQ_INT(psh_service_config_parse(bad_utf8, sizeof bad_utf8 - 1, &cfg, err, sizeof err),
                 PSH_ERR_INVALID_ENCODING);
    const char with_nul[] = "[core_settings]\0garbage";
    CHECK_EQ_INT(psh_service_config_parse(with_nul, sizeof with_nul - 1, &cfg, err, sizeof err),
                 PSH_ERR_INVALID_ENCODING);
    /* Deep nesting is capped by toml++ rather than recursing without bound. */
    static char deep[200000];
    size_t off = (size_t)snprintf(deep, sizeof deep, "x = ");
    for (int i = 0; i < 50000; i++)
        deep[off++] = '[';
    CHECK_EQ_INT(psh_service_config_parse(deep, off, &cfg, err, sizeof err),
                 PSH_ERR_INVALID_ENCODING);
    /* A tiny err buffer still gets a terminated (truncated) message. */
    char tiny[8];
    CHECK_EQ_INT(parse_str("[core_settings", tiny, sizeof tiny), PSH_ERR_INVALID_ENCODING);
    CHECK(strlen(tiny) == sizeof tiny - 1);
}

static void test_load_errors(void)
{
    char err[512] = "";
    CHECK_EQ_INT(psh_service_config_load("/nonexistent/psh/config.toml", &cfg, err, sizeof err),
                 PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK(strstr(err, "/nonexistent/psh/config.toml") != NULL);
    CHECK_EQ_INT(psh_service_config_load(data_dir, &cfg, err, sizeof err),
                 PSH_ERR_PSA_INVALID_ARGUMENT); /* a directory */
    CHECK(strstr(err, "not a regular file") != NULL);

    /* Over the 1 MiB cap: refused before parsing. */
    char path[] = "/tmp/psh_test_config_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    static char chunk[65536];
    memset(chunk, '#', sizeof chunk);
    for (size_t i = 0; i <= PSH_SERVICE_CONFIG_FILE_MAX / sizeof chunk; i++)
        REQUIRE(write(fd, chunk, sizeof chunk) == (ssize_t)sizeof chunk);
    close(fd);
    CHECK_EQ_INT(psh_service_config_load(path, &cfg, err, sizeof err),
                 PSH_ERR_PSA_INVALID_ARGUMENT);
    CHECK(strstr(err, "larger than") != NULL);

    /* A parse error from a file names the file and the key. */
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("[core_settings]\nbody_len_limit = 0\n", f);
    fclose(f);
    CHECK_EQ_INT(psh_service_config_load(path, &cfg, err, sizeof err), PSH_ERR_INVALID_ENCODING);
    CHECK(strstr(err, path) != NULL);
    CHECK(strstr(err, "'core_settings.body_len_limit'") != NULL);
    CHECK(strstr(err, "line 2") != NULL);
    unlink(path);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        data_dir = argv[1];
    test_full_config();
    test_parsec_example();
    test_defaults();
    test_unknown_keys_warn();
    test_error_cases();
    test_error_hides_secret();
    test_decode_secret();
    test_hostile_text();
    test_load_errors();
    CHECK_DONE();
}
