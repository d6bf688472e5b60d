// The real `eslaunch` binary: usage, exit statuses, check in text and JSON,
// the preflight on this host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <tuple>
#include <nlohmann/json.hpp>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/eslaunch-cli.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const fs::path path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    fs::path dir_;
};

const std::vector<std::string> base_env = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8", "ES_HOME=/opt/es"};

TEST_F(Cli, HelpAndVersion) {
    auto help = run_eslaunch({"--help"});
    EXPECT_EQ(help.status, 0);
    EXPECT_THAT(help.out, HasSubstr("usage: eslaunch [--program NAME] FILE\n       eslaunch check [--program NAME] [--json] FILE\n"));
    EXPECT_EQ(help.err, "");
    auto version = run_eslaunch({"--version"});
    EXPECT_EQ(version.status, 0);
    EXPECT_THAT(version.out, ::testing::MatchesRegex("eslaunch [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST_F(Cli, BadUsageExits64) {
    const std::vector<std::vector<std::string>> cases = {
        {},
        {"--bogus"},
        {"check"},
        {"check", "a.ini", "b.ini"},
        {"check", "--program"},
        {"check", "--program=", "a.ini"},
        {"check", "--yaml", "a.ini"},
        {"--json", "a.ini"},
        {"check", "--cluster"},
        {"check", "--cluster", "--json"},
        {"check", "--cluster", "--program", "x", "a.yml"},
        {"--cluster", "a.yml"},
        {"check", "--node-http-settings", "/etc/elasticsearch", "--"},  // eslaunch-check's mode for a launch
    };
    for (const auto& args : cases) {
        auto r = run_eslaunch(args);
        EXPECT_EQ(r.status, 64) << ::testing::PrintToString(args);
        EXPECT_THAT(r.err, StartsWith("eslaunch: error: "));
        EXPECT_THAT(r.err, HasSubstr("usage: eslaunch [--program NAME] FILE\n       eslaunch check [--program NAME] [--json] FILE"));
        EXPECT_EQ(r.out, "");
    }
}

TEST_F(Cli, CheckIsEslaunchCheckAndWithoutItExits71) {
    // `eslaunch check` executes eslaunch-check, found beside eslaunch
    // outside bindir (this build tree), else in libexecdir.
    const std::string spec = write("p.ini", "[program:p]\ncommand=/bin/true\nuser=nobody\n");
    auto r = run_eslaunch({"check", spec}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("/bin/true"));
    // A copy of eslaunch alone in a directory: nothing beside it, and no
    // installed eslaunch-check on this machine.
    fs::create_directories(dir_ / "bin");
    const fs::path alone = dir_ / "bin/eslaunch";
    fs::copy_file(eslaunch_binary(), alone);
    r = run_command({alone.string(), "check", spec}, base_env);
    EXPECT_EQ(r.status, 71);
    EXPECT_THAT(r.err, ::testing::MatchesRegex("eslaunch: error: eslaunch-check, which runs `eslaunch check`, is not at "
                                               "/.*/eslaunch-check: reinstall eslaunch\n"));
    EXPECT_EQ(r.out, "");
    // The launch itself needs no eslaunch-check.
    const std::string plain = write("q.ini", "[program:q]\ncommand=/bin/true\nuser=nobody\nready=none\n");
    EXPECT_EQ(run_command({alone.string(), plain}, base_env).status, 0);
}

// Users and groups come from glibc's NSS, as nsswitch.conf says: here, in a
// private mount namespace, an /etc/group that adds nobody to root's group
// and a group of its own; the program's groups are what `id` says there.
TEST_F(Cli, UsersAndGroupsAreWhatGlibcsNssAnswers) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (a mount namespace with its own /etc/group)";
    std::ifstream in("/etc/group");
    const std::string group_text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string group = write("group", group_text + "eslaunch-nss-test:x:4242:nobody\n");
    const std::string conf = write("nsswitch.conf", "passwd: files\ngroup: files\n");
    const std::string id_cmd = "command=/bin/sh -c \"id -u; id -g; id -G\"\nuser=nobody\nready=none\n";
    auto in_namespace = [&](const std::string& spec, const std::string& then) {
        return run_command({"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                            "mount --bind \"$0\" /etc/nsswitch.conf && mount --bind \"$1\" /etc/group && "
                            "\"$2\" \"$3\" && " + then,
                            conf, group, eslaunch_binary(), spec},
                           base_env);
    };
    auto r = in_namespace(write("p.ini", "[program:p]\n" + id_cmd), "id -G nobody");
    ASSERT_EQ(r.status, 0) << r.err;
    // The launch's three lines, then id's own answer in the same namespace.
    std::istringstream out(r.out);
    std::string uid, gid, groups, id_groups;
    std::getline(out, uid);
    std::getline(out, gid);
    std::getline(out, groups);
    std::getline(out, id_groups);
    EXPECT_EQ(uid, "65534");
    EXPECT_EQ(gid, "65534");
    EXPECT_EQ(groups, id_groups);
    EXPECT_THAT(groups, HasSubstr("4242"));
    EXPECT_EQ(r.err, "");
    // group= and supplementary groups by name and by gid, through glibc too.
    r = in_namespace(write("q.ini", "[program:q]\n" + id_cmd + "group=root\nsupplementary_groups=eslaunch-nss-test,0\n"),
                     "true");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "65534\n0\n0 4242\n");
}

