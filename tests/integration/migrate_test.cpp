// `eslaunch migrate` and `eslaunch check` of the section it writes, with
// the real binaries (issue 21): the old sections of tests/migrate/.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string source_root = ESLAUNCH_SOURCE_ROOT;
const std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8", "ES_HOME=/opt/es",
                                      "ES_HEAP=1g", "JAVA_HOME=/usr/lib/jvm/jre"};

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Migrate : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/eslaunch-migrate.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name, std::ios::binary) << text;
        return (dir_ / name).string();
    }
    std::string old(const std::string& fixture) {
        return write(fixture, read(source_root + "/tests/migrate/" + fixture));
    }
    std::string spec() const { return (dir_ / "es.ini").string(); }

    fs::path dir_;
};

TEST_F(Migrate, EveryOldSectionGivesASpecThatCheckAccepts) {
    for (const char* fixture : {"01-verbatim.conf", "02-quoting.conf", "03-env-expansion.conf", "04-daemonize.conf",
                                "05-clean.conf"}) {
        SCOPED_TRACE(fixture);
        fs::remove(spec());
        auto r = run_eslaunch({"migrate", "--spec-out", spec(), old(fixture)}, env);
        ASSERT_EQ(r.status, 0) << r.err;
        struct stat st {};
        ASSERT_EQ(::stat(spec().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0644U);
        EXPECT_EQ(st.st_uid, ::geteuid());
        // stdout is the section, then the report as comments: a file supervisord reads.
        EXPECT_THAT(r.out, StartsWith("; [program:elasticsearch] for supervisord, written by `eslaunch migrate`"));
        EXPECT_THAT(r.out, HasSubstr("\ncommand=" + fs::path(eslaunch_binary()).string() + " " + spec() + "\n"));
        EXPECT_THAT(r.out, HasSubstr("\n; left to do (eslaunch check " + spec() + "):\n"));
        // check reads the spec whole (a spec it refuses prints no plan): what
        // is left is this host's (user work, the home).
        auto c = run_eslaunch({"check", spec()}, env);
        EXPECT_THAT(c.out, HasSubstr("\nsettings:\n")) << c.err << read(spec());
        EXPECT_THAT(c.out, HasSubstr("  program      elasticsearch (line "));
    }
}

TEST_F(Migrate, ReportsWhatSupervisordDroppedAndWhatIsLeft) {
    auto r = run_eslaunch({"migrate", "--spec-out", spec(), "--section-out", (dir_ / "es.conf").string(),
                           old("01-verbatim.conf")},
                          env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("  line 8: environment= is dropped by supervisord, which keeps only line 10: the "
                                 "node never got ES_HEAP_SIZE; the spec merges every line\n"));
    EXPECT_THAT(r.out, HasSubstr("  spec     heap_size=8g (was ES_HEAP_SIZE=\"8g\", line 8)\n"));
    EXPECT_THAT(r.out, HasSubstr("  section  stopsignal=TERM (was stopsignal=INT, line 11)\n"));
    EXPECT_THAT(r.out, HasSubstr("left to do"));
    EXPECT_THAT(r.out, HasSubstr("/path/to/elasticsearch"));  // the home that is missing here
    const std::string section = read(dir_ / "es.conf");
    EXPECT_THAT(section, HasSubstr("\nstopwaitsecs=300\n"));
    EXPECT_THAT(section, Not(HasSubstr("\nuser=")));
    EXPECT_THAT(read(spec()), HasSubstr("\nenvironment=JAVA_HOME=\"/usr/lib/jvm/java-8-openjdk-amd64\"\n"));
    EXPECT_THAT(read(spec()), HasSubstr("\nlimit_nofile=102400\n"));
}

TEST_F(Migrate, JsonSaysWhatItWroteEveryChangeAndWhy) {
    auto r = run_eslaunch({"migrate", "--json", "--spec-out", spec(), old("01-verbatim.conf")}, env);
    ASSERT_EQ(r.status, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["spec"]["path"], spec());
    EXPECT_EQ(j["spec"]["text"], read(spec()));
    EXPECT_TRUE(j["section"]["path"].is_null());
    EXPECT_THAT(j["section"]["text"].get<std::string>(), HasSubstr("stopsignal=TERM"));
    EXPECT_EQ(j["losses"].size(), 2U);
    bool heap = false;
    for (const auto& c : j["changes"]) {
        EXPECT_FALSE(c["why"].get<std::string>().empty()) << c.dump();
        if (c["key"] == "heap_size") heap = c["from"] == "ES_HEAP_SIZE=\"8g\"" && c["in"] == "spec";
    }
    EXPECT_TRUE(heap);
    EXPECT_TRUE(j["check"]["errors"].is_array());
    EXPECT_GT(j["left"].get<int>(), 0);
}

TEST_F(Migrate, RefusesToOverwriteBothOrNeither) {
    ASSERT_EQ(run_eslaunch({"migrate", "--spec-out", spec(), old("05-clean.conf")}, env).status, 0);
    const std::string before = read(spec());
    auto again = run_eslaunch({"migrate", "--spec-out", spec(), old("01-verbatim.conf")}, env);
    EXPECT_EQ(again.status, 78);
    EXPECT_EQ(again.err, "eslaunch: error: " + spec() +
                             ": exists: migrate never overwrites a file; compare it with what migrate would write "
                             "(move it away first), or name another path\n");
    EXPECT_EQ(read(spec()), before);
    // An existing section: the spec is not written either.
    const std::string section = write("es.conf", "mine\n");
    const std::string other = (dir_ / "other.ini").string();
    auto refused = run_eslaunch({"migrate", "--spec-out", other, "--section-out", section, old("01-verbatim.conf")}, env);
    EXPECT_EQ(refused.status, 78);
    EXPECT_FALSE(fs::exists(other));
    EXPECT_EQ(read(section), "mine\n");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 4);  // no temporary left
}

