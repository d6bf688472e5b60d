// The real `eslaunch` binary: usage, exit statuses, check in text and JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
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
    };
    for (const auto& args : cases) {
        auto r = run_eslaunch(args);
        EXPECT_EQ(r.status, 64) << ::testing::PrintToString(args);
        EXPECT_THAT(r.err, StartsWith("eslaunch: error: "));
        EXPECT_THAT(r.err, HasSubstr("usage: eslaunch [--program NAME] FILE\n       eslaunch check [--program NAME] [--json] FILE"));
        EXPECT_EQ(r.out, "");
    }
}

TEST_F(Cli, CheckValidFilePrintsThePlan) {
    const std::string file = write("es.ini",
                                   "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=nobody\n"
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
    const std::string file = write("two.ini", "[program:a]\ncommand=/bin/a\nallow_root=true\n[program:b]\ncommand=/bin/b\nallow_root=true\n");
    auto none = run_eslaunch({"check", file}, base_env);
    EXPECT_EQ(none.status, 78);
    EXPECT_EQ(none.err, "eslaunch: error: " + file +
                            ": 2 [program:NAME] sections (a, b); choose one with --program NAME\n");
    auto b = run_eslaunch({"check", "--json", "--program", "b", file}, base_env);
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(json::parse(b.out)["argv"], json({"/bin/b"}));
    auto a = run_eslaunch({"check", "--program=a", "--json", file}, base_env);
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(json::parse(a.out)["program"], "a");
}

TEST_F(Cli, RelativePathIsMadeAbsoluteForHereAndMessages) {
    write("rel.ini", "[program:x]\ncommand=%(here)s/bin/x\nallow_root=true\n");
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

}  // namespace
}  // namespace eslaunch::testing