TEST_F(Cli, AnExceptionNothingCaughtSaysWhatAndAborts) {
    // main() says what escaped it in one line, then aborts. A 900 KB value
    // under a 10 MB address-space limit: operator new throws std::bad_alloc.
    const std::string spec = write("big.ini", "[program:p]\ncommand=/bin/true\nuser=nobody\nenvironment=A=\"" +
                                                  std::string(900 * 1024, 'x') + "\"\n");
    auto r = run_command({"/usr/bin/prlimit", "--as=10000000", eslaunch_binary(), spec}, base_env);
    EXPECT_EQ(r.status, 128 + SIGABRT);
    EXPECT_EQ(r.err, "eslaunch: error: internal error: std::bad_alloc\n");
}

TEST_F(Cli, CheckValidFilePrintsThePlan) {
    const std::string file = write("es.ini",
                                   "[program:es]\ncommand=/bin/true\nuser=nobody\n"
                                   "environment=JAVA_HOME=\"/usr/lib/jvm/jre\"\nstopwaitsecs=300\n");
    auto r = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_THAT(r.out, HasSubstr(file + ": [program:es] is valid"));
    EXPECT_THAT(r.out, HasSubstr("+ JAVA_HOME=/usr/lib/jvm/jre"));
    EXPECT_THAT(r.out, HasSubstr("stopwaitsecs=300 (line 5)"));
    EXPECT_THAT(r.out, HasSubstr("user         nobody (uid 65534, gid 65534"));
}

TEST_F(Cli, CheckInvalidFileExits78WithOneLinePerError) {
    const std::string file = write("bad.ini",
                                   "[program:x]\ncommand=/bin/true\nenvironment=A=\"1\"\nenvironment=B=\"2\"\n"
                                   "frobnicate=1\n");
    auto r = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "eslaunch: error: " + file +
                         ":4: 'environment' is set twice, on lines 3 and 4; supervisord keeps only line 4 and drops "
                         "the others silently; merge them into one line: environment=A=\"1\",B=\"2\"\n"
                         "eslaunch: error: " +
                         file +
                         ":5: unknown key 'frobnicate'; supervisord would ignore it silently; see eslaunch.ini(5) for "
                         "the keys\n");
}

TEST_F(Cli, CheckJsonGivesTheProgramsWholeEnvironment) {
    const std::string file = write("x.ini",
                                   "[program:x]\ncommand=%(here)s/run --name %(program_name)s\nallow_root=true\n"
                                   "environment=LANG=\"C\",EXTRA='a, \"b\" c',FROM_ENV=\"%(ENV_ES_HOME)s\"\n");
    fs::permissions(write("run", "#!/bin/sh\n"), fs::perms(0755));  // check tests the program too
    auto r = run_eslaunch({"check", "--json", file}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["argv"], json({dir_.string() + "/run", "--name", "x"}));
    EXPECT_EQ(j["environment"], json({{"PATH", "/usr/bin:/bin"},
                                      {"HOME", "/root"},
                                      {"LANG", "C"},
                                      {"ES_HOME", "/opt/es"},
                                      {"EXTRA", "a, \"b\" c"},
                                      {"FROM_ENV", "/opt/es"}}));
}

TEST_F(Cli, CheckJsonErrors) {
    const std::string file = write("x.ini", "[program:x]\ncommand=/bin/true\numask=8\n");
    auto r = run_eslaunch({"check", "--json", file}, base_env);
    EXPECT_EQ(r.status, 78);
    const json j = json::parse(r.out);
    EXPECT_EQ(j["valid"], false);
    EXPECT_EQ(j["errors"][0]["file"], file);
    EXPECT_EQ(j["errors"][0]["line"], 3);
    EXPECT_THAT(r.err, HasSubstr(":3: umask: '8' is not an octal umask"));
}

TEST_F(Cli, ProgramOption) {
    const std::string file = write("two.ini", "[program:a]\ncommand=/bin/true\nallow_root=true\n[program:b]\ncommand=/bin/false\nallow_root=true\n");
    auto none = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(none.status, 78);
    EXPECT_EQ(none.err, "eslaunch: error: " + file +
                            ": 2 [program:NAME] sections (a, b); choose one with --program NAME\n");
    auto b = run_eslaunch({"check", "--json", "--program", "b", file}, base_env);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(json::parse(b.out)["argv"], json({"/bin/false"}));
    auto a = run_eslaunch({"check", "--program=a", "--json", file}, base_env);
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(json::parse(a.out)["program"], "a");
}

TEST_F(Cli, RelativePathIsMadeAbsoluteForHereAndMessages) {
    write("rel.ini", "[program:x]\ncommand=%(here)s/bin/x\nallow_root=true\n");
    fs::create_directories(dir_ / "bin");
    fs::permissions(write("bin/x", "#!/bin/sh\n"), fs::perms(0755));  // check tests the program too
    auto r = run_eslaunch({"check", "--json", "rel.ini"}, base_env, dir_.string());
    ASSERT_EQ(r.status, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["file"], dir_.string() + "/rel.ini");
    EXPECT_EQ(j["argv"][0], dir_.string() + "/bin/x");
}

