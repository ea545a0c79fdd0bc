/* SQLite key info manager: behaviour a user of the engine relies on (keys survive a restart,
 * names are isolated and round-trip whatever they contain, damaged rows are reported but
 * never lost) and the pinned attribute record format. argv[1] = tests/data. */
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "kim/kim.h"
#include "util/alloc.h"

static char tmpdir[256];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static psh_kim_entry make_entry(uint8_t auth, const char *app, const char *name,
                                const char *provider, const char *key_id)
{
    psh_kim_entry e;
    memset(&e, 0, sizeof e);
    e.auth_type = auth;
    e.app = (char *)app;
    e.key_name = (char *)name;
    e.provider_id = 1;
    e.provider_name = (char *)provider;
    e.key_id = (uint8_t *)key_id;
    e.key_id_len = strlen(key_id);
    e.attrs.type = PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1);
    e.attrs.bits = 256;
    e.attrs.usage = PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH;
    e.attrs.alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
    return e;
}

static int attrs_eq(const psh_key_attrs *x, const psh_key_attrs *y)
{
    return x->type == y->type && x->bits == y->bits && x->usage == y->usage && x->alg == y->alg;
}

static int has_key(psh_kim *kim, uint8_t auth, const char *app, const char *name)
{
    psh_kim_entry *e = NULL;
    psh_status s = psh_kim_get(kim, auth, app, name, &e);
    psh_kim_entry_free(e);
    return s == PSH_SUCCESS;
}