TEST_F(Migrate, UnreadableInputNoProgramAndNoOutputDirectory) {
    const std::string missing = (dir_ / "missing.conf").string();
    auto r = run_eslaunch({"migrate", "--spec-out", spec(), missing}, env);
    EXPECT_EQ(r.status, 78);
    EXPECT_EQ(r.err, "eslaunch: error: " + missing +
                         ": cannot read it: No such file or directory; give the supervisord file that holds the old "
                         "[program:NAME] section\n");
    const std::string group = write("group.conf", "[supervisord]\nnodaemon=true\n\n[group:elasticsearch]\nprograms=a\n");
    auto g = run_eslaunch({"migrate", "--program", "elasticsearch", "--spec-out", spec(), group}, env);
    EXPECT_EQ(g.status, 78);
    EXPECT_THAT(g.err, StartsWith("eslaunch: error: " + group + ":4: [group:elasticsearch] is not a [program:NAME] "
                                  "section; migrate turns"));
    const std::string nodir = (dir_ / "nodir" / "es.ini").string();
    auto c = run_eslaunch({"migrate", "--spec-out", nodir, old("01-verbatim.conf")}, env);
    EXPECT_EQ(c.status, 73);
    EXPECT_THAT(c.err, StartsWith("eslaunch: error: " + nodir + ": cannot create it: a temporary file in " +
                                  (dir_ / "nodir").string() + ": No such file or directory; create "));
    EXPECT_FALSE(fs::exists(spec()));
    auto j = run_eslaunch({"migrate", "--json", "--spec-out", spec(), missing}, env);
    EXPECT_EQ(j.status, 78);
    EXPECT_EQ(json::parse(j.out)["errors"][0]["file"], missing);
    EXPECT_EQ(run_eslaunch({"migrate", "--spec-out"}, env).status, 64);
    EXPECT_EQ(run_eslaunch({"check", "--migrate", group}, env).status, 64);  // eslaunch-check's mode, not check's
    EXPECT_EQ(run_eslaunch({"check", "--spec-out", spec(), group}, env).status, 64);
}

// units/supervisor/elasticsearch.conf.in as meson installs it, on a spec.
std::string project_section(const fs::path& dir, const std::string& spec_path, const std::string& extra) {
    std::string text = read(source_root + "/units/supervisor/elasticsearch.conf.in");
    auto put = [&](const std::string& from, const std::string& to) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
            text.replace(at, from.size(), to);
        }
    };
    put("@bindir@", fs::path(eslaunch_binary()).parent_path().string());
    put("@logdir@", dir.string());
    put("/etc/eslaunch/elasticsearch.ini", spec_path);
    return text + extra;
}

TEST_F(Migrate, CheckTakesTheProjectsSectionAsTheWrapperItIs) {
    if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (check tests the spec as its user, nobody)";
    const std::string es = write("es.ini", "[program:elasticsearch]\ncommand=/bin/true\nuser=nobody\n");
    const std::string section = write("es.conf", project_section(dir_, es, ""));
    auto r = run_eslaunch({"check", section}, env);
    EXPECT_EQ(r.status, 0) << r.err << r.out;
    EXPECT_THAT(r.out, StartsWith(section + ": [program:elasticsearch] runs eslaunch: checked as the section"));
    EXPECT_THAT(r.out, HasSubstr("  0 errors, 0 warnings\n"));
    EXPECT_THAT(r.out, HasSubstr(es + ": [program:elasticsearch] is valid"));
    auto j = run_eslaunch({"check", "--json", section}, env);
    EXPECT_EQ(j.status, 0) << j.err;
    const json parsed = json::parse(j.out);
    EXPECT_EQ(parsed["wrapper"]["spec"], es);
    EXPECT_EQ(parsed["spec"]["valid"], true);
    // user= there is wrong: supervisord would drop privileges before eslaunch.
    const std::string with_user = write("user.conf", project_section(dir_, es, "user=nobody\n"));
    auto u = run_eslaunch({"check", with_user}, env);
    EXPECT_EQ(u.status, 78);
    EXPECT_THAT(u.err, HasSubstr(with_user + ":32: user=nobody in the section that runs eslaunch"));
    EXPECT_THAT(u.out, HasSubstr("fix: remove user= here"));
}

// The startsecs advice, one sentence for any value: the code's, word for
// word in README.md and eslaunch(1).
TEST_F(Migrate, StartsecsAdviceIsTheSameInCodeReadmeAndManPage) {
    const std::string section =
        write("es.conf", "[program:elasticsearch]\ncommand=/usr/bin/eslaunch /etc/eslaunch/none.ini\nstartsecs=10\n");
    auto r = run_eslaunch({"check", section}, env);
    const std::string marker = "startsecs=10: ";
    const auto at = r.out.find(marker);
    ASSERT_NE(at, std::string::npos) << r.out;
    const std::string advice = r.out.substr(at + marker.size(), r.out.find('\n', at) - at - marker.size());
    EXPECT_GT(advice.size(), 100U);
    EXPECT_THAT(read(source_root + "/README.md"), HasSubstr(advice));
    EXPECT_THAT(read(source_root + "/man/eslaunch.1.scd"), HasSubstr(advice));
}

}  // namespace
}  // namespace eslaunch::testing