TEST_F(Cli, FilesThatAreNotSpecs) {
    auto missing = run_eslaunch({"check", (dir_ / "nope.ini").string()}, base_env);
    EXPECT_EQ(missing.status, 78);
    EXPECT_EQ(missing.err, "eslaunch: error: " + (dir_ / "nope.ini").string() +
                               ": cannot open: No such file or directory; check the path given to eslaunch\n");
    auto directory = run_eslaunch({"check", dir_.string()}, base_env);
    EXPECT_EQ(directory.status, 78);
    EXPECT_THAT(directory.err, HasSubstr(": not a regular file; give eslaunch the path of the spec file"));
    const std::string big = write("big.ini", std::string(1024 * 1024 + 1, ';'));
    auto too_big = run_eslaunch({"check", big}, base_env);
    EXPECT_EQ(too_big.status, 78);
    EXPECT_THAT(too_big.err, HasSubstr(": file is 1048577 bytes, over the limit of 1048576 (1 MiB)"));
    const std::string empty = write("empty.ini", "");
    auto r = run_eslaunch({"check", empty}, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_THAT(r.err, HasSubstr(": file is empty;"));
}

TEST_F(Cli, BundledExamples) {
    const fs::path examples = fs::path(ESLAUNCH_SOURCE_ROOT) / "examples";
    auto good = run_eslaunch({"check", (examples / "elasticsearch.ini").string()}, base_env);
    EXPECT_EQ(good.status, 0) << good.err;
    auto legacy = run_eslaunch({"check", (examples / "legacy-supervisor.conf").string()}, base_env);
    EXPECT_EQ(legacy.status, 78);
    EXPECT_THAT(legacy.err, HasSubstr("'environment' is set 3 times, on lines 12, 13 and 14"));
    EXPECT_THAT(good.out, HasSubstr("passed as      ES_HEAP_SIZE=1g"));
    EXPECT_THAT(good.out, HasSubstr("elasticsearch  2.4.6 ("));
    EXPECT_THAT(legacy.err, HasSubstr(
        "merge them into one line: environment=JAVA_HOME=\"/usr/lib/jvm/jre\",ES_HEAP_SIZE=\"24g\",MAX_OPEN_FILES=\"102400\""));
}

// check foresees what the launch would exit 203 for: a command= that does
// not exist (a plain profile: no preflight), with FILE:LINE, path and fix.
TEST_F(Cli, CheckFindsAProgramThatDoesNotExist) {
    fs::permissions(dir_, fs::perms(0755));
    const std::string file = write("p.ini", "[program:p]\ncommand=/nonexistent/prog --flag\nuser=nobody\nready=none\n");
    EXPECT_EQ(run_eslaunch({file}, base_env).status, 203);
    auto r = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(r.status, 78) << r.out;
    EXPECT_EQ(r.err, "eslaunch: error: " + file +
                         ":2: cannot execute /nonexistent/prog as nobody: No such file or directory: the launch would "
                         "exit 203 (EXEC); fix the program's path in command= (the launch executes it as written)\n");
    EXPECT_THAT(r.out, HasSubstr("\nlaunch (directory= and the program, tested as user nobody (uid 65534)):\n"
                                 "  error    program: cannot execute /nonexistent/prog as nobody"));
    auto j = run_eslaunch({"check", "--json", file}, base_env);
    EXPECT_EQ(j.status, 78);
    const json out = json::parse(j.out);
    EXPECT_EQ(out["valid"], true);
    ASSERT_EQ(out["findings"].size(), 1U) << j.out;
    EXPECT_EQ(out["findings"][0]["id"], "program");
    EXPECT_EQ(out["findings"][0]["status"], 203);
    EXPECT_EQ(out["findings"][0]["where"], file + ":2");
}

// A program only root may execute (0700), and a directory= only root may
// enter: the launch exits 203 and 200 as nobody, and check, asking as
// nobody, says so; as root (allow_root) both are fine.
TEST_F(Cli, CheckTestsTheProgramAndTheDirectoryAsTheUser) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (files only root may use, a user to drop to)";
    fs::permissions(dir_, fs::perms(0755));
    const std::string prog = write("prog", "#!/bin/sh\nexit 0\n");
    fs::permissions(prog, fs::perms(0700));
    const fs::path private_dir = dir_ / "private";
    fs::create_directories(private_dir);
    fs::permissions(private_dir, fs::perms(0700));
    const std::string exe = write("x.ini", "[program:x]\ncommand=" + prog + "\nuser=nobody\nready=none\n");
    const std::string dir = write("d.ini", "[program:d]\ncommand=/bin/true\nuser=nobody\ndirectory=" +
                                               private_dir.string() + "\nready=none\n");
    EXPECT_EQ(run_eslaunch({exe}, base_env).status, 203);
    EXPECT_EQ(run_eslaunch({dir}, base_env).status, 200);
    const std::vector<std::tuple<std::string, std::string, int, std::string>> cases = {
        {exe, "program", 203, ":2: cannot execute " + prog + " as nobody: Permission denied: the launch would exit 203"},
        {dir, "directory", 200,
         ":4: cannot enter directory " + private_dir.string() +
             " as nobody: Permission denied: the launch would exit 200 (CHDIR); give the user access to it"},
    };
    for (const auto& [file, id, status, message] : cases) {
        SCOPED_TRACE(id);
        auto r = run_eslaunch({"check", "--json", file}, base_env);
        EXPECT_EQ(r.status, 78);
        EXPECT_THAT(r.err, HasSubstr("eslaunch: error: " + file + message));
        const json out = json::parse(r.out);
        ASSERT_EQ(out["findings"].size(), 1U) << r.out;
        EXPECT_EQ(out["findings"][0]["id"], id);
        EXPECT_EQ(out["findings"][0]["status"], status);
    }
    const std::string as_root = write("r.ini", "[program:r]\ncommand=" + prog + "\nallow_root=true\ndirectory=" +
                                                   private_dir.string() + "\nready=none\n");
    auto root = run_eslaunch({"check", "--json", as_root}, base_env);
    EXPECT_EQ(root.status, 0) << root.err;
    EXPECT_EQ(json::parse(root.out)["findings"], json::array());
}