/* insert / get / remove / list / list_clients on any store. */
static void test_basic(psh_kim *kim)
{
    psh_kim_entry a = make_entry(3, "alice", "/keys/k1", "mbed-crypto-provider", "id-a1");
    psh_kim_entry a2 = make_entry(3, "alice", "/keys/k0", "pkcs11-provider", "id-a0");
    psh_kim_entry b = make_entry(3, "bob", "/keys/k1", "mbed-crypto-provider", "id-b1");
    psh_kim_entry b1 = make_entry(1, "bob", "/keys/k1", "mbed-crypto-provider", "id-b1-direct");
    psh_kim_entry in = make_entry(PSH_AUTH_INTERNAL, "parsec", "root", "tpm-provider", "id-int");
    psh_kim_entry *got = NULL, **list = NULL;
    char **clients = NULL;
    size_t n = 0;

    CHECK_EQ_INT(psh_kim_insert(kim, &a), PSH_SUCCESS);
    CHECK_EQ_INT(psh_kim_insert(kim, &a2), PSH_SUCCESS);
    CHECK_EQ_INT(psh_kim_insert(kim, &b), PSH_SUCCESS);
    CHECK_EQ_INT(psh_kim_insert(kim, &b1), PSH_SUCCESS); /* same names, other authenticator */
    CHECK_EQ_INT(psh_kim_insert(kim, &in), PSH_SUCCESS);
    /* Same identity again, even with another provider and id: AlreadyExists, row unchanged. */
    psh_kim_entry dup = make_entry(3, "alice", "/keys/k1", "pkcs11-provider", "other");
    CHECK_EQ_INT(psh_kim_insert(kim, &dup), PSH_ERR_PSA_ALREADY_EXISTS);

    CHECK_EQ_INT(psh_kim_get(kim, 3, "alice", "/keys/k1", &got), PSH_SUCCESS);
    REQUIRE(got != NULL);
    CHECK(strcmp(got->app, "alice") == 0 && strcmp(got->key_name, "/keys/k1") == 0);
    CHECK(strcmp(got->provider_name, "mbed-crypto-provider") == 0);
    CHECK_EQ_INT(got->provider_id, 1);
    CHECK_EQ_INT(got->auth_type, 3);
    CHECK_MEM(got->key_id, got->key_id_len, "id-a1", 5);
    CHECK(attrs_eq(&got->attrs, &a.attrs));
    psh_kim_entry_free(got);
    got = NULL;

    /* Isolation: the identity includes the authenticator and the application. */
    CHECK_EQ_INT(psh_kim_get(kim, 1, "alice", "/keys/k1", &got), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK(got == NULL);
    CHECK_EQ_INT(psh_kim_get(kim, 3, "carol", "/keys/k1", &got), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK_EQ_INT(psh_kim_get(kim, 3, "alice", "/keys/k2", &got), PSH_ERR_PSA_DOES_NOT_EXIST);

    /* All rows, ordered by (app, key name). */
    CHECK_EQ_INT(psh_kim_list(kim, -1, NULL, NULL, &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 5);
    if (n == 5) {
        CHECK(strcmp(list[0]->app, "alice") == 0 && strcmp(list[0]->key_name, "/keys/k0") == 0);
        CHECK(strcmp(list[1]->app, "alice") == 0 && strcmp(list[1]->key_name, "/keys/k1") == 0);
        CHECK(strcmp(list[2]->app, "bob") == 0 && strcmp(list[3]->app, "bob") == 0);
        CHECK(strcmp(list[4]->app, "parsec") == 0);
    }
    psh_kim_list_free(list, n);

    CHECK_EQ_INT(psh_kim_list(kim, 3, "bob", NULL, &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_MEM(list[0]->key_id, list[0]->key_id_len, "id-b1", 5);
    psh_kim_list_free(list, n);

    CHECK_EQ_INT(psh_kim_list(kim, -1, NULL, "pkcs11-provider", &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 1);
    psh_kim_list_free(list, n);

    CHECK_EQ_INT(psh_kim_list(kim, 3, NULL, "mbed-crypto-provider", &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 2);
    psh_kim_list_free(list, n);

    CHECK_EQ_INT(psh_kim_list(kim, 4, NULL, NULL, &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 0);
    CHECK(list == NULL);
    psh_kim_list_free(list, n);

    /* Clients: sorted, de-duplicated, internal keys excluded. */
    CHECK_EQ_INT(psh_kim_list_clients(kim, &clients, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 2);
    if (n == 2)
        CHECK(strcmp(clients[0], "alice") == 0 && strcmp(clients[1], "bob") == 0);
    psh_kim_clients_free(clients, n);

    CHECK_EQ_INT(psh_kim_remove(kim, 3, "alice", "/keys/k1"), PSH_SUCCESS);
    CHECK_EQ_INT(psh_kim_remove(kim, 3, "alice", "/keys/k1"), PSH_ERR_PSA_DOES_NOT_EXIST);
    CHECK(!has_key(kim, 3, "alice", "/keys/k1"));
    CHECK(has_key(kim, 3, "alice", "/keys/k0"));
    /* Re-creating a removed name works. */
    CHECK_EQ_INT(psh_kim_insert(kim, &a), PSH_SUCCESS);
}

/* Names are arbitrary: SQL fragments, path separators, format strings, non-ASCII, 64 KiB. */
static void test_odd_names(psh_kim *kim)
{
    char *big = malloc(65537);
    REQUIRE(big != NULL);
    memset(big, 'x', 65536);
    big[65536] = '\0';
    big[100] = '\'';
    const char *names[] = {
        "'; DROP TABLE key_mapping;--", "\" OR 1=1 --", "../../etc/passwd", "a/b\\c",
        "%s%n%x", "ключ-ü-🔑", "", " ", "\t\n\r", "*", "?1", big,
    };
    size_t count = sizeof names / sizeof names[0];
    psh_kim_entry **list = NULL;
    size_t n = 0;

    for (size_t i = 0; i < count; i++) {
        psh_kim_entry e = make_entry(3, names[i], names[i], "mbed-crypto-provider", "id");
        CHECK_EQ_INT(psh_kim_insert(kim, &e), PSH_SUCCESS);
        /* The same name under a fixed app too. */
        e.app = "odd";
        CHECK_EQ_INT(psh_kim_insert(kim, &e), PSH_SUCCESS);
    }
    for (size_t i = 0; i < count; i++) {
        psh_kim_entry *got = NULL;
        CHECK_EQ_INT(psh_kim_get(kim, 3, names[i], names[i], &got), PSH_SUCCESS);
        if (got != NULL)
            CHECK(strcmp(got->app, names[i]) == 0 && strcmp(got->key_name, names[i]) == 0);
        psh_kim_entry_free(got);
    }
    CHECK_EQ_INT(psh_kim_list(kim, 3, "odd", NULL, &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, count);
    psh_kim_list_free(list, n);
    /* The table is still there after the "DROP TABLE" name. */
    CHECK_EQ_INT(psh_kim_list(kim, -1, NULL, NULL, &list, &n), PSH_SUCCESS);
    CHECK(n >= 2 * count);
    psh_kim_list_free(list, n);
    for (size_t i = 0; i < count; i++)
        CHECK_EQ_INT(psh_kim_remove(kim, 3, "odd", names[i]), PSH_SUCCESS);
    free(big);
}

/* ---- pinned record format ------------------------------------------------------------------- */

static void test_attrs_pinned(void)
{
    /* Save-and-compare: these bytes are what version 1 writes. */
    const psh_key_attrs a = {PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                             PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH,
                             PSA_ALG_ECDSA(PSA_ALG_SHA_256)};
    uint8_t want[PSH_KIM_ATTRS_RECORD_SIZE], got[PSH_KIM_ATTRS_RECORD_SIZE];
    psh_key_attrs back;
    REQUIRE(hex_to_bytes("50534841 01 1271 00010000 00300000 09060006", want, sizeof want) ==
            PSH_KIM_ATTRS_RECORD_SIZE);
    psh_kim_attrs_encode(&a, got);
    CHECK_MEM(got, sizeof got, want, sizeof want);
    CHECK_EQ_INT(psh_kim_attrs_decode(got, sizeof got, &back), PSH_SUCCESS);
    CHECK(attrs_eq(&back, &a));

    const psh_key_attrs rsa = {PSA_KEY_TYPE_RSA_KEY_PAIR, 2048, PSA_KEY_USAGE_EXPORT,
                               PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256)};
    REQUIRE(hex_to_bytes("50534841 01 0170 00080000 01000000 09020006", want, sizeof want) ==
            PSH_KIM_ATTRS_RECORD_SIZE);
    psh_kim_attrs_encode(&rsa, got);
    CHECK_MEM(got, sizeof got, want, sizeof want);
    CHECK_EQ_INT(psh_kim_attrs_decode(NULL, 0, &back), PSH_ERR_INVALID_ENCODING);
}

/* Load-and-check: every record in tests/data/kim_records.data decodes to its status, and a
 * record that decodes re-encodes to the same bytes. */
static void test_attrs_data(const char *dir)
{
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/kim_records.data", dir);
    FILE *f = fopen(path, "r");
    int cases = 0;
    REQUIRE(f != NULL);
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *status_name = strtok(line, "|"), *hex = strtok(NULL, "|");
        char *desc = strtok(NULL, "\n");
        REQUIRE(status_name != NULL && hex != NULL && desc != NULL);
        while (*status_name == ' ')
            status_name++;
        status_name[strcspn(status_name, " ")] = '\0';
        psh_status want;
        REQUIRE(psh_status_from_name(status_name, &want) == 0);
        uint8_t rec[64], again[PSH_KIM_ATTRS_RECORD_SIZE];
        int n = hex_to_bytes(hex, rec, sizeof rec);
        REQUIRE(n >= 0);
        psh_key_attrs attrs;
        psh_status got = psh_kim_attrs_decode(n > 0 ? rec : NULL, (size_t)n, &attrs);
        if (got != want)
            fprintf(stderr, "record case failed:%s\n", desc);
        CHECK_EQ_INT(got, want);
        if (got == PSH_SUCCESS) {
            psh_kim_attrs_encode(&attrs, again);
            CHECK_MEM(again, sizeof again, rec, (size_t)n);
        }
        cases++;
    }
    fclose(f);
    CHECK(cases >= 10);
}

/* ---- files ------------------------------------------------------------------------------------ */

static int exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static long long count_rows(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM key_mapping", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_file_persistence(void)
{
    char path[512];
    char err[256] = "";
    psh_kim *kim = NULL;
    struct stat sb;

    /* Parent directories are created. */
    snprintf(path, sizeof path, "%s/var/lib/parsec/kim.sqlite3", tmpdir);
    CHECK_EQ_INT(psh_kim_open(path, &kim, err, sizeof err), PSH_SUCCESS);
    REQUIRE(kim != NULL);
    test_basic(kim);
    test_odd_names(kim);
    psh_kim_close(kim);
    kim = NULL;

    REQUIRE(stat(path, &sb) == 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);

    /* Reopen: the keys are still there. */
    CHECK_EQ_INT(psh_kim_open(path, &kim, err, sizeof err), PSH_SUCCESS);
    REQUIRE(kim != NULL);
    CHECK(has_key(kim, 3, "alice", "/keys/k1"));
    CHECK(has_key(kim, 3, "bob", "/keys/k1"));
    CHECK(has_key(kim, PSH_AUTH_INTERNAL, "parsec", "root"));
    CHECK(has_key(kim, 3, "'; DROP TABLE key_mapping;--", "'; DROP TABLE key_mapping;--"));
    psh_kim_close(kim);
}

/* A row damaged behind the KIM's back: get reports it, list skips it, nobody deletes it. */
static void test_corrupt_rows(void)
{
    char path[512], err[256] = "";
    psh_kim *kim = NULL;
    psh_kim_entry **list = NULL, *got = NULL;
    size_t n = 0;
    static const struct {
        const char *name;
        const char *sql;
    } damage[] = {
        {"attrs", "UPDATE key_mapping SET key_attributes = x'00' WHERE key_name = 'attrs'"},
        {"attrsv", "UPDATE key_mapping SET key_attributes_version = 2 WHERE key_name = 'attrsv'"},
        {"idv", "UPDATE key_mapping SET key_id_version = 7 WHERE key_name = 'idv'"},
        {"idtext", "UPDATE key_mapping SET key_id = 'text' WHERE key_name = 'idtext'"},
        {"idbig", "UPDATE key_mapping SET key_id = zeroblob(70000) WHERE key_name = 'idbig'"},
        {"prov", "UPDATE key_mapping SET provider_id = 300 WHERE key_name = 'prov'"},
        {"pname", "UPDATE key_mapping SET provider_name = x'6100' WHERE key_name = 'pname'"},
        {"magic", "UPDATE key_mapping SET key_attributes = "
                  "x'50534842011271000100000030000009060006' WHERE key_name = 'magic'"},
    };
    size_t nd = sizeof damage / sizeof damage[0];

    snprintf(path, sizeof path, "%s/corrupt.sqlite3", tmpdir);
    REQUIRE(psh_kim_open(path, &kim, err, sizeof err) == PSH_SUCCESS);
    psh_kim_entry good = make_entry(3, "app", "good", "mbed-crypto-provider", "id");
    CHECK_EQ_INT(psh_kim_insert(kim, &good), PSH_SUCCESS);
    for (size_t i = 0; i < nd; i++) {
        psh_kim_entry e = make_entry(3, "app", damage[i].name, "mbed-crypto-provider", "id");
        CHECK_EQ_INT(psh_kim_insert(kim, &e), PSH_SUCCESS);
        CHECK_EQ_INT(exec_sql(path, damage[i].sql), SQLITE_OK);
    }
    for (size_t i = 0; i < nd; i++) {
        CHECK_EQ_INT(psh_kim_get(kim, 3, "app", damage[i].name, &got), PSH_ERR_INVALID_ENCODING);
        CHECK(got == NULL);
    }
    CHECK_EQ_INT(psh_kim_list(kim, -1, NULL, NULL, &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK(strcmp(list[0]->key_name, "good") == 0);
    psh_kim_list_free(list, n);
    CHECK_EQ_INT(count_rows(path), (long long)nd + 1); /* nothing deleted */
    /* The user can still remove a damaged key by name. */
    CHECK_EQ_INT(psh_kim_remove(kim, 3, "app", "attrs"), PSH_SUCCESS);
    psh_kim_close(kim);
}

static void test_refused_files(void)
{
    char path[512], err[256];
    psh_kim *kim = NULL;
    FILE *f;

    /* Garbage that is not SQLite. */
    snprintf(path, sizeof path, "%s/garbage.sqlite3", tmpdir);
    f = fopen(path, "wb");
    REQUIRE(f != NULL);
    for (int i = 0; i < 4096; i++)
        fputc("not a database\n"[i % 15], f);
    fclose(f);
    err[0] = '\0';
    CHECK_EQ_INT(psh_kim_open(path, &kim, err, sizeof err), PSH_ERR_KEY_INFO_MANAGER_ERROR);
    CHECK(kim == NULL);
    CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
    printf("garbage file: %s\n", err);

    /* A database with a foreign table. */
    snprintf(path, sizeof path, "%s/foreign.sqlite3", tmpdir);
    CHECK_EQ_INT(exec_sql(path, "CREATE TABLE secrets (x INTEGER)"), SQLITE_OK);
    err[0] = '\0';
    CHECK_EQ_INT(psh_kim_open(path, &kim, err, sizeof err), PSH_ERR_KEY_INFO_MANAGER_ERROR);
    CHECK(kim == NULL && err[0] != '\0');
    printf("foreign table: %s\n", err);

    /* An unknown schema version. */
    snprintf(path, sizeof path, "%s/v2.sqlite3", tmpdir);
    REQUIRE(psh_kim_open(path, &kim, err, sizeof err) == PSH_SUCCESS);
    psh_kim_close(kim);
    kim = NULL;
    CHECK_EQ_INT(exec_sql(path, "UPDATE kim_metadata SET int_value = 2"), SQLITE_OK);
    err[0] = '\0';
    CHECK_EQ_INT(psh_kim_open(path, &kim, err, sizeof err), PSH_ERR_KEY_INFO_MANAGER_ERROR);
    CHECK(kim == NULL && strstr(err, "version") != NULL);
    printf("schema v2: %s\n", err);

    /* A Parsec reference database (schema_version, provider_uuid): refused, not mangled. */
    snprintf(path, sizeof path, "%s/reference.sqlite3", tmpdir);
    CHECK_EQ_INT(exec_sql(path,
                          "CREATE TABLE kim_metadata (id TEXT PRIMARY KEY NOT NULL, int_value "
                          "INTEGER NOT NULL);"
                          "INSERT INTO kim_metadata VALUES ('schema_version', 1);"
                          "CREATE TABLE key_mapping (authenticator_id INTEGER NOT NULL, "
                          "application_name TEXT NOT NULL, key_name TEXT NOT NULL, provider_uuid "
                          "TEXT NOT NULL, provider_name TEXT NOT NULL, key_id BLOB NOT NULL, "
                          "key_id_version INTEGER NOT NULL, key_attributes BLOB NOT NULL, "
                          "key_attributes_version INTEGER NOT NULL, PRIMARY KEY "
                          "(authenticator_id, application_name, key_name))"),
                 SQLITE_OK);
    err[0] = '\0';
    CHECK_EQ_INT(psh_kim_open(path, &kim, err, sizeof err), PSH_ERR_KEY_INFO_MANAGER_ERROR);
    CHECK(kim == NULL && err[0] != '\0');
    printf("reference db: %s\n", err);

    /* A path whose parent is a file. */
    snprintf(path, sizeof path, "%s/garbage.sqlite3/kim.sqlite3", tmpdir);
    err[0] = '\0';
    CHECK_EQ_INT(psh_kim_open(path, &kim, err, sizeof err), PSH_ERR_KEY_INFO_MANAGER_ERROR);
    CHECK(kim == NULL && err[0] != '\0');
}

static void test_bad_arguments(psh_kim *kim)
{
    psh_kim_entry e = make_entry(3, "app", "k", "p", "id");
    e.attrs.bits = 70000; /* would not read back */
    CHECK_EQ_INT(psh_kim_insert(kim, &e), PSH_ERR_PSA_INVALID_ARGUMENT);
    e = make_entry(3, "app", "k", "p", "id");
    e.app = NULL;
    CHECK_EQ_INT(psh_kim_insert(kim, &e), PSH_ERR_PSA_INVALID_ARGUMENT);
    e = make_entry(3, "app", "empty-id", "p", "");
    CHECK_EQ_INT(psh_kim_insert(kim, &e), PSH_SUCCESS);
    psh_kim_entry *got = NULL;
    CHECK_EQ_INT(psh_kim_get(kim, 3, "app", "empty-id", &got), PSH_SUCCESS);
    CHECK(got != NULL && got->key_id_len == 0);
    psh_kim_entry_free(got);
}

/* Concurrent inserts: distinct names all land; one shared name is won by exactly one. */
enum { K_THREADS = 4, K_PER = 100 };
static psh_kim *shared_kim;
static int won[K_THREADS], failed[K_THREADS];

static void *kim_worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    char app[32], name[32];
    snprintf(app, sizeof app, "app%d", t);
    psh_kim_entry same = make_entry(3, "shared", "same", "p", "id");
    if (psh_kim_insert(shared_kim, &same) == PSH_SUCCESS)
        won[t] = 1;
    for (int i = 0; i < K_PER; i++) {
        snprintf(name, sizeof name, "key%03d", i);
        psh_kim_entry e = make_entry(3, app, name, "p", "id");
        if (psh_kim_insert(shared_kim, &e) != PSH_SUCCESS || !has_key(shared_kim, 3, app, name))
            failed[t]++;
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[K_THREADS];
    char err[256];
    psh_kim_entry **list = NULL;
    size_t n = 0;
    int winners = 0;
    REQUIRE(psh_kim_open(":memory:", &shared_kim, err, sizeof err) == PSH_SUCCESS);
    for (int t = 0; t < K_THREADS; t++)
        REQUIRE(pthread_create(&th[t], NULL, kim_worker, (void *)(intptr_t)t) == 0);
    for (int t = 0; t < K_THREADS; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ_INT(failed[t], 0);
        winners += won[t];
    }
    CHECK_EQ_INT(winners, 1);
    CHECK_EQ_INT(psh_kim_list(shared_kim, 3, NULL, NULL, &list, &n), PSH_SUCCESS);
    CHECK_EQ_INT(n, K_THREADS * K_PER + 1);
    psh_kim_list_free(list, n);
    psh_kim_close(shared_kim);
}

int main(int argc, char **argv)
{
    char err[256] = "";
    psh_kim *mem = NULL;

    REQUIRE(argc >= 2);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/psh_test_kim_XXXXXX");
    REQUIRE(mkdtemp(tmpdir) != NULL);

    test_attrs_pinned();
    test_attrs_data(argv[1]);

    CHECK_EQ_INT(psh_kim_open(":memory:", &mem, err, sizeof err), PSH_SUCCESS);
    REQUIRE(mem != NULL);
    test_basic(mem);
    test_odd_names(mem);
    test_bad_arguments(mem);
    psh_kim_close(mem);

    test_threads();
    test_file_persistence();
    test_corrupt_rows();
    test_refused_files();

    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    CHECK_DONE();
}