// An Elasticsearch 7.17.25 home under the test's directory, as far as check
// looks: the jar that names the version, config/elasticsearch.yml, data/ and
// logs/ owned by nobody, and a bin/elasticsearch that exits 0.
class Preflight : public Cli {
protected:
    void SetUp() override {
        Cli::SetUp();
        // nobody must reach the home (mkdtemp made the directory 0700).
        fs::permissions(dir_, fs::perms(0755));
        home_ = dir_ / "es";
        for (const char* d : {"bin", "config", "lib", "data", "logs", "out"}) fs::create_directories(home_ / d);
        std::ofstream(home_ / "lib/elasticsearch-7.17.25.jar") << "";
        std::ofstream(home_ / "bin/elasticsearch") << "#!/bin/sh\nexit 0\n";
        fs::permissions(home_ / "bin/elasticsearch", fs::perms(0755));
        for (const char* d : {"data", "logs", "out"}) ASSERT_EQ(::chown((home_ / d).c_str(), 65534, 65534), 0);
        java_home_ = fs::canonical("/usr/bin/java").parent_path().parent_path().string();
    }
    void yml(const std::string& text) { std::ofstream(home_ / "config/elasticsearch.yml") << text; }
    std::string spec(const std::string& extra = {}) {
        return write("es.ini", "[program:es]\ncommand=" + (home_ / "bin/elasticsearch").string() +
                                   "\nuser=nobody\nenvironment=ES_JAVA_HOME=\"" + java_home_ + "\"\n" + extra);
    }
    // `eslaunch check ARGS` as on a host whose vm.max_map_count is `sysctl`
    // (a file bound over it in a private mount namespace; util-linux's
    // unshare), without CAP_SYS_RESOURCE and under a hard limit of 4096
    // files (prlimit): the same findings on every machine.
    RunResult check(const std::vector<std::string>& args, int sysctl) {
        const std::string file = write("max_map_count", std::to_string(sysctl) + "\n");
        std::vector<std::string> command{"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                                         "mount --bind \"$0\" /proc/sys/vm/max_map_count && exec \"$@\"", file,
                                         "/usr/bin/prlimit", "--nofile=1024:" + std::to_string(files_hard_),
                                         eslaunch_binary(), "check"};
        command.insert(command.end(), args.begin(), args.end());
        return run_command(command, base_env, {}, {}, -1, Caps::without_sys_resource);
    }
    static std::string map_count_message(int sysctl) {
        return "max virtual memory areas vm.max_map_count [" + std::to_string(sysctl) +
               "] is too low, increase to at least [262144]";
    }

    fs::path home_;
    std::string java_home_;
    const rlim_t files_hard_ = settable_nofile_hard(4096);
};

// vm.max_map_count below 262144 stops a production node (65530 is the
// kernel's default); at 262144 the finding is gone. The hard limit of 4096
// files stops it in both.
TEST_F(Preflight, ProductionNode) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (a mount namespace with its own vm.max_map_count)";
    yml("cluster.name: prod\nnetwork:\n  host: 0.0.0.0\ndiscovery.seed_hosts: [\"10.0.0.1\"]\n");
    const std::string file = spec();
    const std::string files = "max file descriptors [" + std::to_string(files_hard_) +
                              "] for elasticsearch process is too low, increase to at least [65535]";
    for (const int sysctl : {65530, 262144}) {
        SCOPED_TRACE(sysctl);
        const bool low = sysctl < 262144;
        auto r = check({file}, sysctl);
        EXPECT_EQ(r.status, 78) << r.out << r.err;
        EXPECT_THAT(r.out, HasSubstr("\npreflight (Elasticsearch 7.17.25, " + (home_ / "config/elasticsearch.yml").string() +
                                     "):\n  bootstrap checks enforced: transport binds 0.0.0.0 (network.host, " +
                                     (home_ / "config/elasticsearch.yml").string() + ":3), not only loopback"));
        // java -version ran as nobody, and the data and logs directories are nobody's.
        EXPECT_THAT(r.out, Not(HasSubstr(" java")));
        EXPECT_THAT(r.out, Not(HasSubstr("path-")));
        EXPECT_THAT(r.out, HasSubstr("  error    max-file-descriptors: " + files + "\n"));
        EXPECT_THAT(r.err, HasSubstr("eslaunch: error: " + files + "; raise the hard limit where eslaunch starts"));
        if (low) {
            EXPECT_THAT(r.out, HasSubstr("  error    max-map-count: " + map_count_message(sysctl) +
                                         "\n           at: /proc/sys/vm/max_map_count\n"
                                         "           fix: sysctl -w vm.max_map_count=262144"));
            EXPECT_THAT(r.err, HasSubstr("eslaunch: error: /proc/sys/vm/max_map_count: " + map_count_message(sysctl) +
                                         "; sysctl -w vm.max_map_count=262144"));
        } else {
            EXPECT_THAT(r.out + r.err, Not(HasSubstr("max_map_count")));
        }

        auto j = check({"--json", file}, sysctl);
        EXPECT_EQ(j.status, 78);
        const json out = json::parse(j.out);
        EXPECT_EQ(out["valid"], true);
        EXPECT_EQ(out["preflight"]["bootstrap_checks_enforced"], true);
        EXPECT_EQ(out["preflight"]["elasticsearch_version"], "7.17.25");
        std::vector<std::string> ids;
        for (const auto& f : out["findings"]) {
            ids.push_back(f["id"]);
            EXPECT_EQ(f["severity"], "error");
            if (f["id"] == "max-map-count") {
                EXPECT_EQ(f["message"], map_count_message(sysctl));
            }
        }
        std::vector<std::string> expected{"max-file-descriptors"};
        // A small machine's hard RLIMIT_NPROC (RAM / 256 KiB) may be below 7.x's 4096 threads.
        rlimit nproc{};
        ASSERT_EQ(getrlimit(RLIMIT_NPROC, &nproc), 0);
        if (nproc.rlim_max < 4096) expected.push_back("max-number-of-threads");
        if (low) expected.push_back("max-map-count");
        EXPECT_EQ(ids, expected);
    }
}

TEST_F(Preflight, OnLoopbackTheBootstrapChecksAreWarnings) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (a mount namespace with its own vm.max_map_count)";
    yml("cluster.name: dev\n");
    for (const int sysctl : {65530, 262144}) {
        SCOPED_TRACE(sysctl);
        auto r = check({spec()}, sysctl);
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        EXPECT_THAT(r.out, HasSubstr("  bootstrap checks not enforced: transport binds loopback only"));
        EXPECT_THAT(r.out, HasSubstr("  warning  max-file-descriptors: "));
        if (sysctl < 262144) EXPECT_THAT(r.out, HasSubstr("  warning  max-map-count: " + map_count_message(sysctl)));
        else EXPECT_THAT(r.out, Not(HasSubstr("max-map-count")));
        EXPECT_EQ(r.err, "");
    }
}

TEST_F(Preflight, JavaPathsAndYamlErrors) {
    yml("cluster.name: dev\npath.logs: " + (dir_ / "root-only/logs").string() + "\n");
    fs::create_directories(dir_ / "root-only");
    fs::permissions(dir_ / "root-only", fs::perms(0755));
    auto r = run_eslaunch({"check", write("es.ini", "[program:es]\ncommand=" + (home_ / "bin/elasticsearch").string() +
                                                      "\nuser=nobody\nenvironment=ES_JAVA_HOME=\"/nonexistent\"\n")},
                          base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_THAT(r.err, HasSubstr("eslaunch: error: " + dir_.string() +
                                 "/es.ini:4: could not find java in ES_JAVA_HOME at /nonexistent/bin/java; set "
                                 "ES_JAVA_HOME in environment= to a directory with bin/java\n"));
    EXPECT_THAT(r.err, HasSubstr("eslaunch: error: " + (home_ / "config/elasticsearch.yml").string() +
                                 ":2: path.logs " + (dir_ / "root-only/logs").string() +
                                 " does not exist, and user nobody (uid 65534) cannot create it in " +
                                 (dir_ / "root-only").string() + " (uid 0, gid 0, mode 0755); mkdir -p "));

    yml("cluster.name: dev\nnode:\n  name: [a\n");
    auto bad = run_eslaunch({"check", spec()}, base_env);
    EXPECT_EQ(bad.status, 78);
    EXPECT_THAT(bad.err, HasSubstr("eslaunch: error: " + (home_ / "config/elasticsearch.yml").string() +
                                   ":4: YAML: end of sequence flow not found; Elasticsearch refuses the file too"));
}

TEST_F(Preflight, TheNodesFileIsReadAsTheNode) {
    // check runs as root here, and reads elasticsearch.yml as user= all the
    // same: a file only root may read is the node's error too.
    yml("cluster.name: prod\nhttp.port: 19338\n");
    const std::string file = spec();
    auto readable = run_eslaunch({"check", "--json", file}, base_env);
    EXPECT_EQ(json::parse(readable.out)["readiness"]["probe"], "http://127.0.0.1:19338/") << readable.out;
    EXPECT_THAT(readable.err, Not(HasSubstr("Permission denied")));

    const fs::path y = home_ / "config/elasticsearch.yml";
    ASSERT_EQ(::chown(y.c_str(), 0, 0), 0);
    fs::permissions(y, fs::perms(0600));
    auto r = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_THAT(r.err, HasSubstr("eslaunch: error: " + y.string() + ": cannot open: Permission denied"));
}

// An OpenSearch home: opensearch.yml (not the elasticsearch.yml beside it),
// jvm.options' heap, OpenSearch's words, its keystore tool asked as the node's
// user, and java -version of OPENSEARCH_JAVA_HOME.
TEST_F(Preflight, AnOpenSearchNodeIsCheckedInItsOwnWords) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (a mount namespace with its own vm.max_map_count)";
    const fs::path os = dir_ / "os";
    for (const char* d : {"bin", "config", "lib", "data", "logs"}) fs::create_directories(os / d);
    for (const char* d : {"data", "logs"}) ASSERT_EQ(::chown((os / d).c_str(), 65534, 65534), 0);
    std::ofstream(os / "lib/opensearch-2.19.1.jar") << "";
    std::ofstream(os / "bin/opensearch") << "#!/bin/sh\nexit 0\n";
    // has-passwd: protected (exit 0), and who asked.
    std::ofstream(os / "bin/opensearch-keystore") << "#!/bin/sh\nid -u > " << (os / "logs/asked-by").string()
                                                  << "\n[ \"$1\" = has-passwd ] && exit 0\nexit 64\n";
    for (const char* b : {"bin/opensearch", "bin/opensearch-keystore"}) fs::permissions(os / b, fs::perms(0755));
    std::ofstream(os / "config/opensearch.yml") << "network.host: 0.0.0.0\n";
    std::ofstream(os / "config/elasticsearch.yml") << "discovery.seed_hosts: [\"10.0.0.1\"]\n";
    std::ofstream(os / "config/jvm.options") << "-Xms1g\n-Xmx2g\n";
    std::ofstream(os / "config/opensearch.keystore") << "";
    const std::string file = write("os.ini", "[program:os]\ncommand=" + (os / "bin/opensearch").string() +
                                                 "\nuser=nobody\ntmpdir=none\nenvironment=OPENSEARCH_JAVA_HOME=\"" +
                                                 java_home_ + "\"\n");
    auto r = check({file}, 262144);
    EXPECT_EQ(r.status, 78) << r.out << r.err;
    const std::string yml = (os / "config/opensearch.yml").string();
    EXPECT_THAT(r.out, HasSubstr("\npreflight (OpenSearch 2.19.1, " + yml + "):\n  bootstrap checks enforced: "
                                 "transport binds 0.0.0.0 (network.host, " + yml + ":1), not only loopback"));
    EXPECT_THAT(r.out, HasSubstr("  JVM: " + java_home_ + "/bin/java (OPENSEARCH_JAVA_HOME: OPENSEARCH_JAVA_HOME is set), "));
    EXPECT_THAT(r.out, HasSubstr("error    max-file-descriptors: max file descriptors [" + std::to_string(files_hard_) +
                                 "] for opensearch process is too low, increase to at least [65535]\n"));
    EXPECT_THAT(r.out, HasSubstr("error    discovery-not-configured: the default discovery settings are unsuitable "
                                 "for production use; at least one of [discovery.seed_hosts, discovery.seed_providers, "
                                 "cluster.initial_cluster_manager_nodes / cluster.initial_master_nodes] must be "
                                 "configured\n"));
    EXPECT_THAT(r.out, HasSubstr("error    heap-size: initial heap size [1073741824] not equal to maximum heap size "
                                 "[2147483648]; this can cause resize pauses\n"));
    EXPECT_THAT(r.out, HasSubstr("error    keystore-passphrase: " + (os / "config/opensearch.keystore").string() +
                                 " is password-protected and stdin= gives no passphrase"));
    std::ifstream asked(os / "logs/asked-by");
    std::string uid;
    asked >> uid;
    EXPECT_EQ(uid, "65534");  // bin/opensearch-keystore ran as the node's user
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("elasticsearch")));
}

// The launch reads no elasticsearch.yml and runs no java: a broken file and a
// java that leaves a mark change nothing; check does run that java, as nobody.
TEST_F(Preflight, TheLaunchDoesNoPreflightWork) {
    yml("this: [is not: yaml\n");
    const fs::path java_home = dir_ / "marking-jdk";
    fs::create_directories(java_home / "bin");
    fs::permissions(java_home, fs::perms(0755));
    fs::permissions(java_home / "bin", fs::perms(0755));
    const fs::path mark = home_ / "out/java-ran";
    const fs::path status = home_ / "out/java-status";
    // It records its open fds (those of the shell running it) in the mark,
    // and how it was dropped (drop_privileges, as the program is) in status.
    std::ofstream(java_home / "bin/java") << "#!/bin/sh\nls /proc/$$/fd > " << mark.string()
                                          << "\ngrep -E '^(NoNewPrivs|Groups):' /proc/$$/status > " << status.string()
                                          << "\necho 'openjdk version \"17.0.1\"' >&2\n";
    fs::permissions(java_home / "bin/java", fs::perms(0755));
    // ready=none: no watcher outlives the program, which exits at once.
    const std::string file = write("es.ini", "[program:es]\ncommand=" + (home_ / "bin/elasticsearch").string() +
                                                 "\nuser=nobody\nready=none\ntmpdir=none\nenvironment=ES_JAVA_HOME=\"" +
                                                 java_home.string() + "\"\n");
    auto launch = run_eslaunch({file}, base_env);
    EXPECT_EQ(launch.status, 0) << launch.err;
    EXPECT_FALSE(fs::exists(mark));

    auto check = run_command({eslaunch_binary(), "check", file}, base_env, {}, {}, 7);  // the parent leaks fd 7
    EXPECT_EQ(check.status, 78);  // the YAML error
    ASSERT_TRUE(fs::exists(mark));
    std::ifstream fds(mark);
    std::vector<std::string> open_fds{std::istream_iterator<std::string>(fds), std::istream_iterator<std::string>()};
    EXPECT_THAT(open_fds, ::testing::Contains("2"));  // what it lists is the fds
    EXPECT_THAT(open_fds, ::testing::Not(::testing::Contains("7")));  // java gets none check inherited
    struct stat st {};
    ASSERT_EQ(::stat(mark.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534U);  // java -version ran as the program's user
    std::ifstream status_file(status);
    const std::string dropped{std::istreambuf_iterator<char>(status_file), std::istreambuf_iterator<char>()};
    const auto groups = run_command({"/usr/bin/id", "-G", "nobody"});
    EXPECT_EQ(dropped, "Groups:\t" + groups.out.substr(0, groups.out.size() - 1) + " \nNoNewPrivs:\t1\n");
}

// A user= only the production host has stops the launch here (217, fail
// fast), and check reports it once with every other finding of the same
// run: a limit, directory=, the probe against elasticsearch.yml (read as
// nobody, not root), and a note that the checks as the user were skipped.
TEST_F(Preflight, AUserOnlyTheProductionHostHasHidesNothingElse) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (check reads the node's files as nobody)";
    yml("cluster.name: prod\nhttp.port: 19400\n");
    const std::string file = write("es.ini", "[program:es]\ncommand=" + (home_ / "bin/elasticsearch").string() +
                                                 "\nenvironment=ES_JAVA_HOME=\"" + java_home_ +
                                                 "\"\nuser=es-prod-only\nlimit_nofile=999999999\n"
                                                 "directory=/nonexistent/dir\nready=http://127.0.0.1:19999/\n");
    const std::string user_error = file + ":4: user: user 'es-prod-only' does not exist; create it (useradd --system "
                                          "es-prod-only) or fix user=";
    auto launch = run_eslaunch({file}, base_env);
    EXPECT_EQ(launch.status, 217);
    EXPECT_THAT(launch.err, HasSubstr(user_error));
    auto r = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_THAT(r.out, HasSubstr(file + ": [program:es] cannot be launched on this host (2 errors); the rest of the "
                                        "plan follows:\n  error    " + user_error + " (status 217)\n"));
    EXPECT_EQ(r.err.find(user_error), r.err.rfind(user_error));  // once
    EXPECT_THAT(r.err, HasSubstr(file + ":5: limit_nofile=999999999"));
    EXPECT_THAT(r.err, HasSubstr(file + ":6: cannot enter directory /nonexistent/dir as es-prod-only: No such file or "
                                        "directory: the launch would exit 200 (CHDIR)"));
    EXPECT_THAT(r.err, HasSubstr("probes port 19999, but Elasticsearch serves HTTP on 19400 (" +
                                 (home_ / "config/elasticsearch.yml").string() + ":2)"));
    auto j = run_eslaunch({"check", "--json", file}, base_env);
    EXPECT_EQ(j.status, 78);
    const json out = json::parse(j.out);
    EXPECT_EQ(out["valid"], false);
    std::vector<int> statuses;
    for (const auto& e : out["errors"]) statuses.push_back(e["status"]);
    EXPECT_EQ(statuses, (std::vector<int>{217, 205}));
    std::vector<std::string> ids;
    for (const auto& f : out["findings"]) ids.push_back(f["id"]);
    EXPECT_THAT(ids, ::testing::IsSupersetOf({"as-user", "directory", "probe-port"}));
    EXPECT_THAT(ids, Not(::testing::Contains("run-as-root")));
    const auto note = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), "as-user") - ids.begin());
    ASSERT_LT(note, ids.size());
    EXPECT_THAT(out["findings"][note]["message"].get<std::string>(),
                HasSubstr("the checks as user es-prod-only were skipped: user: user 'es-prod-only' does not exist "
                          "(status 217, above)"));

    // Not read as root, whom the service's group may feed a file: a file
    // only root may read is one nobody cannot.
    const fs::path y = home_ / "config/elasticsearch.yml";
    fs::permissions(y, fs::perms(0600));
    auto hidden = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(hidden.status, 78);
    EXPECT_THAT(hidden.err, HasSubstr("eslaunch: error: " + y.string() + ": cannot open: Permission denied"));
}

// check --cluster on the unit tests' fixtures (tests/unit/cluster/; an
// OpenSearch node is a directory holding its opensearch.yml).
class ClusterCli : public Cli {
protected:
    std::vector<std::string> nodes(const std::string& dir) {
        const fs::path d = fs::path(ESLAUNCH_SOURCE_ROOT) / "tests/unit/cluster" / dir;
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(d)) {
            files.push_back((e.is_directory() ? e.path() / "opensearch.yml" : e.path()).string());
        }
        std::sort(files.begin(), files.end());
        files.insert(files.begin(), {"check", "--cluster"});
        return files;
    }
};

TEST_F(ClusterCli, CleanClusterExits0) {
    auto r = run_eslaunch(nodes("2x-five-flat"), base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_THAT(r.out, StartsWith("cluster logs: 5 nodes, 3 master-eligible (a quorum is 2): it tolerates losing 1\n"));
    EXPECT_THAT(r.out, HasSubstr("  es-m1  10.0.0.1  master  2.x      "));
    EXPECT_THAT(r.out, HasSubstr("  es-d2  10.0.0.5  data    2.x      "));
    EXPECT_THAT(r.out, HasSubstr("\n  0 errors, 0 warnings\n"));
}

TEST_F(ClusterCli, SplitBrainExits78WithFileAndLine) {
    auto args = nodes("6x-split-brain-flat");
    auto r = run_eslaunch(args, base_env);
    EXPECT_EQ(r.status, 78);
    std::string expected;
    for (std::size_t i = 2; i < args.size(); ++i) {
        expected += "eslaunch: error: " + args[i] +
                    ":5: discovery.zen.minimum_master_nodes is 1, below the quorum of the 3 master-eligible nodes (2): "
                    "two masters can be elected at once (split brain); discovery.zen.minimum_master_nodes: 2\n";
    }
    EXPECT_EQ(r.err, expected);
    EXPECT_THAT(r.out, HasSubstr("  3 errors, 0 warnings\n"));

    args.insert(args.begin() + 2, "--json");
    auto j = run_eslaunch(args, base_env);
    EXPECT_EQ(j.status, 78);
    const json out = json::parse(j.out);
    EXPECT_EQ(out["errors"], 3);
    EXPECT_EQ(out["master_eligible"], 3);
    EXPECT_EQ(out["findings"][0]["where"], args[3] + ":5");
}

TEST_F(ClusterCli, TwoMastersWarnAndExit0InJson) {
    auto args = nodes("8x-two-masters-nested");
    args.insert(args.begin() + 1, "--json");
    auto r = run_eslaunch(args, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["tolerated_losses"], 0);
    EXPECT_EQ(out["warnings"], 1);
    EXPECT_EQ(out["findings"][0]["severity"], "warning");
    EXPECT_EQ(out["findings"][0]["id"], "master-eligible");
    EXPECT_EQ(out["nodes"].size(), 3U);
    EXPECT_EQ(out["nodes"][1]["roles"], json({"master"}));
}

TEST_F(ClusterCli, OpenSearchInItsOwnWords) {
    auto clean = run_eslaunch(nodes("os1x-five-nested"), base_env);
    EXPECT_EQ(clean.status, 0) << clean.err;
    EXPECT_EQ(clean.err, "");
    EXPECT_THAT(clean.out, StartsWith("cluster logs (OpenSearch): 5 nodes, 3 cluster-manager-eligible (a quorum is 2): "
                                      "it tolerates losing 1\n"));
    EXPECT_THAT(clean.out, HasSubstr("  os-m1  10.0.0.1  master       OpenSearch 1.0+  "));

    const auto args = nodes("os2x-initial-managers-nested");
    auto r = run_eslaunch(args, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_EQ(r.err, "eslaunch: error: " + args[2] +
                         ":4: cluster.initial_cluster_manager_nodes [os-m1] differs from [os-m1, os-m2, os-m3] of "
                         "os-m2, os-m3: at the first start the nodes can bootstrap two clusters; "
                         "cluster.initial_cluster_manager_nodes: [os-m1, os-m2, os-m3] on every node that sets it\n");
}

TEST_F(ClusterCli, ElasticsearchAndOpenSearchFilesTogetherExit78) {
    fs::create_directories(dir_ / "es");
    const std::string es = write("es/elasticsearch.yml", "cluster.name: logs\nnode.name: es-m4\n");
    auto args = nodes("os2x-five-flat");
    args.push_back(es);
    args.insert(args.begin() + 2, "--json");
    auto r = run_eslaunch(args, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_THAT(r.err, HasSubstr("eslaunch: error: the files are of two products: OpenSearch's (os-d1, os-d2, os-m1, "
                                 "os-m2, os-m3) and Elasticsearch's (es-m4); one cluster runs one product; give check "
                                 "--cluster the files of one cluster, each product's apart\n"));
    const json out = json::parse(r.out);
    EXPECT_EQ(out["product"], "mixed");
    EXPECT_EQ(out["nodes"][5]["product"], "elasticsearch");
}

TEST_F(ClusterCli, UnreadableFilesExit78) {
    const std::string bad = write("bad.yml", "cluster.name: a\nnode: [x\n");
    const std::string dup = write("dup.yml", "node.name: a\nnode:\n  name: b\n");
    auto r = run_eslaunch({"check", "--cluster", bad, dup, (dir_ / "missing.yml").string()}, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "eslaunch: error: " + bad +
                         ":3: YAML: end of sequence flow not found; Elasticsearch refuses the file too; fix the "
                         "syntax\n"
                         "eslaunch: error: " +
                         dup +
                         ":3: 'node.name' is set twice, on lines 1 and 3; keep one: Elasticsearch 5.0 and later "
                         "refuse duplicate keys (also `a.b` beside `a: {b: ...}`), 2.x keeps one silently\n"
                         "eslaunch: error: " +
                         (dir_ / "missing.yml").string() +
                         ": cannot open: No such file or directory; check the path, or es_path_conf= in the spec\n");
    auto j = run_eslaunch({"check", "--cluster", "--json", bad}, base_env);
    EXPECT_EQ(j.status, 78);
    EXPECT_EQ(json::parse(j.out)["valid"], false);
}

}  // namespace
}  // namespace eslaunch::testing
